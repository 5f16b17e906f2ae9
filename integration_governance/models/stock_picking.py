from odoo import models


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "integration.traceable.mixin"]

    def _integration_trace_subject(self):
        """A delivery's journey is its sale order's."""
        self.ensure_one()
        return self.sale_id or self
