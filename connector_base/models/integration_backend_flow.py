from odoo import fields, models

FLOWS = [
    ("orders_in", "Orders in"),
    ("stock_out", "Stock out"),
    ("catalog", "Catalog"),
    ("fulfillment_out", "Fulfilment out"),
    ("returns_in", "Returns in"),
    ("settlements_in", "Settlements in"),
    ("reconciliation", "Reconciliation"),
]


class IntegrationBackendFlow(models.Model):
    """How one flow of a backend syncs: real time, every N minutes or off."""

    _name = "integration.backend.flow"
    _description = "Backend flow policy"
    _order = "backend_id, priority, id"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade")
    flow = fields.Selection(FLOWS, required=True)
    mode = fields.Selection(
        [("realtime", "Real time"), ("batch", "Batch"), ("off", "Off")],
        default="realtime",
        required=True,
    )
    batch_minutes = fields.Integer("Every (minutes)", default=15)
    priority = fields.Integer(
        default=10, help="Job priority: lower runs first (orders before stock before catalog)."
    )
    last_success_at = fields.Datetime(readonly=True)
    degraded_delay_seconds = fields.Integer(
        "Delay when degraded (s)",
        default=300,
        help="Jobs of flows with priority 30 or more wait this long while the backend "
        "is degraded (circuit open or backlog over its threshold).",
    )

    _backend_flow_unique = models.Constraint(
        "UNIQUE(backend_id, flow)", "One policy per backend and flow."
    )

    def _job_options(self):
        """queue_job options for a job of this flow, slowed when degraded."""
        self.ensure_one()
        backend = self.backend_id
        options = {"priority": self.priority, "channel": backend.job_channel}
        if self.priority >= 30 and backend.degraded:
            options["eta"] = self.degraded_delay_seconds
        return options
