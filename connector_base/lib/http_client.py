"""A small `requests` client that every channel adapter shares.

It centralises what adapters must not forget: timeouts, W3C trace
propagation, one log record per attempt, and mapping failures onto the
retry error classes. Retrying itself is left to the job runner.
"""

import json as jsonlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from . import masking, retry

_logger = logging.getLogger(__name__)

USER_AGENT = "odoo-integration-suite"
BODY_LIMIT = 2000
DEFAULT_TIMEOUT = (3.05, 20.0)
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_TRANSIENT_EXCEPTIONS = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
)


@dataclass
class CallRecord:
    """What the outbound log keeps about one HTTP attempt (bodies truncated)."""

    method: str
    url: str
    endpoint: str
    status: int | None
    duration_ms: int
    request_body: str | None
    response_body: str | None
    error: str | None
    trace_id: str
    traceparent: str
    response_headers: dict | None = None


def new_trace_id() -> str:
    """Random 16-byte W3C trace id (32 lower-case hex)."""
    return secrets.token_hex(16)


def normalize_trace_id(trace_id: str | None) -> str:
    """Accept a UUID-style id; fall back to a fresh one rather than send an invalid header."""
    if trace_id:
        candidate = str(trace_id).replace("-", "").strip().lower()
        if _TRACE_ID.match(candidate) and candidate != "0" * 32:
            return candidate
    return new_trace_id()


def make_traceparent(trace_id: str) -> str:
    """W3C traceparent with a fresh span id for this call, sampled flag set."""
    span_id = secrets.token_hex(8)
    while span_id == "0" * 16:  # the all-zero span id is invalid
        span_id = secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01"


def truncate(text: str | bytes | None, limit: int = BODY_LIMIT) -> str | None:
    """Keep logged bodies small enough for a log table row."""
    if text is None:
        return None
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    return str(text)[:limit]


def _request_body(json, data) -> str | None:
    """Text form of what is sent, for the log only, credentials masked."""
    if json is not None:
        try:
            return truncate(jsonlib.dumps(masking.mask_data(json), default=str, ensure_ascii=False))
        except (TypeError, ValueError):
            return masking.mask_text(truncate(repr(json)))
    if data is None:
        return None
    if isinstance(data, dict):
        data = masking.mask_data(data)
    if isinstance(data, (str, bytes, bytearray)):
        return masking.mask_text(truncate(data))
    return masking.mask_text(truncate(repr(data)))


def _response_body(response: requests.Response) -> str | None:
    """Decoded response text, truncated, credentials masked; never fails the call."""
    try:
        return masking.mask_text(truncate(response.text))
    except Exception:  # logging must not break the integration call
        return None


class _TimeoutAdapter(requests.adapters.HTTPAdapter):
    """An adapter that applies the client's (connect, read) timeouts by default."""

    def __init__(self, timeout, **kwargs):
        self.default_timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, timeout=None, **kwargs):
        return super().send(request, timeout=timeout or self.default_timeout, **kwargs)


class HttpClient:
    """Session-backed client bound to one remote base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout=DEFAULT_TIMEOUT,
        headers: dict | None = None,
        before_call: Callable[[str], None] | None = None,
        after_call: Callable[[CallRecord], None] | None = None,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.before_call = before_call
        self.after_call = after_call
        self.session = session or requests.Session()
        # Timeouts live on the session's adapters, so every request has them
        # even when passed no ``timeout`` (and tuple timeouts never meet code
        # that expects a number, such as Odoo's test request guard).
        adapter = _TimeoutAdapter(timeout)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url_for(self, path: str) -> str:
        """Join base URL and path; an absolute URL (e.g. a pagination link) is kept."""
        if urlsplit(path).scheme in ("http", "https"):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json=None,
        params=None,
        headers=None,
        data=None,
        trace_id: str | None = None,
        endpoint: str | None = None,
        timeout=None,
    ) -> requests.Response:
        """One attempt: throttle/circuit hook, send, record, then return or raise."""
        method = method.upper()
        endpoint = endpoint or _endpoint_of(path)
        if self.before_call:
            self.before_call(endpoint)
        url = self.url_for(path)
        trace_id = normalize_trace_id(trace_id)
        traceparent = make_traceparent(trace_id)
        call_headers = {"User-Agent": USER_AGENT, **self.headers, **(headers or {})}
        call_headers["traceparent"] = traceparent
        started = time.monotonic()
        response = None
        failure: retry.IntegrationError | None = None
        try:
            response = self.session.request(
                method,
                url,
                json=json,
                params=params,
                data=data,
                headers=call_headers,
                timeout=timeout,
            )
        except _TRANSIENT_EXCEPTIONS as exc:
            failure = retry.TransientError(f"{method} {endpoint}: {type(exc).__name__}: {exc}")
        except requests.exceptions.RequestException as exc:
            failure = retry.PermanentError(f"{method} {endpoint}: {type(exc).__name__}: {exc}")
        duration_ms = int((time.monotonic() - started) * 1000)
        response_body = None
        if response is not None:
            response_body = _response_body(response)
            failure = retry.error_for_status(
                response.status_code,
                f"{method} {endpoint} -> HTTP {response.status_code}: {(response_body or '')[:300]}",
                response.headers,
            )
            if failure is not None:
                failure.response = response
        self._record(
            CallRecord(
                method=method,
                url=masking.mask_url(response.url if response is not None else url),
                endpoint=endpoint,
                status=response.status_code if response is not None else None,
                duration_ms=duration_ms,
                request_body=_request_body(json, data),
                response_body=response_body,
                error=masking.mask_text(str(failure)) if failure is not None else None,
                trace_id=trace_id,
                traceparent=traceparent,
                response_headers=dict(response.headers) if response is not None else None,
            )
        )
        if failure is not None:
            raise failure
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        """Shortcut for request("GET", ...)."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        """Shortcut for request("POST", ...)."""
        return self.request("POST", path, **kwargs)

    def _record(self, record: CallRecord) -> None:
        """Hand the record to the caller; a logging bug must not turn a done call into a retry."""
        if not self.after_call:
            return
        try:
            self.after_call(record)
        except Exception:  # see docstring
            _logger.exception("after_call hook failed for %s %s", record.method, record.endpoint)


def _endpoint_of(path: str) -> str:
    """Stable endpoint label: the path without query string or fragment."""
    return urlsplit(path).path or "/"
