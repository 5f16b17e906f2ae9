import contextlib
import contextvars
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib import payload as payload_lib
from ..lib.vocabulary import DIRECTIONS

# Set only by the retention purge: the one path allowed to delete rows.
_PURGING = contextvars.ContextVar("integration_lineage_purging", default=False)
# Steps recorded inside ``_batched()``, written in one insert when it ends.
_BATCH = contextvars.ContextVar("integration_lineage_batch", default=None)
# Set only by ``record_step(s)``: the one path allowed to create rows.
_RECORDING = contextvars.ContextVar("integration_lineage_recording", default=False)

STEPS = [
    ("received", "Received"),
    ("validated", "Contract checked"),
    ("mapped", "Mapped"),
    ("filtered", "System-of-record filter"),
    ("imported", "Imported"),
    ("exported", "Exported"),
    ("sent", "Sent"),
    ("acknowledged", "Acknowledged"),
    ("exception", "Exception"),
    ("replayed", "Replayed"),
    ("ignored", "Ignored"),
    ("reconciled", "Reconciled"),
    ("note", "Note"),
]
OUTCOMES = [
    ("success", "Success"),
    ("warning", "Warning"),
    ("failure", "Failure"),
    ("skipped", "Skipped"),
]
# The columns a row's hash covers, in a fixed order.
CHAINED_FIELDS = (
    "trace_id",
    "step",
    "recorded_at",
    "system_code",
    "external_ref",
    "res_model",
    "res_id",
    "direction",
    "outcome",
    "duration_ms",
    "message",
    "exception_id",
    "job_uuid",
    "source_model",
    "source_id",
)


