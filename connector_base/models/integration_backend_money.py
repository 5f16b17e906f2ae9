from odoo import api, fields, models

from ..lib import money

ROUNDING_METHODS = [
    (money.ROUND_PER_LINE, "Per line"),
    (money.ROUND_GLOBALLY, "On the total"),
]


class IntegrationBackend(models.Model):
    """How this channel rounds money, and how far its totals may be from Odoo's."""

    _inherit = "integration.backend"

    amount_rounding_method = fields.Selection(
        ROUNDING_METHODS,
        "Channel rounds taxes",
        compute="_compute_amount_rounding_method",
        store=True,
        readonly=False,
        help="How the channel rounds taxes: each line, or the order's total. Where "
        "it differs from Odoo's, or rounds per line, each line may move a total by "
        "half a unit of the currency.",
    )
    amount_tolerance = fields.Float(
        "Amount tolerance",
        default=0.0,
        help="Extra difference, in the order's currency, accepted between the "
        "channel's totals (taxes, refunds) and Odoo's before an exception is raised.",
    )

    @api.depends("channel_type")
    def _compute_amount_rounding_method(self):
        for backend in self:
            backend.amount_rounding_method = backend._channel_rounding_method()

    def _channel_rounding_method(self):
        """Hook: how the channel rounds taxes (Shopify: per line)."""
        return money.ROUND_PER_LINE

    def _amounts_match(self, expected, computed, currency, line_count=1, company=None):
        """Does Odoo's amount agree with the channel's, like money does?"""
        self.ensure_one()
        company = company or self.company_id
        slack = money.rounding_slack(
            line_count,
            currency.rounding,
            self.amount_rounding_method or self._channel_rounding_method(),
            company.tax_calculation_rounding_method or money.ROUND_PER_LINE,
        )
        return money.amounts_match(
            expected, computed, currency.rounding, slack=slack, tolerance=self.amount_tolerance
        )
