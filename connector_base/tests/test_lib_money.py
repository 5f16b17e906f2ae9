"""Money compares to the currency's rounding with the slack of per-line rounding."""

from odoo.addons.connector_base.lib import money
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestMoney(BaseCase):
    def test_exact_cent_gap_of_per_line_rounding_matches(self):
        slack = money.rounding_slack(3, 0.01, money.ROUND_PER_LINE, money.ROUND_GLOBALLY)
        self.assertAlmostEqual(slack, 0.015)
        self.assertTrue(money.amounts_match(0.21, 0.20, 0.01, slack=slack))
        self.assertTrue(money.amounts_match(24.95, 24.94, 0.01, slack=slack))

    def test_gap_beyond_the_slack_does_not_match(self):
        slack = money.rounding_slack(1, 0.01, money.ROUND_PER_LINE, money.ROUND_PER_LINE)
        self.assertTrue(money.amounts_match(24.95, 24.94, 0.01, slack=slack))
        self.assertFalse(money.amounts_match(24.95, 24.93, 0.01, slack=slack))

    def test_both_global_rounding_leaves_only_the_tolerance(self):
        slack = money.rounding_slack(5, 0.01, money.ROUND_GLOBALLY, money.ROUND_GLOBALLY)
        self.assertEqual(slack, 0.0)
        self.assertFalse(money.amounts_match(10.00, 10.01, 0.01, slack=slack))
        self.assertTrue(money.amounts_match(10.00, 10.01, 0.01, slack=slack, tolerance=0.01))

    def test_currency_without_cents(self):
        # JPY rounds to whole yen: a 1-yen gap on one line is within half a unit.
        slack = money.rounding_slack(2, 1.0, money.ROUND_PER_LINE, money.ROUND_GLOBALLY)
        self.assertTrue(money.amounts_match(1001, 1000, 1.0, slack=slack))
        self.assertFalse(money.amounts_match(1003, 1000, 1.0, slack=slack))

    def test_float_noise_is_not_a_difference(self):
        self.assertTrue(money.amounts_match(0.1 + 0.2, 0.3, 0.01))
