"""Circuit breaker state transitions."""

from odoo.addons.connector_base.lib.circuit import Circuit, allow, record_failure, record_success


def test_closed_allows_and_counts_failures_until_threshold():
    c = Circuit()
    for expected in (1, 2):
        c = record_failure(c, now=100.0, threshold=3)
        assert (c.state, c.failures, c.opened_at) == ("closed", expected, None)
        assert allow(c, now=100.0, reset_after=60)[0] is True
    c = record_failure(c, now=105.0, threshold=3)
    assert (c.state, c.failures, c.opened_at) == ("open", 3, 105.0)


def test_open_refuses_until_reset_after():
    c = Circuit(state="open", failures=5, opened_at=1000.0)
    ok, same = allow(c, now=1059.9, reset_after=60)
    assert ok is False and same == c


def test_open_lets_a_probe_through_after_reset():
    c = Circuit(state="open", failures=5, opened_at=1000.0)
    ok, probe = allow(c, now=1060.0, reset_after=60)
    assert ok is True and probe.state == "half_open"
    assert c.state == "open"  # input not mutated


def test_half_open_success_closes():
    c = record_success(Circuit(state="half_open", failures=5, opened_at=1000.0))
    assert (c.state, c.failures, c.opened_at) == ("closed", 0, None)


def test_half_open_failure_reopens_with_new_time():
    c = record_failure(Circuit(state="half_open", failures=5, opened_at=1000.0), 2000.0, 5)
    assert (c.state, c.opened_at) == ("open", 2000.0)
    assert allow(c, now=2030.0, reset_after=60)[0] is False
    assert allow(c, now=2060.0, reset_after=60)[0] is True


def test_success_resets_failure_count():
    c = record_failure(record_failure(Circuit(), 1.0, 3), 2.0, 3)
    c = record_success(c)
    c = record_failure(c, 3.0, 3)
    assert (c.state, c.failures) == ("closed", 1)


def test_threshold_one_opens_immediately():
    assert record_failure(Circuit(), 7.0, 1).state == "open"


def test_late_failure_while_open_keeps_cooldown():
    c = record_failure(Circuit(state="open", failures=3, opened_at=1000.0), 1050.0, 3)
    assert (c.state, c.failures, c.opened_at) == ("open", 4, 1000.0)


def test_half_open_allows_calls():
    ok, c = allow(Circuit(state="half_open", failures=1, opened_at=1.0), 2.0, 60)
    assert ok is True and c.state == "half_open"


def test_open_without_timestamp_does_not_lock_forever():
    ok, c = allow(Circuit(state="open", failures=3, opened_at=None), 5.0, 60)
    assert ok is True and c.state == "half_open"
