from odoo import fields, models


class IntegrationTraceableMixin(models.AbstractModel):
    """A smart button from a business document to its journey."""

    _name = "integration.traceable.mixin"
    _description = "Has integration traces"

    integration_trace_count = fields.Integer("Traces", compute="_compute_integration_trace_count")

    def _compute_integration_trace_count(self):
        Lineage = self.env["integration.lineage"].sudo()
        Trace = self.env["integration.trace"].sudo()
        rows = Lineage._read_group(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)],
            ["res_id"],
            ["trace_id:array_agg_distinct"],
        )
        traces = dict(rows)
        for record in self:
            journey = Trace.journey_of_record(record)
            journeys = Trace.journeys_of(traces.get(record.id) or [])
            record.integration_trace_count = len(journeys | journey)

    def _integration_trace_subject(self):
        """Hook: the business record a journey through this one is about
        (an order for its delivery or invoice). Default: the record itself."""
        self.ensure_one()
        return self

    def action_view_integration_traces(self):
        self.ensure_one()
        return self.env["integration.trace.finder"].open_for(record=self)
