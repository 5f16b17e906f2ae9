from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib import payload as payload_lib

KINDS = [
    ("stock", "Stock"),
    ("orders", "Orders"),
    ("settlements", "Settlements"),
    ("products", "Products"),
    ("customers", "Customers"),
    ("other", "Other"),
]


def _text(value):
    return "" if value is None else str(value)


class IntegrationReconciliationRun(models.Model):
    """One set-wise comparison of Odoo with a system's snapshot.

    Channel modules fill it: they read the snapshot, call ``add_mismatch`` for
    each difference and ``finish``; they implement ``_heal_<kind>_line`` to
    heal a line automatically, or ``_heal_<kind>_lines`` to heal many at once.
    """

    _name = "integration.reconciliation.run"
    _description = "Reconciliation run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(KINDS, required=True)
    system_id = fields.Many2one("integration.system", required=True, index=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    window_start = fields.Datetime()
    window_end = fields.Datetime()
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        tracking=True,
    )
    started_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    ended_at = fields.Datetime(readonly=True)
    compared_count = fields.Integer("Compared", readonly=True)
    matched_count = fields.Integer("Matched", compute="_compute_counts", store=True)
    mismatched_count = fields.Integer("Mismatched", compute="_compute_counts", store=True)
    healed_count = fields.Integer("Healed", compute="_compute_counts", store=True)
    exception_count = fields.Integer("Exceptions", compute="_compute_counts", store=True)
    line_ids = fields.One2many("integration.reconciliation.line", "run_id", "Mismatches")
    trace_id = fields.Char(default=lambda self: payload_lib.new_trace_id(), readonly=True)
    error = fields.Text(readonly=True)

    @api.depends("kind", "system_id.name", "started_at")
    def _compute_name(self):
        kinds = dict(KINDS)
        for run in self:
            run.name = (
                f"{kinds.get(run.kind, '')} · {run.system_id.name or ''} · "
                f"{fields.Datetime.to_string(run.started_at) or ''}"
            )

    @api.depends("compared_count", "line_ids.resolution")
    def _compute_counts(self):
        for run in self:
            lines = run.line_ids
            run.mismatched_count = len(lines)
            run.matched_count = max(run.compared_count - len(lines), 0)
            run.healed_count = len(lines.filtered(lambda line: line.resolution == "healed"))
            run.exception_count = len(lines.filtered(lambda line: line.resolution == "exception"))

    # ------------------------------------------------------------ service
    @api.private
    @api.model
    def start(self, kind, system, window_start=None, window_end=None):
        system = self.env["integration.system"]._resolve(system)
        return self.sudo().create(
            {
                "kind": kind,
                "system_id": system.id,
                "window_start": window_start,
                "window_end": window_end,
            }
        )

    @api.private
    def add_mismatch(self, key, field_name, odoo_value, external_value, record=None, heal=True):
        """Record one difference; ``heal`` says whether it may heal automatically."""
        return self.add_mismatches(
            [
                {
                    "key": key,
                    "field_name": field_name,
                    "odoo_value": odoo_value,
                    "external_value": external_value,
                    "record": record,
                    "heal": heal,
                }
            ]
        )

    @api.private
    def add_mismatches(self, mismatches):
        """Record many differences in one create (a drifted shop's thousands
        of levels): dicts of ``add_mismatch``'s arguments. The lines."""
        self.ensure_one()
        Line = self.env["integration.reconciliation.line"].sudo()
        return Line.create([self._line_values(mismatch) for mismatch in mismatches])

    def _line_values(self, mismatch):
        record = mismatch.get("record")
        return {
            "run_id": self.id,
            "key": mismatch["key"],
            "field_name": mismatch["field_name"],
            "odoo_value": _text(mismatch["odoo_value"]),
            "external_value": _text(mismatch["external_value"]),
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "resolution": "heal" if mismatch.get("heal", True) else "exception",
        }

    @api.private
    def finish(self, compared_count, error=None):
        """Close the run; mismatches marked to heal are healed, the rest raised."""
        self.ensure_one()
        self.sudo().write(
            {
                "compared_count": compared_count,
                "state": "failed" if error else "done",
                "ended_at": fields.Datetime.now(),
                "error": error or False,
            }
        )
        if not error:
            self.line_ids.filtered(lambda line: line.resolution == "heal")._heal()
            self.line_ids.filtered(
                lambda line: line.resolution == "exception" and not line.exception_id
            )._raise_exception()
        self.env["integration.lineage"].record_step(
            trace_id=self.trace_id,
            step="reconciled",
            system=self.system_id,
            direction="internal",
            outcome="failure" if error else ("warning" if self.line_ids else "success"),
            record=self,
            message=f"{self.compared_count} compared, {self.matched_count} matched, "
            f"{self.mismatched_count} mismatched, {self.healed_count} healed",
        )
        return self

    def _heal_lines(self, lines):
        """The lines healed of ``lines`` (this run's): all at once by the
        channel's ``_heal_<kind>_lines`` when it has one (a heal of thousands
        of stock levels is then a few calls, not one per line), else one by
        one by ``_heal_line``."""
        self.ensure_one()
        method = getattr(self, f"_heal_{self.kind}_lines", None)
        if method is not None:
            return method(lines)
        return lines.filtered(self._heal_line)

    def _heal_line(self, line):
        """Heal one line by the channel's ``_heal_<kind>_line``; False if none."""
        self.ensure_one()
        method = getattr(self, f"_heal_{self.kind}_line", None)
        if method is None:
            return False
        return method(line)

    def action_rerun(self):
        if not self.env.user.has_group("integration_governance.group_integration_manager"):
            raise AccessError(self.env._("Only an Integration Manager can run a reconciliation."))
        raise UserError(self.env._("This kind of run is started by its channel module."))
