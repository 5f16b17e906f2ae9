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

    def _heal_orders_lines(self, lines):
        """Orders the channel has and Odoo lacks: re-imported through the
        inbox of the run's backend (generic: channels fill ``_channel_orders``).
        A heal asked after the run reads the run's window once for all."""
        backend = self._run_backend()
        if not backend:
            return lines.browse()
        if self.env.context.get("reconcile_orders_snapshot") is None:
            snapshot = backend._reconcile_orders_snapshot(self)
            backend = backend.with_context(reconcile_orders_snapshot=snapshot)
        return lines.filtered(lambda line: backend._reconcile_orders_heal(self, line))