class IntegrationLineage(models.Model):
    """Append-only log of every step a business transaction took.

    Rows of one trace are hash-chained, so a row changed behind the ORM's
    back is found by ``check_chain``.
    """

    _name = "integration.lineage"
    _description = "Integration lineage step"
    _order = "id desc"
    _rec_name = "step"

    trace_id = fields.Char(required=True, index=True, readonly=True)
    recorded_at = fields.Datetime(required=True, readonly=True, index=True)
    step = fields.Selection(STEPS, required=True, readonly=True)
    system_id = fields.Many2one("integration.system", readonly=True, index=True)
    system_code = fields.Char(readonly=True)
    external_ref = fields.Char("External reference", readonly=True, index=True)
    res_model = fields.Char("Odoo model", readonly=True, index=True)
    res_id = fields.Many2oneReference("Odoo record", model_field="res_model", readonly=True)
    record_name = fields.Char(readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, default="success", readonly=True)
    duration_ms = fields.Integer("Duration (ms)", readonly=True)
    message = fields.Text(readonly=True)
    exception_id = fields.Many2one("integration.exception", readonly=True, index="btree_not_null")
    job_uuid = fields.Char("Job", readonly=True)
    source_model = fields.Char(readonly=True, help="Event or message model")
    source_id = fields.Many2oneReference(model_field="source_model", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    prev_hash = fields.Char(readonly=True)
    row_hash = fields.Char(readonly=True)

    _trace_order_idx = models.Index("(trace_id, id)")
    _record_idx = models.Index("(res_model, res_id)")

    # ------------------------------------------------------------ service
    @api.private
    @api.model
    def record_step(self, step, **kwargs):
        """Append one step to a trace (a new trace when ``trace_id`` is empty).

        Keywords are those of ``_step_vals``. Inside ``_batched()`` the step is
        queued and an empty recordset returned.
        """
        batch = _BATCH.get()
        if batch is not None:
            batch.append({"step": step, **kwargs})
            return self.browse()
        return self._insert([self._step_vals(step, **kwargs)])

    @api.model
    @contextlib.contextmanager
    def _batched(self):
        """Queue the steps recorded inside, then write them in order in one
        insert (one lock and one tail read per trace instead of one per step).

        Records a rolled-back savepoint created are dropped from the steps.
        """
        if _BATCH.get() is not None:
            yield
            return
        steps = []
        token = _BATCH.set(steps)
        try:
            yield
        finally:
            _BATCH.reset(token)
            # Which records still exist: one query per model, not per record.
            keys = ("record", "exception", "source")
            ids_by_model = {}
            for kwargs in steps:
                for key in keys:
                    if kwargs.get(key):
                        ids_by_model.setdefault(kwargs[key]._name, set()).update(kwargs[key].ids)
            alive = {
                model: set(self.env[model].browse(ids).exists().ids)
                for model, ids in ids_by_model.items()
            }
            for kwargs in steps:
                for key in keys:
                    record = kwargs.get(key)
                    if record:
                        kwargs[key] = record.browse(
                            [id_ for id_ in record.ids if id_ in alive[record._name]]
                        )
            self.record_steps(steps)

    @api.private
    @api.model
    def record_steps(self, steps):
        """Append several steps at once (one lock and one insert per trace):
        ``steps`` is a list of ``record_step`` keyword dicts."""
        if not steps:
            return self.browse()
        return self._insert([self._step_vals(**kwargs) for kwargs in steps])

    @api.model
    def _insert(self, vals_list):
        token = _RECORDING.set(True)
        try:
            return self.sudo().create(vals_list)
        finally:
            _RECORDING.reset(token)

    @api.model
    def _step_vals(
        self,
        step,
        *,
        trace_id=None,
        system=None,
        direction="inbound",
        outcome="success",
        external_ref=None,
        record=None,
        duration_ms=0,
        message=None,
        exception=None,
        job_uuid=None,
        source=None,
    ):
        system = self.env["integration.system"]._resolve(system)
        return {
            "trace_id": trace_id or payload_lib.new_trace_id(),
            "step": step,
            "system_id": system.id or False,
            "direction": direction,
            "outcome": outcome,
            "external_ref": external_ref or False,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "record_name": record.display_name if record else False,
            "duration_ms": int(duration_ms or 0),
            "message": message or False,
            "exception_id": exception.id if exception else False,
            "job_uuid": job_uuid or False,
            "source_model": source._name if source else False,
            "source_id": source.id if source else False,
            "company_id": self.env.company.id,
        }

    @api.model_create_multi
    def create(self, vals_list):
        """Stamp each row with its time and hash, chained to its trace's tail."""
        if not _RECORDING.get():
            raise AccessError(
                self.env._("Lineage steps are recorded by the integration services only.")
            )
        systems = self.env["integration.system"].sudo()
        key = self._chain_key()
        for vals in vals_list:
            vals["trace_id"] = vals.get("trace_id") or payload_lib.new_trace_id()
        tails = self._chain_tails([vals["trace_id"] for vals in vals_list])
        for vals in vals_list:
            trace_id = vals["trace_id"]
            vals["recorded_at"] = fields.Datetime.now()
            vals["system_code"] = (
                systems.browse(vals["system_id"]).code if vals.get("system_id") else False
            )
            vals["prev_hash"] = tails[trace_id]
            vals["row_hash"] = payload_lib.chain_hash(vals["prev_hash"], _chained(vals), key)
            tails[trace_id] = vals["row_hash"]
        rows = super().create(vals_list)
        self.env["integration.trace"]._register_steps(vals_list)
        return rows

    @api.model
    def _chain_key(self):
        """The database's secret keys the chain: a row written behind the
        services' back, even with a well-formed hash, does not verify."""
        return self.env["ir.config_parameter"].sudo().get_param("database.secret") or ""

    def _chain_tails(self, trace_ids):
        """{trace: the hash of its last row} for these traces, each locked for
        this transaction first: one writer per trace at a time, so two workers
        never fork a chain. One statement locks them all, in sorted order (two
        batches sharing traces never deadlock), and one reads every tail."""
        traces = sorted(set(trace_ids))
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('integration.lineage:' || t, 0)) "
            "FROM unnest(%s::varchar[]) AS t",
            [traces],
        )
        self.flush_model()
        self.env.cr.execute(
            "SELECT t, (SELECT row_hash FROM integration_lineage WHERE trace_id = t "
            "           ORDER BY id DESC LIMIT 1) "
            "FROM unnest(%s::varchar[]) AS t",
            [traces],
        )
        return {trace: tail or "" for trace, tail in self.env.cr.fetchall()}

    def write(self, vals):  # pylint: disable=method-required-super  # append-only: no write at all
        raise UserError(self.env._("Lineage is append-only: steps cannot be changed."))

    def unlink(self):
        if not _PURGING.get():
            raise UserError(
                self.env._("Lineage is append-only: only the retention purge deletes steps.")
            )
        return super().unlink()

    # -------------------------------------------------------------- checks
    @api.private
    @api.model
    def check_chain(self, trace_ids=None):
        """Every break in the hash chains of ``trace_ids`` (all when None).

        Returns a list of ``{"trace_id", "lineage_id", "reason"}``.
        """
        where, params = "", []
        if trace_ids is not None:
            where, params = "WHERE trace_id = ANY(%s)", [list(trace_ids)]
        columns = ", ".join(("id", "prev_hash", "row_hash") + CHAINED_FIELDS)
        self.flush_model()
        self.env.cr.execute(
            f"SELECT {columns} FROM integration_lineage {where} ORDER BY trace_id, id",
            params,
        )
        breaks, previous = [], {}
        key = self._chain_key()
        for row in self.env.cr.dictfetchall():
            trace = row["trace_id"]
            expected_prev = previous.get(trace, "")
            values = dict(row)
            values["recorded_at"] = fields.Datetime.to_string(row["recorded_at"])
            if (row["prev_hash"] or "") != expected_prev:
                breaks.append(
                    {
                        "trace_id": trace,
                        "lineage_id": row["id"],
                        "reason": "chain broken: a row before it is missing or changed",
                    }
                )
            elif payload_lib.chain_hash(expected_prev, _chained(values), key) != row["row_hash"]:
                breaks.append(
                    {
                        "trace_id": trace,
                        "lineage_id": row["id"],
                        "reason": "row changed after it was recorded",
                    }
                )
            previous[trace] = row["row_hash"]
        return breaks

    @api.model
    def _rekey_chains(self):
        """Upgrade from unkeyed chains (19.0.1.0.0): re-hash with the database
        secret every row that verifies under the old, unkeyed hash. A trace is
        re-keyed up to its first old break only, so a break stays a break.
        Returns the number of rows re-keyed."""
        columns = SQL(", ").join(
            SQL.identifier(c) for c in ("id", "prev_hash", "row_hash") + CHAINED_FIELDS
        )
        self.flush_model()
        self.env.cr.execute(
            SQL("SELECT %s FROM integration_lineage ORDER BY trace_id, id", columns)
        )
        key = self._chain_key()
        old_tail, new_tail, broken, updates = {}, {}, set(), []
        for row in self.env.cr.dictfetchall():
            trace = row["trace_id"]
            if trace in broken:
                continue
            values = dict(row)
            values["recorded_at"] = fields.Datetime.to_string(row["recorded_at"])
            expected_prev = old_tail.get(trace, "")
            chained = _chained(values)
            if (row["prev_hash"] or "") != expected_prev or payload_lib.chain_hash(
                expected_prev, chained
            ) != row["row_hash"]:
                broken.add(trace)
                continue
            old_tail[trace] = row["row_hash"]
            prev = new_tail.get(trace, "")
            new_tail[trace] = payload_lib.chain_hash(prev, chained, key)
            updates.append((prev, new_tail[trace], row["id"]))
        for prev, row_hash, row_id in updates:
            self.env.cr.execute(
                "UPDATE integration_lineage SET prev_hash = %s, row_hash = %s WHERE id = %s",
                [prev, row_hash, row_id],
            )
        self.invalidate_model(["prev_hash", "row_hash"])
        return len(updates)

    def action_check_chain(self):
        """UI: check the chains of the selected steps' traces (a manager may
        check every trace)."""
        user = self.env.user
        if not user.has_group("integration_governance.group_integration_user"):
            raise AccessError(self.env._("Only integration users can check lineage."))
        self.check_access("read")
        if not self and not user.has_group("integration_governance.group_integration_manager"):
            raise AccessError(self.env._("Only an Integration Manager can check every trace."))
        traces = set(self.mapped("trace_id")) or None
        breaks = self.check_chain(traces)
        message = (
            self.env._(
                "%(count)s break(s): %(breaks)s",
                count=len(breaks),
                breaks=", ".join(f"#{b['lineage_id']} ({b['reason']})" for b in breaks[:20]),
            )
            if breaks
            else self.env._("Every hash chain checked is intact.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "danger" if breaks else "success",
                "title": self.env._("Lineage hash chain"),
                "message": message,
                "sticky": bool(breaks),
            },
        }

    # ---------------------------------------------------------- retention
    @api.model
    def _retention_days(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("integration_governance.lineage_retention_days")
        )
        return int(param) if param else 365

    @api.model
    def _cron_purge(self):
        """Delete whole traces whose last step is past retention (chains stay whole)."""
        limit = fields.Datetime.now() - timedelta(days=self._retention_days())
        self.flush_model()
        self.env.cr.execute(
            "SELECT trace_id FROM integration_lineage GROUP BY trace_id "
            "HAVING MAX(recorded_at) < %s",
            [limit],
        )
        traces = [r[0] for r in self.env.cr.fetchall()]
        if not traces:
            return 0
        rows = self.sudo().search([("trace_id", "in", traces)])
        token = _PURGING.set(True)
        try:
            rows.unlink()
        finally:
            _PURGING.reset(token)
        return len(traces)

    # ---------------------------------------------------------------- UI
    def action_open_trace(self):
        self.ensure_one()
        return self.env["integration.trace.finder"].open_for(trace_id=self.trace_id)

    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This step has no Odoo record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }


def _chained(values):
    """The hashed part of a row, normalised the same way on write and on check."""
    out = {}
    for name in CHAINED_FIELDS:
        value = values.get(name)
        if name == "recorded_at" and value and not isinstance(value, str):
            value = fields.Datetime.to_string(value)
        if value in (False, None, ""):
            value = None
        if name in ("res_id", "duration_ms", "exception_id", "source_id") and value is not None:
            value = int(value)
        if name in ("res_id", "duration_ms", "exception_id", "source_id") and value == 0:
            value = None
        out[name] = value
    return out
