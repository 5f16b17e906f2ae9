"""Leaky bucket maths."""

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
