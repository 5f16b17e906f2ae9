import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib import payload as payload_lib

EDIT_STATES = [
    ("draft", "Draft"),
    ("pending", "Waiting for approval"),
    ("approved", "Approved"),
    ("applied", "Replayed"),
    ("failed", "Replay failed"),
    ("rejected", "Rejected"),
]


# Set by the workflow (apply, approve, reject) only, never by a direct write.
EDIT_LIFECYCLE_FIELDS = frozenset(
    {
        "exception_id",
        "state",
        "author_id",
        "approver_id",
        "approved_on",
        "applied_on",
        "payload_before",
        "purged",
        "result",
    }
)


class IntegrationExceptionEdit(models.Model):
    """An edited payload replayed for an exception, kept as evidence.

    The edit is shown as a diff and validated against the contract again;
    a change to a financial field waits for a second person's approval.
    """

    _name = "integration.exception.edit"
    _description = "Edit-and-replay of an exception"
    _inherit = ["mail.thread"]
    _order = "id desc"

    exception_id = fields.Many2one(
        "integration.exception", required=True, ondelete="cascade", index=True
    )
    state = fields.Selection(EDIT_STATES, default="draft", required=True, tracking=True)
    author_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, readonly=True, required=True
    )
    approver_id = fields.Many2one("res.users", readonly=True)
    approved_on = fields.Datetime(readonly=True)
    applied_on = fields.Datetime(readonly=True)
    payload_before = fields.Text("Original payload", readonly=True)
    payload_after = fields.Text("Edited payload")
    purged = fields.Boolean(readonly=True)
    diff = fields.Text(compute="_compute_checks")
    changed_paths = fields.Text(compute="_compute_checks")
    financial_paths = fields.Text(compute="_compute_checks")
    violations_text = fields.Text("Contract violations", compute="_compute_checks")
    needs_approval = fields.Boolean(compute="_compute_checks")
    reason = fields.Text()
    result = fields.Text(readonly=True)

    # ------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                forced = (
                    EDIT_LIFECYCLE_FIELDS - {"exception_id", "state", "author_id", "payload_before"}
                ) & set(vals)
                author = vals.get("author_id", self.env.uid)
                author = author.id if isinstance(author, models.BaseModel) else author
                if forced or vals.get("state", "draft") != "draft" or author != self.env.uid:
                    raise AccessError(
                        self.env._(
                            "An edit starts as a draft of yours; the rest is the workflow's."
                        )
                    )
                # The original is the exception's payload, never what the caller
                # says it was: the diff decides whether a second person approves.
                exception = self.env["integration.exception"].browse(vals.get("exception_id"))
                exception.check_access("write")
                vals["payload_before"] = payload_lib.pretty(exception._replay_payload())
        return super().create(vals_list)

    def write(self, vals):
        forced = EDIT_LIFECYCLE_FIELDS & set(vals)
        if forced and not self.env.su:
            raise AccessError(
                self.env._(
                    "Changed by the edit's workflow (apply, approve, reject), not by hand: %s",
                    ", ".join(sorted(forced)),
                )
            )
        if "payload_after" in vals and any(rec.state not in ("draft", "failed") for rec in self):
            raise UserError(self.env._("Only a draft edit can change its payload."))
        return super().write(vals)

    def _parsed(self, text):
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError as error:
            raise UserError(self.env._("The edited payload is not JSON: %s", error)) from error

    @api.depends("payload_before", "payload_after", "exception_id")
    def _compute_checks(self):
        for rec in self:
            try:
                before = json.loads(rec.payload_before) if rec.payload_before else None
                after = json.loads(rec.payload_after) if rec.payload_after else None
            except json.JSONDecodeError as error:
                rec.diff = rec.changed_paths = rec.financial_paths = False
                rec.violations_text = f"Not JSON: {error}"
                rec.needs_approval = False
                continue
            paths = payload_lib.changed_paths(before, after)
            version = (
                rec.exception_id.contract_id.active_version_id
                or rec.exception_id.contract_version_id
            )
            financial = [
                p for p in paths if version and version.classification_of(p) == "financial"
            ]
            rec.diff = payload_lib.unified_diff(before, after)
            rec.changed_paths = "\n".join(paths)
            rec.financial_paths = "\n".join(financial)
            rec.needs_approval = bool(financial)
            found = rec.exception_id._check_contract(after) if after is not None else []
            rec.violations_text = "\n".join(f"{v['path']}: {v['message']}" for v in found)

    def action_apply(self):
        """Replay with the edited payload, or ask for approval first."""
        self.ensure_one()
        self.check_access("write")
        if self.state not in ("draft", "approved", "failed"):
            raise UserError(self.env._("This edit was already handled."))
        payload = self._parsed(self.payload_after)
        if self.violations_text:
            raise UserError(
                self.env._("The edited payload breaks its contract:\n%s", self.violations_text)
            )
        if self.needs_approval and self.state != "approved":
            self.sudo().state = "pending"
            self.message_post(
                body=self.env._(
                    "Financial fields changed (%s): waiting for a second person's approval.",
                    self.financial_paths.replace("\n", ", "),
                )
            )
            return True
        return self._apply(payload)

    def _apply(self, payload):
        exception = self.exception_id
        reason = self.env._("Edited and replayed by %s", self.author_id.name)
        ok = exception._replay(payload=payload, reason=reason)
        self.sudo().write(
            {
                "state": "applied" if ok else "failed",
                "applied_on": fields.Datetime.now(),
                "result": "replayed" if ok else exception.last_replay_error,
            }
        )
        exception.message_post(
            body=self.env._(
                "Edit-and-replay (%(state)s):\n%(diff)s", state=self.state, diff=self.diff or ""
            )
        )
        return ok

    def action_approve(self):
        """A second person approves a financial edit; the replay then runs."""
        self.ensure_one()
        user = self.env.user
        if self.state != "pending":
            raise UserError(self.env._("Only an edit waiting for approval can be approved."))
        if user == self.author_id:
            raise AccessError(self.env._("You made this edit: another person must approve it."))
        if not (
            user.has_group("integration_governance.group_integration_manager")
            or user.has_group("integration_governance.group_governance_approver")
        ):
            raise AccessError(
                self.env._("Only an Integration Manager or a Governance Approver can approve.")
            )
        self.sudo().write(
            {"state": "approved", "approver_id": user.id, "approved_on": fields.Datetime.now()}
        )
        return self._apply(self._parsed(self.payload_after))

    def action_reject(self):
        """A manager or approver refuses a pending edit; its author may withdraw it."""
        user = self.env.user
        reviewer = user.has_group(
            "integration_governance.group_integration_manager"
        ) or user.has_group("integration_governance.group_governance_approver")
        for rec in self:
            if not reviewer and rec.author_id != user:
                raise AccessError(
                    self.env._("Only its author, a manager or an approver can reject an edit.")
                )
        self.check_access("write")
        self.filtered(lambda r: r.state == "pending").sudo().write({"state": "rejected"})
        return True
