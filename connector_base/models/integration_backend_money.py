from odoo import api, fields, models

from ..lib import money
from .integration_event import PipelineError

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

    def _channel_label(self):
        """The channel's name as people read it (e.g. Shopify)."""
        self.ensure_one()
        return dict(self._fields["channel_type"]._description_selection(self.env)).get(
            self.channel_type, self.channel_type or ""
        )

    def _check_order_taxes(self, document, order):
        """Odoo's taxes must come to the channel's (the canonical order's
        ``total_tax``), like money compares: to the currency's rounding, with
        the slack of the channel's rounding method and the backend's
        tolerance; a gap beyond is a tax set-up problem, whatever the channel."""
        self.ensure_one()
        if "total_tax" not in document or not order or order.state == "cancel":
            return
        expected = float(document.get("total_tax") or 0.0)
        taxed_lines = len(order.order_line.filtered("tax_ids")) or 1
        if self._amounts_match(expected, order.amount_tax, order.currency_id, taxed_lines):
            return
        channel, name = self._channel_label(), document.get("name")
        raise PipelineError(
            "business_rule",
            f"Tax mismatch on {channel} order {name}: {channel} charged "
            f"{expected:.2f}, Odoo computes {order.amount_tax:.2f} "
            f"({'included' if document.get('taxes_included') else 'excluded'} taxes, "
            f"{taxed_lines} taxed line(s), tolerance {self.amount_tolerance:.2f})",
            business_object="order",
            severity="high",
            impact_amount=abs(order.amount_tax - expected),
            name=f"Tax mismatch on {channel} order {name}",
        )

    def _ensure_sale_tax(self, name, rate):
        """The company's excluded sale tax of ``rate`` percent, created when
        missing, in a tax group of its own name (so a 7.25 % tax never shows
        as another group's "Tax 15%" on orders and invoices)."""
        self.ensure_one()
        company = self.company_id
        Tax = self.env["account.tax"].sudo()
        tax = Tax.search(
            [
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("amount", "=", rate),
                ("price_include", "=", False),
                ("company_id", "=", company.id),
            ],
            limit=1,
        ) or Tax.create(
            {
                "name": name,
                "amount": rate,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": company.id,
            }
        )
        Group = self.env["account.tax.group"].sudo()
        group = Group.search(
            [("name", "=", name), ("company_id", "=", company.id)], limit=1
        ) or Group.create({"name": name, "company_id": company.id, "country_id": tax.country_id.id})
        if tax.tax_group_id != group:
            tax.tax_group_id = group
        return tax
