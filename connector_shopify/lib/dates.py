"""Shopify's timestamps as Odoo stores them (naive UTC)."""

from datetime import datetime, timezone


def to_utc_naive(value):
    """'2026-11-20T10:00:00-05:00' -> '2026-11-20 15:00:00' (Odoo stores UTC).

    'Z' is read as UTC on every Python the suite supports (3.10 needs the
    offset spelled out).
    """
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%d %H:%M:%S")


def age_seconds(value, now=None):
    """Seconds since a Shopify timestamp (0 when unknown or in the future)."""
    if not value:
        return 0.0
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if not parsed.tzinfo:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return max(((now or datetime.now(timezone.utc)) - parsed).total_seconds(), 0.0)
