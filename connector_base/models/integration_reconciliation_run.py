from odoo import models


class IntegrationReconciliationRun(models.Model):
    """Healing dispatches by the run's backend, so several channels coexist:
    each ``_heal_<kind>_line(s)`` handles its own backends and calls ``super()``."""

    _inherit = "integration.reconciliation.run"

    def _run_backend(self):
        """The backend whose system the run reconciled (one system per backend)."""
        self.ensure_one()
        return (
            self.env["integration.backend"]
            .sudo()
            .search([("system_id", "=", self.system_id.id)], limit=1)
        )

    def _heal_stock_lines(self, lines):
        """No channel healed them: the lines are raised."""
        return lines.browse()

    def _heal_orders_line(self, line):
        """An order the channel has and Odoo lacks: re-import it through the
        inbox of the run's backend (generic: channels fill ``_channel_orders``)."""
        backend = self._run_backend()
        if not backend:
            return False
        return backend._reconcile_orders_heal(self, line)
