from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

from ..lib import journey as journey_lib
from ..lib.vocabulary import OPEN_STATES

# Business documents the finder looks up by their own references.
DOCUMENT_REFS = {
    "sale.order": ["name", "client_order_ref"],
    "stock.picking": ["name", "origin"],
    "account.move": ["name", "ref"],
}


class IntegrationTraceFinder(models.TransientModel):
    """Answers "where is order #1001": finds the journey of any reference of
    any system (or a record, or a trace id) and shows it as lanes per system."""

    _name = "integration.trace.finder"
    _description = "Find a business transaction's journey"

    query = fields.Char(help="An external reference, an Odoo document name or a trace id.")
    trace_id = fields.Char()
    res_model = fields.Char()
    res_id = fields.Integer()
    journey_ids = fields.Many2many("integration.trace", compute="_compute_results")
    lineage_ids = fields.Many2many("integration.lineage", compute="_compute_results")
    exception_ids = fields.Many2many("integration.exception", compute="_compute_results")
    trace_count = fields.Integer("Journeys", compute="_compute_results")
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
        return list(dict.fromkeys(rows.mapped("trace_id")))

    @api.private
    @api.model
    def find_journeys(self, query=None, record=None):
        """The journeys (``integration.trace`` roots) of a reference or record."""
        Trace = self.env["integration.trace"]
        records = [record] if record else self._documents_of(query)
        journeys = Trace.journeys_of(self.find_traces(query=query, record=record))
        for found in records:
            journeys |= Trace.journey_of_record(found)
            journeys |= Trace.journeys_of(self.find_traces(record=found))
        return journeys

    @api.model
    def _documents_of(self, query):
        """Business documents whose own reference is ``query`` (S00025, #1001)."""
        if not query:
            return []
        query = query.strip()
        found = []
        for model, names in DOCUMENT_REFS.items():
            if not self.env[model].has_access("read"):
                continue
            domain = []
            for name in names:
                domain = (["|"] if domain else []) + domain + [(name, "=ilike", query)]
            found.extend(self.env[model].search(domain, limit=5))
        return found

    @api.depends("query", "trace_id", "res_model", "res_id")
    def _compute_results(self):
        Lineage = self.env["integration.lineage"]
        Trace = self.env["integration.trace"]
        for finder in self:
            # What the user typed wins over what the finder was opened with.
            if finder.query:
                journeys = self.find_journeys(query=finder.query)
            elif finder.trace_id:
                journeys = Trace.journeys_of([finder.trace_id])
            elif finder.res_model and finder.res_id:
                record = self.env[finder.res_model].browse(finder.res_id)
                journeys = self.find_journeys(record=record)
            else:
                journeys = Trace
            trace_ids = [t for j in journeys for t in j._journey_trace_ids()]
            finder.journey_ids = journeys
            finder.lineage_ids = Lineage.search([("trace_id", "in", trace_ids)], order="id")
            finder.exception_ids = self.env["integration.exception"].search(
                [("trace_id", "in", trace_ids)]
            )
            finder.trace_count = len(journeys)
            finder.timeline = finder._render(journeys)

    def _render(self, journeys):
        if not journeys:
            return Markup("<p class='text-muted'>No journey found.</p>")
        labels = dict(self.env["integration.lineage"]._fields["step"].selection)
        html = []
        for journey in journeys:
            trace_ids = journey._journey_trace_ids()
            rows = self.lineage_ids.filtered(lambda r, ids=trace_ids: r.trace_id in ids)
            exceptions = self.exception_ids.filtered(lambda e, ids=trace_ids: e.trace_id in ids)
            html.append(
                journey_lib.render(
                    self._subject_vals(journey),
                    [self._step_vals(row) for row in rows.sorted("id")],
                    [self._exception_vals(exc) for exc in exceptions],
                    labels,
                )
            )
        return Markup("<hr/>").join(html)

    def _subject_vals(self, journey):
        record = journey._subject_record()
        return {
            "name": journey.name,
            "url": record and f"/odoo/{record._name}/{record.id}",
            "partner": journey.partner_id.display_name,
            "amount": journey.amount_total
            and format_amount(self.env, journey.amount_total, journey.currency_id),
            "references": journey.references,
            "trace_ids": ", ".join(journey._journey_trace_ids()),
        }

    def _step_vals(self, row):
        return {
            "at": row.recorded_at,
            "step": row.step,
            "system": row.system_id.name,
            "direction": row.direction,
            "outcome": row.outcome,
            "duration_ms": row.duration_ms,
            "message": row.message,
            "ref": row.external_ref,
            "record": row.record_name,
            "url": row.res_model and row.res_id and f"/odoo/{row.res_model}/{row.res_id}",
        }

    def _exception_vals(self, exception):
        states = dict(exception._fields["state"].selection)
        return {
            "name": exception.display_name,
            "url": f"/odoo/integration.exception/{exception.id}",
            "state": states.get(exception.state, exception.state),
            "owner": exception.team_id.display_name,
            "sla": exception.sla_left if exception.state in OPEN_STATES else "",
            "breached": exception.sla_breached,
        }

    def action_find(self):
        """The Find button: the form saves the query, which makes the journey's
        links navigable (a dirty form would hold them back)."""
        self.ensure_one()
        return True

    @api.private
    @api.model
    def open_for(self, trace_id=None, record=None, query=None):
        vals = {"trace_id": trace_id, "query": query}
        if record:
            vals.update(res_model=record._name, res_id=record.id)
        finder = self.create(vals)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Journey"),
            "res_model": self._name,
            "res_id": finder.id,
            "view_mode": "form",
            "target": "current",
        }
