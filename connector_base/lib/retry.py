"""Error classes and retry maths shared by every channel adapter.

Adapters raise these errors so the job runner can decide, without knowing
the channel, whether to retry (TransientError), slow down (ThrottledError)
or stop and ask a human (PermanentError).
"""

import math
import random
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Beyond this exponent base * 2**attempt is far above any sane cap.
_MAX_EXPONENT = 1000


class IntegrationError(Exception):
    """Base of adapter errors; `kind` feeds the governance error taxonomy."""

    kind = "internal"
    status: int | None = None
    response = None


class TransientError(IntegrationError):
    """Worth retrying later (network trouble, 5xx); may carry the server's Retry-After."""

    kind = "transport"

    def __init__(self, message, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ThrottledError(TransientError):
    """The remote rate limit was hit (HTTP 429): retry after the advertised delay."""

    kind = "throttling"


class ConcurrencyError(TransientError):
    """Another job wrote the same row first (unique key, serialization, deadlock):
    a new transaction sees its work, so running again converges on one record."""

    kind = "internal"


class UnexpectedError(TransientError):
    """An error no adapter classified (a bug, a broken record): a few more tries,
    then a dead letter a person owns, never a failed job nobody reads."""

    kind = "internal"


class PermanentError(IntegrationError):
    """Retrying the same call cannot help; a human or a data fix is needed."""

    kind = "business_rule"


class AuthenticationError(PermanentError):
    """Credentials rejected (401/403): retrying would only lock the account."""

    kind = "authentication"


class CircuitOpenError(TransientError):
    """Call refused locally because the backend's circuit breaker is open."""

    kind = "transport"


def full_jitter_backoff(attempt: int, base: float = 5.0, cap: float = 3600.0, rng=random) -> float:
    """AWS "full jitter": spread retries so workers do not stampede the remote."""
    exponent = min(max(int(attempt), 1), _MAX_EXPONENT)
    ceiling = min(cap, base * 2.0**exponent)
    return rng.uniform(0, ceiling)


def retry_delay(
    attempt: int,
    retry_after: float | None = None,
    base: float = 5.0,
    cap: float = 3600.0,
    rng=random,
) -> float:
    """Seconds before the next try: never sooner than the server asked, never above cap."""
    delay = full_jitter_backoff(attempt, base=base, cap=cap, rng=rng)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, float(retry_after))
    return min(delay, cap)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Read Retry-After (delta-seconds or HTTP-date); None when absent or unparsable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    seconds = _parse_delta_seconds(text)
    if seconds is not None:
        return seconds
    return _parse_http_date(text, now)


def _parse_delta_seconds(text: str) -> float | None:
    """Numeric form; a negative or non-finite number is treated as garbage."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _parse_http_date(text: str, now: datetime | None) -> float | None:
    """HTTP-date form; a date in the past means 'retry now' (0), never negative."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _header(headers: Mapping | None, name: str) -> str | None:
    """Case-insensitive lookup that works for plain dicts too."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return value
    return None


def error_for_status(
    status: int, message: str, headers: Mapping | None = None
) -> IntegrationError | None:
    """Map an HTTP status to the error an adapter should raise (None when it succeeded)."""
    if 200 <= status < 400:
        return None
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    if status == 429:
        error = ThrottledError(message, retry_after=retry_after)
    elif status in (401, 403):
        error = AuthenticationError(message)
    elif status in (408, 425) or 500 <= status < 600:
        error = TransientError(message, retry_after=retry_after)
    elif 400 <= status < 500:
        error = PermanentError(message)
    else:
        # 1xx or out-of-range codes: a protocol hiccup, not a business decision.
        error = TransientError(message, retry_after=retry_after)
    error.status = status
    return error
