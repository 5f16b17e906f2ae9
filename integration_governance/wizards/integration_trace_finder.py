from markupsafe import Markup, escape

from odoo import api, fields, models


class IntegrationTraceFinder(models.TransientModel):
    """Answers "where is order #1001": finds the traces of any reference or
    record and shows each one as a timeline."""

    _name = "integration.trace.finder"
    _description = "Find a business transaction's trace"

    query = fields.Char(help="An external reference, an Odoo document name or a trace id.")
    trace_id = fields.Char()
    res_model = fields.Char()
    res_id = fields.Integer()
    lineage_ids = fields.Many2many("integration.lineage", compute="_compute_results")
    trace_count = fields.Integer(compute="_compute_results")
    timeline = fields.Html(compute="_compute_results", sanitize=False)

    @api.depends("query", "trace_id")
    def _compute_display_name(self):
        for finder in self:
            what = finder.query or finder.trace_id
            finder.display_name = (
                self.env._("Where is %s?", what) if what else self.env._("Where is…?")
            )

    @api.private
    @api.model
    def find_traces(self, query=None, record=None):
        """Trace ids touching ``query`` (external ref, document name, trace id)
        or ``record``, most recent first."""
        Lineage = self.env["integration.lineage"]
        domain = []
        if record:
            domain = [("res_model", "=", record._name), ("res_id", "=", record.id)]
        elif query:
            query = query.strip().lstrip("#")
            domain = [
                "|",
                "|",
                "|",
                ("trace_id", "=", query.lower()),
                ("external_ref", "=ilike", query),
                ("external_ref", "=ilike", f"#{query}"),
                ("record_name", "=ilike", query),
            ]
        if not domain:
            return []
        rows = Lineage.search(domain, order="id desc")
        seen = []
        for trace in rows.mapped("trace_id"):
            if trace not in seen:
                seen.append(trace)
        return seen

    @api.depends("query", "trace_id", "res_model", "res_id")
    def _compute_results(self):
        Lineage = self.env["integration.lineage"]
        for finder in self:
            # What the user typed wins over what the finder was opened with.
            if finder.query:
                traces = self.find_traces(query=finder.query)
            elif finder.trace_id:
                traces = [finder.trace_id]
            elif finder.res_model and finder.res_id:
                record = self.env[finder.res_model].browse(finder.res_id)
                traces = self.find_traces(record=record)
            else:
                traces = []
            rows = Lineage.search([("trace_id", "in", traces)], order="trace_id, id")
            finder.lineage_ids = rows
            finder.trace_count = len(traces)
            finder.timeline = finder._render(traces, rows)

    def _render(self, traces, rows):
        if not traces:
            return Markup("<p class='text-muted'>No trace found.</p>")
        colors = {
            "success": "success",
            "warning": "warning",
            "failure": "danger",
            "skipped": "secondary",
        }
        steps = dict(rows._fields["step"].selection)
        html = []
        for trace in traces:
            html.append(
                Markup(
                    "<h5 class='mt-3'>Trace <code>%s</code></h5><ul class='list-unstyled border-start ps-3'>"
                )
                % trace
            )
            for row in rows.filtered(lambda r, t=trace: r.trace_id == t):
                html.append(
                    Markup(
                        "<li class='mb-2'><span class='badge text-bg-%s'>%s</span> "
                        "<b>%s</b> · %s · %s %s <span class='text-muted'>%s ms</span>"
                        "<br/><small>%s</small></li>"
                    )
                    % (
                        colors.get(row.outcome, "secondary"),
                        escape(row.outcome),
                        escape(steps.get(row.step, row.step)),
                        escape(fields.Datetime.to_string(row.recorded_at)),
                        escape(row.system_id.name or ""),
                        escape(row.external_ref or row.record_name or ""),
                        row.duration_ms,
                        escape(row.message or ""),
                    )
                )
            html.append(Markup("</ul>"))
        return Markup("").join(html)

    @api.private
    @api.model
    def open_for(self, trace_id=None, record=None, query=None):
        vals = {"trace_id": trace_id, "query": query}
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        finder = self.create(vals)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Trace"),
            "res_model": self._name,
            "res_id": finder.id,
            "view_mode": "form",
            "target": "current",
        }
