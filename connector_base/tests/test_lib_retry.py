"""Error taxonomy and retry maths."""

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from odoo.addons.connector_base.lib import retry


class MaxRng:
    """Deterministic rng returning the top of the range, to probe the ceiling."""

    def uniform(self, low, high):
        return high


class MinRng:
    def uniform(self, low, high):
        return low


def test_error_hierarchy_and_kinds():
    assert retry.IntegrationError.kind == "internal"
    assert issubclass(retry.ThrottledError, retry.TransientError)
    assert issubclass(retry.CircuitOpenError, retry.TransientError)
    assert issubclass(retry.AuthenticationError, retry.PermanentError)
    assert not issubclass(retry.PermanentError, retry.TransientError)
    kinds = {
        retry.TransientError: "transport",
        retry.ThrottledError: "throttling",
        retry.PermanentError: "business_rule",
        retry.AuthenticationError: "authentication",
        retry.CircuitOpenError: "transport",
    }
    for cls, kind in kinds.items():
        assert cls("x").kind == kind
    error = retry.ThrottledError("slow down", retry_after=7.5)
    assert error.retry_after == 7.5 and str(error) == "slow down"
    assert retry.TransientError("x").retry_after is None


def test_full_jitter_ceiling_doubles_then_caps():
    ceilings = [
        retry.full_jitter_backoff(a, base=5, cap=100, rng=MaxRng()) for a in (1, 2, 3, 4, 5)
    ]
    assert ceilings == [10, 20, 40, 80, 100]
    assert retry.full_jitter_backoff(1, rng=MinRng()) == 0


def test_full_jitter_random_values_stay_in_range():
    rng = random.Random(42)
    values = [retry.full_jitter_backoff(a, base=5, cap=60, rng=rng) for a in range(1, 200)]
    assert all(0 <= v <= 60 for v in values)
    assert len(set(values)) > 100  # actually jittered


def test_full_jitter_huge_attempt_does_not_overflow():
    assert retry.full_jitter_backoff(10_000, base=5, cap=3600, rng=MaxRng()) == 3600
    assert retry.full_jitter_backoff(0, base=5, cap=3600, rng=MaxRng()) == 10  # treated as 1


def test_retry_delay_honours_retry_after():
    assert retry.retry_delay(1, retry_after=30, base=5, cap=3600, rng=MinRng()) == 30
    assert retry.retry_delay(1, retry_after=2, base=5, cap=3600, rng=MaxRng()) == 10
    assert retry.retry_delay(3, retry_after=None, base=5, cap=3600, rng=MaxRng()) == 40


def test_retry_delay_bounded_by_cap():
    assert retry.retry_delay(1, retry_after=10_000, base=5, cap=600, rng=MinRng()) == 600
    rng = random.Random(1)
    assert all(retry.retry_delay(a, base=5, cap=120, rng=rng) <= 120 for a in range(1, 50))


@pytest.mark.parametrize(
    "value, expected",
    [("120", 120.0), (" 0 ", 0.0), ("1.5", 1.5), (None, None), ("", None), ("soon", None)],
)
def test_parse_retry_after_seconds(value, expected):
    assert retry.parse_retry_after(value) == expected


@pytest.mark.parametrize("value", ["-5", "nan", "inf", "Mon, 99 Foo 2024 99:99:99 GMT"])
def test_parse_retry_after_garbage_is_none(value):
    assert retry.parse_retry_after(value) is None


def test_parse_retry_after_http_date():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry.parse_retry_after(later, now=now) == 90.0
    assert retry.parse_retry_after("Wed, 01 May 2024 12:02:00 GMT", now=now) == 120.0


def test_parse_retry_after_past_date_is_zero_not_negative():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry.parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now=now) == 0.0


def test_parse_retry_after_naive_now_is_utc():
    now = datetime(2024, 5, 1, 12, 0, 0)
    assert retry.parse_retry_after("Wed, 01 May 2024 12:00:10 GMT", now=now) == 10.0


@pytest.mark.parametrize("status", [200, 201, 204, 301, 304])
def test_success_and_redirect_give_no_error(status):
    assert retry.error_for_status(status, "ok") is None


def test_429_is_throttled_with_retry_after_case_insensitive():
    error = retry.error_for_status(429, "too many", {"retry-after": "12"})
    assert type(error) is retry.ThrottledError
    assert error.retry_after == 12.0 and error.status == 429 and error.kind == "throttling"
    assert retry.error_for_status(429, "too many").retry_after is None


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_permanent(status):
    error = retry.error_for_status(status, "denied", {"Retry-After": "5"})
    assert type(error) is retry.AuthenticationError
    assert isinstance(error, retry.PermanentError)


@pytest.mark.parametrize("status", [408, 425, 500, 502, 503, 504, 599])
def test_transient_statuses(status):
    error = retry.error_for_status(status, "later", {"Retry-After": "3"})
    assert type(error) is retry.TransientError
    assert error.retry_after == 3.0 and error.status == status


@pytest.mark.parametrize("status", [400, 404, 409, 410, 422])
def test_other_4xx_are_permanent(status):
    error = retry.error_for_status(status, "bad request")
    assert type(error) is retry.PermanentError
    assert error.kind == "business_rule" and str(error) == "bad request"
