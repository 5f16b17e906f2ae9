"""Shopify's rate-limit signals: the REST call-limit header and GraphQL's cost.

They are Shopify's wire formats, so they live with the Shopify channel;
connector_base's throttle only knows the generic leaky bucket these figures
feed. Plain Python (no Odoo import), like the rest of this package.
"""

import re

_CALL_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_call_limit(header: str | None) -> tuple[int, int] | None:
    """Read Shopify REST "X-Shopify-Shop-Api-Call-Limit: 32/40" as (32, 40)."""
    if not header:
        return None
    match = _CALL_LIMIT.match(str(header))
    if not match:
        return None
    used, limit = int(match.group(1)), int(match.group(2))
    if limit <= 0:
        return None
    return used, limit


def _number(value) -> float | None:
    """Shopify sends ints or floats; anything else means the field is unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def graphql_cost(extensions: dict | None) -> dict | None:
    """Flatten Shopify GraphQL `extensions.cost` into the figures the throttle needs."""
    if not isinstance(extensions, dict):
        return None
    cost = extensions.get("cost")
    if not isinstance(cost, dict):
        return None
    status = cost.get("throttleStatus")
    if not isinstance(status, dict):
        status = {}
    info = {
        "requested": _number(cost.get("requestedQueryCost")),
        "actual": _number(cost.get("actualQueryCost")),
        "available": _number(status.get("currentlyAvailable")),
        "maximum": _number(status.get("maximumAvailable")),
        "restore_rate": _number(status.get("restoreRate")),
    }
    if all(value is None for value in info.values()):
        return None
    return info


def wait_for_graphql_cost(cost_info: dict, next_cost: float, elapsed: float = 0.0) -> float:
    """Seconds until `available` (as of `elapsed` seconds ago) covers next_cost; 0 if enough."""
    available = cost_info.get("available")
    restore_rate = cost_info.get("restore_rate")
    if available is None:
        return 0.0  # no throttle status: nothing to wait for
    maximum = cost_info.get("maximum")
    if maximum is not None:
        next_cost = min(next_cost, maximum)  # a full bucket is the best we can get
    if not restore_rate or restore_rate <= 0:
        if available >= next_cost:
            return 0.0
        raise ValueError("GraphQL cost info has no positive restore_rate")
    available = available + max(0.0, elapsed) * restore_rate
    if maximum is not None:
        available = min(available, maximum)
    missing = next_cost - available
    return 0.0 if missing <= 0 else missing / restore_rate
