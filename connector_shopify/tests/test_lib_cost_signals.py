"""Shopify's rate-limit signals: the REST call-limit header and GraphQL's cost."""

import pytest

from odoo.addons.connector_shopify.lib import cost_signals


@pytest.mark.parametrize(
    "header, expected",
    [
        ("32/40", (32, 40)),
        (" 1 / 80 ", (1, 80)),
        (None, None),
        ("", None),
        ("40", None),
        ("a/b", None),
        ("3/0", None),
        ("1/2/3", None),
    ],
)
def test_parse_call_limit(header, expected):
    assert cost_signals.parse_call_limit(header) == expected


SAMPLE = {
    "cost": {
        "requestedQueryCost": 101,
        "actualQueryCost": 46,
        "throttleStatus": {
            "maximumAvailable": 1000.0,
            "currentlyAvailable": 954,
            "restoreRate": 50.0,
        },
    }
}


def test_graphql_cost_flattens_extensions():
    assert cost_signals.graphql_cost(SAMPLE) == {
        "requested": 101,
        "actual": 46,
        "available": 954,
        "maximum": 1000.0,
        "restore_rate": 50.0,
    }


@pytest.mark.parametrize("extensions", [None, {}, {"cost": None}, {"cost": {}}, "junk"])
def test_graphql_cost_absent(extensions):
    assert cost_signals.graphql_cost(extensions) is None


def test_graphql_cost_throttled_response_without_actual():
    info = cost_signals.graphql_cost(
        {
            "cost": {
                "requestedQueryCost": 500,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 1000,
                    "currentlyAvailable": 100,
                    "restoreRate": 50,
                },
            }
        }
    )
    assert info["actual"] is None and info["available"] == 100
    assert cost_signals.wait_for_graphql_cost(info, 500) == pytest.approx(8.0)


def test_wait_for_graphql_cost():
    info = cost_signals.graphql_cost(SAMPLE)
    assert cost_signals.wait_for_graphql_cost(info, 900) == 0.0
    assert cost_signals.wait_for_graphql_cost(info, 1004) == pytest.approx(0.92)
    low = dict(info, available=10)
    assert cost_signals.wait_for_graphql_cost(low, 110) == pytest.approx(2.0)
    assert cost_signals.wait_for_graphql_cost(low, 110, elapsed=1.0) == pytest.approx(1.0)
    assert cost_signals.wait_for_graphql_cost(low, 110, elapsed=5.0) == 0.0


def test_wait_for_graphql_cost_caps_at_maximum():
    info = {"available": 0, "maximum": 1000, "restore_rate": 50}
    assert cost_signals.wait_for_graphql_cost(info, 5000) == pytest.approx(20.0)


def test_wait_for_graphql_cost_without_restore_rate():
    assert cost_signals.wait_for_graphql_cost({"available": 10, "restore_rate": None}, 5) == 0.0
    with pytest.raises(ValueError):
        cost_signals.wait_for_graphql_cost({"available": 1, "restore_rate": 0}, 5)
