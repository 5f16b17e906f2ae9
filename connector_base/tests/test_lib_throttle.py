"""Leaky bucket maths and Shopify rate-limit signals."""

import pytest

from odoo.addons.connector_base.lib import throttle


def test_empty_bucket_admits_immediately():
    assert throttle.leaky_bucket_wait(0, 0, 0, capacity=40, leak_per_second=2) == (0.0, 1.0)


def test_leak_over_time_frees_room():
    wait, level = throttle.leaky_bucket_wait(40, 100.0, 105.0, capacity=40, leak_per_second=2)
    assert wait == 0.0 and level == 31.0


def test_full_bucket_waits_for_one_slot():
    wait, level = throttle.leaky_bucket_wait(40, 100.0, 100.0, capacity=40, leak_per_second=2)
    assert wait == pytest.approx(0.5) and level == 40.0


def test_cost_greater_than_one():
    wait, level = throttle.leaky_bucket_wait(38, 0, 0, capacity=40, leak_per_second=2, cost=10)
    assert wait == pytest.approx(4.0) and level == 40.0


def test_level_never_goes_negative_and_skew_is_tolerated():
    assert throttle.leaky_bucket_wait(3, 0, 1000, 40, 2) == (0.0, 1.0)
    # now earlier than updated_at (another worker's clock): no negative leak.
    assert throttle.leaky_bucket_wait(40, 100.0, 90.0, 40, 2)[0] == pytest.approx(0.5)


def test_invalid_bucket_parameters():
    with pytest.raises(ValueError):
        throttle.leaky_bucket_wait(0, 0, 0, capacity=40, leak_per_second=0)
    with pytest.raises(ValueError):
        throttle.leaky_bucket_wait(0, 0, 0, capacity=40, leak_per_second=2, cost=41)


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
    assert throttle.parse_call_limit(header) == expected


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
    assert throttle.graphql_cost(SAMPLE) == {
        "requested": 101,
        "actual": 46,
        "available": 954,
        "maximum": 1000.0,
        "restore_rate": 50.0,
    }


@pytest.mark.parametrize("extensions", [None, {}, {"cost": None}, {"cost": {}}, "junk"])
def test_graphql_cost_absent(extensions):
    assert throttle.graphql_cost(extensions) is None


def test_graphql_cost_throttled_response_without_actual():
    info = throttle.graphql_cost(
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
    assert throttle.wait_for_graphql_cost(info, 500) == pytest.approx(8.0)


def test_wait_for_graphql_cost():
    info = throttle.graphql_cost(SAMPLE)
    assert throttle.wait_for_graphql_cost(info, 900) == 0.0
    assert throttle.wait_for_graphql_cost(info, 1004) == pytest.approx(0.92)
    low = dict(info, available=10)
    assert throttle.wait_for_graphql_cost(low, 110) == pytest.approx(2.0)
    assert throttle.wait_for_graphql_cost(low, 110, elapsed=1.0) == pytest.approx(1.0)
    assert throttle.wait_for_graphql_cost(low, 110, elapsed=5.0) == 0.0


def test_wait_for_graphql_cost_caps_at_maximum():
    info = {"available": 0, "maximum": 1000, "restore_rate": 50}
    assert throttle.wait_for_graphql_cost(info, 5000) == pytest.approx(20.0)


def test_wait_for_graphql_cost_without_restore_rate():
    assert throttle.wait_for_graphql_cost({"available": 10, "restore_rate": None}, 5) == 0.0
    with pytest.raises(ValueError):
        throttle.wait_for_graphql_cost({"available": 1, "restore_rate": 0}, 5)
