from odoo import models


class StockMove(models.Model):
    """Every change of what Odoo can sell marks the bound products of every
    backend that takes stock (one coalesced export per backend follows)."""

    _inherit = "stock.move"

    def _integration_stock_changed(self):
        products = self.mapped("product_id").filtered("is_storable")
        if products:
            self.env["integration.backend"].sudo()._stock_mark_dirty(products)

    def _should_assign_at_confirm(self):
        # An import batch confirms without reserving: its backend's
        # reservation job does that next (integration_backend_reservation).
        if self.env.context.get("integration_defer_reservation"):
            return self._should_bypass_reservation()
        return super()._should_assign_at_confirm()

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        moves._integration_stock_changed()
        return moves

    def _action_assign(self, force_qty=False):
        result = super()._action_assign(force_qty=force_qty)
        self._integration_stock_changed()
        return result

    def _do_unreserve(self):
        result = super()._do_unreserve()
        self._integration_stock_changed()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._integration_stock_changed()
        return result
