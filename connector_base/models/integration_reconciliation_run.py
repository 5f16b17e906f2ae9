from odoo import models


class IntegrationReconciliationRun(models.Model):
    _inherit = "integration.reconciliation.run"

    def _heal_orders_line(self, line):
        """An order the channel has and Odoo lacks: re-import it through the
        inbox of the run's backend (generic: channels fill ``_channel_orders``)."""
        self.ensure_one()
        backend = (
            self.env["integration.backend"]
            .sudo()
            .search([("system_id", "=", self.system_id.id)], limit=1)
        )
        if not backend:
            return False
        return backend._reconcile_orders_heal(self, line)
