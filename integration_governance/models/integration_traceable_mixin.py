from odoo import fields, models


class IntegrationTraceableMixin(models.AbstractModel):
    """A smart button from a business document to its integration traces."""

    _name = "integration.traceable.mixin"
    _description = "Has integration traces"

    integration_trace_count = fields.Integer("Traces", compute="_compute_integration_trace_count")

    def _compute_integration_trace_count(self):
        Lineage = self.env["integration.lineage"].sudo()
        counts = dict(
            Lineage._read_group(
                [("res_model", "=", self._name), ("res_id", "in", self.ids)],
                ["res_id"],
                ["trace_id:count_distinct"],
            )
        )
        for record in self:
            record.integration_trace_count = counts.get(record.id, 0)

    def action_view_integration_traces(self):
        self.ensure_one()
        return self.env["integration.trace.finder"].open_for(record=self)
