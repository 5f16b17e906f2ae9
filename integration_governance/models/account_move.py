from odoo import models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "integration.traceable.mixin"]

    def _integration_trace_subject(self):
        """An invoice's or credit note's journey is its sale order's (when one)."""
        self.ensure_one()
        orders = self.sudo().line_ids.sale_line_ids.order_id
        return orders[:1] or self
