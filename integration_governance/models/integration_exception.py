import contextlib
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib import payload as payload_lib
from ..lib.vocabulary import (
    BUSINESS_OBJECTS,
    EXCEPTION_CATEGORIES,
    EXCEPTION_STATES,
    OPEN_STATES,
    SEVERITIES,
    SEVERITY_RANK,
)
from .integration_dry_run_recorder import DRY_RUN_JOURNAL

DEFAULT_RETENTION_DAYS = 30
MANAGER_GROUP = "integration_governance.group_integration_manager"
# Recorded by the pipeline and changed by the service and the actions only
# (a user's direct write of the payload would skip the edit-and-replay's
# second approval; of the source, would replay another record).
PIPELINE_FIELDS = frozenset(
    {
        "state",
        "category",
        "payload",
        "payload_purged",
        "violations",
        "source_model",
        "source_id",
        "res_model",
        "res_id",
        "contract_id",
        "contract_version_id",
        "fingerprint",
        "occurrence_count",
        "first_seen",
        "last_seen",
        "escalated_on",
        "replay_count",
        "last_replay_error",
        "dry_run_report",
        "trace_id",
        "job_uuid",
        "system_id",
        "company_id",
    }
)


class IntegrationException(models.Model):
    """A failed exchange that a named team must resolve within an SLA.

    Occurrences of the same problem (same fingerprint) fold into one open
    exception with a counter, so a broken SKU on 500 orders is one line.
    """

    _name = "integration.exception"
    _description = "Integration exception"
    _inherit = ["mail.thread", "mail.activity.mixin", "integration.sla.clock.mixin"]
    _order = "impact_amount desc, severity_rank desc, sla_deadline asc, id desc"

    name = fields.Char(required=True)
    message = fields.Text()
    category = fields.Selection(EXCEPTION_CATEGORIES, required=True, index=True)
    severity = fields.Selection(SEVERITIES, required=True, default="medium", tracking=True)
    severity_rank = fields.Integer(compute="_compute_severity_rank", store=True)
    state = fields.Selection(
        EXCEPTION_STATES, required=True, default="new", tracking=True, index=True
    )
    system_id = fields.Many2one("integration.system", "Source system", index=True)
    business_object = fields.Selection(BUSINESS_OBJECTS, index=True)
    external_ref = fields.Char("External reference", index=True)
    res_model = fields.Char("Related model", index=True)
    res_id = fields.Many2oneReference("Related record id", model_field="res_model")
    related_record = fields.Reference(
        selection="_selection_target_model", compute="_compute_references"
    )
    source_model = fields.Char("Source model")
    source_id = fields.Many2oneReference("Source record id", model_field="source_model")
    source_record = fields.Reference(
        selection="_selection_target_model", compute="_compute_references"
    )
    job_uuid = fields.Char("Job", index=True)
    contract_id = fields.Many2one("integration.contract", index=True)
    contract_version_id = fields.Many2one("integration.contract.version")
    violations = fields.Json()
    violations_text = fields.Text("Violation list", compute="_compute_violations_text")
    payload = fields.Json(copy=False)
    payload_text = fields.Text("Payload (JSON)", compute="_compute_payload_text")
    payload_purged = fields.Boolean(readonly=True, copy=False)
    retention_until = fields.Datetime(compute="_compute_retention_until", store=True)
    fingerprint = fields.Char(index=True, readonly=True)
    occurrence_count = fields.Integer("Occurrences", default=1, readonly=True)
    first_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    last_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    team_id = fields.Many2one("integration.team", "Owner team", tracking=True, index=True)
    user_id = fields.Many2one("res.users", "Assigned to", tracking=True)
    sla_deadline = fields.Datetime("SLA deadline", tracking=True)
    sla_breached = fields.Boolean(
        "SLA breached", compute="_compute_sla_breached", search="_search_sla_breached"
    )
    escalated_on = fields.Datetime(readonly=True, copy=False)
    impact_amount = fields.Monetary("Impact", currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    trace_id = fields.Char(index=True)
    transition_ids = fields.One2many("integration.exception.transition", "exception_id")
    edit_ids = fields.One2many("integration.exception.edit", "exception_id")
    replay_count = fields.Integer(readonly=True, copy=False)
    last_replay_error = fields.Text(readonly=True, copy=False)
    dry_run_report = fields.Text(readonly=True, copy=False)
    age_days = fields.Integer(compute="_compute_age_days")

    _open_fingerprint_unique = models.UniqueIndex(
        "(fingerprint) WHERE state IN ('new', 'in_progress')",
        "One open exception per fingerprint.",
    )

    # ----------------------------------------------------------- computes
    @api.model
    def _selection_target_model(self):
        return [(m.model, m.name) for m in self.env["ir.model"].sudo().search([])]

    @api.depends("severity")
    def _compute_severity_rank(self):
        for rec in self:
            rec.severity_rank = SEVERITY_RANK.get(rec.severity, 0)

    @api.depends("res_model", "res_id", "source_model", "source_id")
    def _compute_references(self):
        for rec in self:
            rec.related_record = (
                f"{rec.res_model},{rec.res_id}"
                if rec.res_model in self.env and rec.res_id
                else False
            )
            rec.source_record = (
                f"{rec.source_model},{rec.source_id}"
                if rec.source_model in self.env and rec.source_id
                else False
            )

    @api.depends("violations")
    def _compute_violations_text(self):
        for rec in self:
            rec.violations_text = "\n".join(
                f"{v.get('path', v.get('field', '$'))}: {v.get('message')}"
                for v in rec.violations or []
            )

    @api.depends("payload")
    def _compute_payload_text(self):
        for rec in self:
            rec.payload_text = payload_lib.pretty(rec.payload) if rec._has_payload() else False

    @api.depends("first_seen", "contract_version_id.retention_days")
    def _compute_retention_until(self):
        default = self._default_retention_days()
        for rec in self:
            days = rec.contract_version_id.retention_days or default
            rec.retention_until = (rec.first_seen or fields.Datetime.now()) + timedelta(days=days)

    @api.depends("sla_deadline", "state")
    def _compute_sla_breached(self):
        now = fields.Datetime.now()
        for rec in self:
            rec.sla_breached = bool(
                rec.state in OPEN_STATES and rec.sla_deadline and rec.sla_deadline < now
            )

    def _search_sla_breached(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on SLA breached."))
        breached = [
            ("state", "in", OPEN_STATES),
            ("sla_deadline", "<", fields.Datetime.now()),
        ]
        positive = (operator == "=") == value
        return breached if positive else ["!", "&"] + breached

    @api.depends("first_seen")
    def _compute_age_days(self):
        now = fields.Datetime.now()
        for rec in self:
            rec.age_days = (now - rec.first_seen).days if rec.first_seen else 0

    @api.model
    def _default_retention_days(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("integration_governance.payload_retention_days")
        )
        return int(param) if param else DEFAULT_RETENTION_DAYS

    # -------------------------------------------------------- the service
    @api.private
    @api.model
    def raise_exception(
        self,
        category,
        message,
        *,
        severity="medium",
        system=None,
        business_object=None,
        external_ref=None,
        record=None,
        source=None,
        job_uuid=None,
        payload=None,
        violations=None,
        contract_version=None,
        impact_amount=0.0,
        currency=None,
        trace_id=None,
        fingerprint_parts=None,
        name=None,
    ):
        """Raise a problem into the queue; returns the (possibly grouped) exception.

        Routing picks the owner team, the team's policy sets the SLA deadline,
        and an open exception with the same fingerprint absorbs the occurrence.
        """
        Exc = self.sudo()
        system = self.env["integration.system"]._resolve(system)
        fingerprint = payload_lib.fingerprint(
            *(
                fingerprint_parts
                or [
                    category,
                    system.code,
                    business_object,
                    external_ref,
                    source._name if source else None,
                    ",".join(v.get("path", "") for v in violations or []),
                    (message or "").splitlines()[0] if message else "",
                ]
            )
        )
        # Serialise occurrences of one fingerprint across workers.
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"integration.exception:{fingerprint}"],
        )
        now = fields.Datetime.now()
        existing = Exc.search(
            [("fingerprint", "=", fingerprint), ("state", "in", OPEN_STATES)], limit=1
        )
        if existing:
            values = {
                "occurrence_count": existing.occurrence_count + 1,
                "last_seen": now,
                "impact_amount": max(existing.impact_amount, impact_amount or 0.0),
            }
            if payload is not None:
                values.update(payload=payload, payload_purged=False)
            if violations is not None:
                values["violations"] = violations
            existing.write(values)
            return existing
        route = self.env["integration.exception.route"]._match(category, business_object, system)
        severity = route.severity or severity
        team = route.team_id
        if not team and contract_version:
            team = contract_version.contract_id.owner_team_id
        hours = team._sla_hours(severity) if team else 24.0
        vals = {
            "name": name or (message or category).splitlines()[0][:200],
            "message": message,
            "category": category,
            "severity": severity,
            "system_id": system.id or False,
            "business_object": business_object,
            "external_ref": external_ref,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "source_model": source._name if source else False,
            "source_id": source.id if source else False,
            "job_uuid": job_uuid,
            "payload": payload,
            "violations": violations,
            "contract_version_id": contract_version.id if contract_version else False,
            "contract_id": contract_version.contract_id.id if contract_version else False,
            "impact_amount": impact_amount or 0.0,
            "trace_id": trace_id,
            "fingerprint": fingerprint,
            "team_id": team.id,
            "sla_deadline": now + timedelta(hours=hours),
            "first_seen": now,
            "last_seen": now,
        }
        if currency:
            vals["currency_id"] = currency.id
        exception = Exc.create(vals)
        self.env["integration.lineage"].record_step(
            trace_id=trace_id,
            step="exception",
            system=system,
            outcome="failure",
            external_ref=external_ref,
            record=record,
            exception=exception,
            message=exception.name,
        )
        return exception

    # ------------------------------------------------------------ writes
    def write(self, vals):
        """What the pipeline recorded (payload, source, state...) changes only
        through the service and the actions, which log why; a user edits the
        working fields (assignee, team, severity, deadline) of their teams'
        exceptions, a manager anything."""
        protected = PIPELINE_FIELDS & set(vals)
        if protected and not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._(
                    "Changed only by the integration pipeline or its actions, not by hand: %s",
                    ", ".join(sorted(protected)),
                )
            )
        return super().write(vals)

    # ------------------------------------------------------ state changes
    def _set_state(self, state, reason):
        if not reason:
            raise UserError(self.env._("Give a reason for this change."))
        # The right to change the state is the right to work the exception.
        self.check_access("write")
        for rec in self:
            if rec.state == state:
                continue
            self.env["integration.exception.transition"].sudo().create(
                {
                    "exception_id": rec.id,
                    "from_state": rec.state,
                    "to_state": state,
                    "reason": reason,
                }
            )
            labels = dict(EXCEPTION_STATES)
            body = f"{labels[rec.state]} → {labels[state]}: {reason}"
            rec.sudo().state = state
            rec.message_post(body=body)

    @api.model
    def action_open_queue(self):
        """The queue as a to-do list: an Integration User lands on their
        teams' open exceptions, most urgent first; a manager on all open ones."""
        if not self.env.user.has_group("integration_governance.group_integration_user"):
            raise AccessError(self.env._("Only Integration Users work the exception queue."))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "integration_governance.action_integration_exception"
        )
        context = {"search_default_open": 1}
        if not self.env.user.has_group("integration_governance.group_integration_manager"):
            context["search_default_my_teams"] = 1
        action["context"] = context
        return action

    def action_take(self):
        for rec in self:
            if rec.state not in OPEN_STATES:
                raise UserError(self.env._("Only an open exception can be taken."))
            rec.user_id = self.env.user
            rec._set_state("in_progress", self.env._("Taken by %s", self.env.user.name))
        return True

    def action_resolve(self, reason):
        self._check_open()
        self._set_state("resolved", reason)
        return True

    def action_ignore(self, reason):
        self._check_open()
        self._set_state("ignored", reason)
        return True

    def action_reopen(self, reason):
        closed = self.filtered(lambda r: r.state not in OPEN_STATES)
        closed._set_state("new", reason)
        return True

    def _check_open(self):
        closed = self.filtered(lambda r: r.state not in OPEN_STATES)
        if closed:
            raise UserError(self.env._("Already closed: %s", ", ".join(closed.mapped("name"))))

    def _open_state_wizard(self, target):
        return {
            "type": "ir.actions.act_window",
            "res_model": "integration.exception.state.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_exception_ids": self.ids,
                "default_target_state": target,
            },
        }

    def action_resolve_wizard(self):
        return self._open_state_wizard("resolved")

    def action_ignore_wizard(self):
        return self._open_state_wizard("ignored")

    def action_reopen_wizard(self):
        return self._open_state_wizard("new")

    # -------------------------------------------------------------- replay
    def _source(self):
        self.ensure_one()
        if not self.source_model or self.source_model not in self.env:
            raise UserError(self.env._("Exception %s has no source record to replay.", self.name))
        # Replay re-runs the pipeline, which runs as its technical user; the
        # right to ask for it is the right to work this exception.
        self.check_access("write")
        source = self.env[self.source_model].sudo().browse(self.source_id).exists()
        if not source:
            raise UserError(self.env._("The source record of %s is gone.", self.name))
        if not isinstance(source, self.env.registry["integration.replayable.mixin"]):
            raise UserError(self.env._("%s records cannot be replayed.", self.source_model))
        return source

    def _replay_payload(self, payload=None):
        if payload is not None:
            return payload
        if self._has_payload():
            return self.payload
        if self.payload_purged:
            raise UserError(self.env._("The payload of %s was purged (retention).", self.name))
        return self._source()._integration_replay_payload()

    def _check_contract(self, payload):
        version = self.contract_id.active_version_id or self.contract_version_id
        if not version or payload is None:
            return []
        return version.validate(payload)

    def _lock(self):
        """Take this exception's row lock, or refuse: one replay at a time."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM integration_exception WHERE id IN %s FOR UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except psycopg2.errors.LockNotAvailable as error:
            raise UserError(
                self.env._("Another user is replaying this exception right now.")
            ) from error

    def _replay(self, payload=None, reason=None):
        """Replay through the source record; True on success.

        A failure rolls back the attempt (savepoint), counts it and keeps the
        exception open with the error.
        """
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(self.env._("%s is closed: reopen it first.", self.name))
        self._lock()
        source = self._source()
        payload = self._replay_payload(payload)
        found = self._check_contract(payload)
        if found:
            raise UserError(
                self.env._(
                    "The payload still breaks its contract:\n%s",
                    "\n".join(f"{v['path']}: {v['message']}" for v in found),
                )
            )
        try:
            with self.env.cr.savepoint():
                result = source._integration_replay(self, payload)
        except Exception as error:
            self.sudo().write(
                {"replay_count": self.replay_count + 1, "last_replay_error": str(error)}
            )
            self.message_post(body=self.env._("Replay failed: %s", error))
            self.env["integration.lineage"].record_step(
                trace_id=self.trace_id,
                step="replayed",
                system=self.system_id,
                outcome="failure",
                external_ref=self.external_ref,
                exception=self,
                message=str(error),
            )
            return False
        values = {"replay_count": self.replay_count + 1, "last_replay_error": False}
        if isinstance(result, models.BaseModel) and len(result) == 1:
            values.update(res_model=result._name, res_id=result.id)
        self.sudo().write(values)
        self._set_state("replayed", reason or self.env._("Replayed successfully."))
        self.env["integration.lineage"].record_step(
            trace_id=self.trace_id,
            step="replayed",
            system=self.system_id,
            outcome="success",
            external_ref=self.external_ref,
            record=result if isinstance(result, models.BaseModel) else None,
            exception=self,
            message=reason or "Replayed",
        )
        return True

    def action_replay(self):
        failed = self.browse()
        for rec in self:
            if not rec._replay():
                failed |= rec
        if failed:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "title": self.env._("Replay failed"),
                    "message": "\n".join(f"{f.name}: {f.last_replay_error}" for f in failed),
                    "sticky": True,
                },
            }
        return True

    def action_bulk_replay(self):
        """Replay every open selected exception; the failed ones stay open."""
        return self.filtered(lambda r: r.state in OPEN_STATES).action_replay()

    @api.private
    def dry_run(self, payload=None):
        """Run the replay in a savepoint that is always rolled back.

        Returns the journal of creates, writes and unlinks it would make (and
        the error it would end on), and stores a readable report.
        """
        self.ensure_one()
        source = self._source()
        payload = self._replay_payload(payload)
        journal = []
        error = None
        token = DRY_RUN_JOURNAL.set(journal)
        try:
            with contextlib.closing(self.env.cr.savepoint()):
                try:
                    source._integration_replay(self, payload)
                    self.env.flush_all()
                except Exception as exc:
                    error = str(exc)
        finally:
            DRY_RUN_JOURNAL.reset(token)
            self.env.invalidate_all()
        journal = [j for j in journal if not j["model"].startswith(("mail.", "bus."))]
        lines = [
            f"{j['operation']} {j['model']}({j['id']}): "
            + ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in j["changes"].items())
            for j in journal
        ]
        if error:
            lines.append(f"would fail: {error}")
        if not lines:
            lines.append("no change")
        self.sudo().dry_run_report = "\n".join(lines)
        return {"changes": journal, "error": error}

    def action_dry_run(self):
        self.dry_run()
        return True

    def action_edit_and_replay(self):
        self.ensure_one()
        payload = self._replay_payload()
        edit = self.env["integration.exception.edit"].create(
            {
                "exception_id": self.id,
                "payload_before": payload_lib.pretty(payload),
                "payload_after": payload_lib.pretty(payload),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "integration.exception.edit",
            "res_id": edit.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_related(self):
        self.ensure_one()
        if not self.related_record:
            raise UserError(self.env._("No related record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_open_trace(self):
        self.ensure_one()
        return self.env["integration.trace.finder"].open_for(trace_id=self.trace_id)

    # ----------------------------------------------------------- crons
    @api.model
    def _cron_escalate_sla_breaches(self):
        """Escalate every open exception past its SLA to its team lead, once."""
        breached = self.sudo().search(
            [
                ("state", "in", OPEN_STATES),
                ("sla_deadline", "<", fields.Datetime.now()),
                ("escalated_on", "=", False),
            ]
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        for rec in breached:
            lead = rec.team_id.lead_id
            if lead:
                rec.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=self.env._("SLA breached: %s", rec.name),
                    note=self.env._(
                        "Exception %(name)s passed its SLA deadline %(deadline)s.",
                        name=rec.name,
                        deadline=rec.sla_deadline,
                    ),
                    user_id=lead.id,
                )
            rec.message_post(
                body=self.env._("SLA breached; escalated to %s.", lead.name or "nobody (no lead)")
            )
            rec.escalated_on = fields.Datetime.now()
        return breached

    @api.model
    def _cron_purge_payloads(self):
        """Drop payload copies past their retention; the exception itself stays."""
        expired = (
            self.sudo()
            .search(
                [
                    ("payload_purged", "=", False),
                    ("retention_until", "<", fields.Datetime.now()),
                ]
            )
            .filtered(lambda r: r._has_payload())
        )
        expired.write({"payload": False, "payload_purged": True})
        edits = (
            self.env["integration.exception.edit"]
            .sudo()
            .search([("exception_id", "in", expired.ids)])
        )
        edits.write({"payload_before": False, "payload_after": False, "purged": True})
        return expired

    @api.model
    def _for_record(self, record):
        return self.search([("res_model", "=", record._name), ("res_id", "=", record.id)])

    def _has_payload(self):
        """Json fields read an empty value as False."""
        return self.payload not in (None, False)
