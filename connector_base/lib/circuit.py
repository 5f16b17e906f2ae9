"""Circuit breaker as pure state transitions.

The caller persists the Circuit in PostgreSQL so that every worker sees the
same state; these functions only compute the next state and never mutate
their input.
"""

from dataclasses import dataclass, replace

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


@dataclass
class Circuit:
    """Breaker state for one backend (or one endpoint group)."""

    state: str = CLOSED
    failures: int = 0
    opened_at: float | None = None  # epoch seconds


def allow(c: Circuit, now: float, reset_after: float) -> tuple[bool, Circuit]:
    """May a call go out? After `reset_after` seconds open, let one probe through."""
    if c.state == OPEN:
        if c.opened_at is None or now - c.opened_at >= reset_after:
            return True, replace(c, state=HALF_OPEN)
        return False, c
    return True, c


def record_success(c: Circuit) -> Circuit:
    """Any success proves the remote is back: close and forget past failures."""
    return replace(c, state=CLOSED, failures=0, opened_at=None)


def record_failure(c: Circuit, now: float, threshold: int) -> Circuit:
    """Count a failure; a failed probe or `threshold` failures in a row open the circuit."""
    failures = c.failures + 1
    if c.state == OPEN:
        # A late failure from a call started before the circuit opened: keep the
        # original opening time so the cool-down is not extended indefinitely.
        opened_at = now if c.opened_at is None else c.opened_at
        return replace(c, failures=failures, opened_at=opened_at)
    if c.state == HALF_OPEN or failures >= threshold:
        return replace(c, state=OPEN, failures=failures, opened_at=now)
    return replace(c, state=CLOSED, failures=failures)
