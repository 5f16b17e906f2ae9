import hashlib
import inspect
import json
import re

from jsonschema.exceptions import SchemaError

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import get_manifest

from ..lib import payload as payload_lib
from ..lib import schema_compat

SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
STATES = [
    ("draft", "Draft"),
    ("review", "In review"),
    ("approved", "Approved"),
    ("active", "Active"),
    ("deprecated", "Deprecated"),
    ("retired", "Retired"),
]
COMPATIBILITY = [
    ("backward", "Backward"),
    ("forward", "Forward"),
    ("full", "Full"),
    ("none", "None"),
]
# Validators are compiled once per version and schema: jsonschema's compile
# step costs far more than a validation.
_VALIDATORS = {}
# Fields only the lifecycle methods change (submit, approve, reject, activate,
# deprecate, retire; the compatibility check for its report).
LIFECYCLE_FIELDS = frozenset(
    {
        "state",
        "author_id",
        "approver_id",
        "approved_on",
        "activated_on",
        "compatibility_report",
        "compatibility_ok",
        "compatibility_checked_on",
        "replay_candidate_ids",
        "origin_module",
        "origin_module_version",
    }
)
# The context value that lets a write through: an object, so no RPC caller
# (whose context is JSON) can ever send it.
_LIFECYCLE = object()
_LIFECYCLE_KEY = "integration_contract_lifecycle"


class IntegrationContractVersion(models.Model):
    """One immutable-once-reviewed version of a contract's JSON Schema."""

    _name = "integration.contract.version"
    _description = "Interface contract version"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "contract_id, major desc, minor desc, patch desc"
    _rec_name = "display_label"

    contract_id = fields.Many2one(
        "integration.contract", required=True, ondelete="cascade", index=True
    )
    display_label = fields.Char(compute="_compute_display_label", store=True)
    version = fields.Char(required=True, default="1.0.0", tracking=True)
    major = fields.Integer(compute="_compute_semver", store=True)
    minor = fields.Integer(compute="_compute_semver", store=True)
    patch = fields.Integer(compute="_compute_semver", store=True)
    state = fields.Selection(STATES, default="draft", required=True, tracking=True)
    schema_json = fields.Text(
        "JSON Schema",
        required=True,
        default='{"type": "object", "properties": {}, "additionalProperties": false}',
    )
    schema_hash = fields.Char(compute="_compute_schema_hash", store=True)
    field_ids = fields.One2many("integration.contract.field", "version_id", "Fields", copy=True)
    retention_days = fields.Integer(
        "Payload retention (days)", default=30, help="Payload copies are purged after."
    )
    sync_mode = fields.Selection(
        [
            ("realtime", "Real time"),
            ("near_realtime", "Near real time"),
            ("batch", "Batch"),
        ],
        default="realtime",
        required=True,
    )
    batch_interval_minutes = fields.Integer("Batch every (minutes)")
    batch_cutoff_time = fields.Float("Cut-off time", help="Hour of day, e.g. 17.5")
    latency_sla_minutes = fields.Integer("Latency SLA (minutes)", default=5)
    owner_team_id = fields.Many2one(related="contract_id.owner_team_id")
    author_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, required=True, readonly=True
    )
    approver_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_on = fields.Datetime(readonly=True, copy=False)
    origin_module = fields.Char(
        "Shipped with",
        readonly=True,
        copy=False,
        help="The addon whose code shipped this version (reviewed with the code, "
        "not approved in Odoo). Empty for a version made in Odoo.",
    )
    origin_module_version = fields.Char("Addon version", readonly=True, copy=False)
    activated_on = fields.Datetime(readonly=True, copy=False)
    compatibility_mode = fields.Selection(COMPATIBILITY, default="backward", required=True)
    compatibility_transitive = fields.Boolean(
        "Check against all earlier versions",
        help="Otherwise only against the active version.",
    )
    compatibility_report = fields.Text(readonly=True, copy=False)
    compatibility_ok = fields.Boolean(readonly=True, copy=False)
    compatibility_checked_on = fields.Datetime(readonly=True, copy=False)
    replay_candidate_ids = fields.Many2many(
        "integration.exception",
        string="Parked exceptions that now pass",
        readonly=True,
        copy=False,
    )
    notes = fields.Html()

    _contract_version_unique = models.Constraint(
        "UNIQUE(contract_id, version)", "A version number is used once per contract."
    )

    # ----------------------------------------------------------- computes
    @api.depends("contract_id.code", "version")
    def _compute_display_label(self):
        for rec in self:
            rec.display_label = f"{rec.contract_id.code or ''} v{rec.version or ''}"

    @api.depends("version")
    def _compute_semver(self):
        for rec in self:
            match = SEMVER_RE.match(rec.version or "")
            rec.major, rec.minor, rec.patch = map(int, match.groups()) if match else (0, 0, 0)

    @api.depends("schema_json")
    def _compute_schema_hash(self):
        for rec in self:
            rec.schema_hash = hashlib.sha256((rec.schema_json or "").encode()).hexdigest()

    # -------------------------------------------------------- constraints
    @api.constrains("version")
    def _check_version(self):
        for rec in self:
            if not SEMVER_RE.match(rec.version or ""):
                raise ValidationError(
                    self.env._("Version %s is not MAJOR.MINOR.PATCH.", rec.version)
                )

    @api.constrains("schema_json")
    def _check_schema(self):
        for rec in self:
            schema = rec._schema()
            try:
                payload_lib.compile_validator(schema)
            except SchemaError as error:
                raise ValidationError(
                    self.env._("Not a valid JSON Schema: %s", error.message)
                ) from error
            open_paths = schema_compat.open_object_paths(schema)
            if open_paths:
                raise ValidationError(
                    self.env._(
                        "A contract schema must be closed (additionalProperties: false) at: %s",
                        ", ".join(open_paths),
                    )
                )

    def _schema(self):
        self.ensure_one()
        try:
            schema = json.loads(self.schema_json or "{}")
        except json.JSONDecodeError as error:
            raise ValidationError(self.env._("The schema is not valid JSON: %s", error)) from error
        if not isinstance(schema, dict):
            raise ValidationError(self.env._("The schema must be a JSON object."))
        return schema

    # ------------------------------------------------------------ CRUD
    def _in_lifecycle(self):
        return self.env.context.get(_LIFECYCLE_KEY) is _LIFECYCLE

    def _set_lifecycle(self, vals):
        """The one way lifecycle fields change: called by the lifecycle methods
        after their checks (group, state, four eyes)."""
        return self.sudo().with_context(**{_LIFECYCLE_KEY: _LIFECYCLE}).write(vals)

    def _check_new_version_vals(self, vals):
        """A version made by hand starts as a draft written by its creator."""
        author = vals.get("author_id", self.env.uid)
        author = author.id if isinstance(author, models.BaseModel) else author
        if vals.get("state", "draft") != "draft" or author != self.env.uid:
            raise AccessError(
                self.env._("A new contract version is a draft written by you: submit it.")
            )
        forced = (LIFECYCLE_FIELDS - {"state", "author_id"}) & set(vals)
        if forced:
            raise AccessError(
                self.env._(
                    "Set by the approval workflow, not by hand: %s", ", ".join(sorted(forced))
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self._in_lifecycle():
            for vals in vals_list:
                self._check_new_version_vals(vals)
        records = super().create(vals_list)
        records._sync_fields_from_schema()
        # Active versions are cached by contract code.
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        forced = LIFECYCLE_FIELDS & set(vals)
        if forced and not self._in_lifecycle():
            raise AccessError(
                self.env._(
                    "Set by the approval workflow (submit, approve, activate...), not by hand: %s",
                    ", ".join(sorted(forced)),
                )
            )
        frozen = {"schema_json", "version", "contract_id"}
        if frozen & set(vals) and any(rec.state != "draft" for rec in self):
            raise UserError(
                self.env._(
                    "Only a draft version can change its schema or number: "
                    "create a new version instead."
                )
            )
        result = super().write(vals)
        if "schema_json" in vals:
            self._sync_fields_from_schema()
        if {"state", "schema_json", "contract_id"} & set(vals):
            self.env.registry.clear_cache()
        return result

    def _sync_fields_from_schema(self):
        """Keep one classification line per schema field.

        A property may carry ``x-classification`` in the schema; others start
        as internal and can be reclassified on the version.
        """
        for rec in self:
            found = _schema_fields(rec._schema())
            existing = {f.path: f for f in rec.field_ids}
            commands = [(2, line.id) for path, line in existing.items() if path not in found]
            for path, classification in found.items():
                if path in existing:
                    if classification and existing[path].classification != classification:
                        commands.append((1, existing[path].id, {"classification": classification}))
                else:
                    commands.append(
                        (0, 0, {"path": path, "classification": classification or "internal"})
                    )
            if commands:
                rec.field_ids = commands

    # ------------------------------------------------------ validation
    def _validator(self):
        self.ensure_one()
        key = (self.env.cr.dbname, self.id, self.schema_hash)
        validator = _VALIDATORS.get(key)
        if validator is None:
            validator = payload_lib.compile_validator(self._schema())
            _VALIDATORS[key] = validator
        return validator

    @api.private
    def validate(self, payload):
        """Every violation of ``payload`` with its JSON path (empty when valid)."""
        self.ensure_one()
        return payload_lib.violations(self._validator(), payload)

    @api.private
    def classification_of(self, path):
        self.ensure_one()
        generic = payload_lib.generic_path(path)
        line = self.field_ids.filtered(lambda f: f.path == generic)[:1]
        return line.classification or "internal"

    @api.private
    def mask_payload(self, payload):
        """A copy of ``payload`` fit for logs: secret and personal values hidden."""
        self.ensure_one()
        hidden = {f.path for f in self.field_ids if f.classification in ("secret", "personal")}

        def walk(value, path):
            if payload_lib.generic_path(path) in hidden:
                return "***"
            if isinstance(value, dict):
                return {k: walk(v, payload_lib.json_path_join(path, k)) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return value

        return walk(payload, "$")

    # --------------------------------------------------- compatibility
    def _earlier_versions(self):
        self.ensure_one()
        others = self.contract_id.version_ids.filtered(
            lambda v: (
                v != self
                and v.state in ("active", "deprecated", "retired", "approved")
                and (v.major, v.minor, v.patch) < (self.major, self.minor, self.patch)
            )
        )
        if self.compatibility_transitive:
            return others.sorted(lambda v: (v.major, v.minor, v.patch))
        active = self.contract_id.active_version_id
        return active if active and active != self else others[-1:]

    def _compatibility_changes(self):
        """{earlier version: [breaking Change]} under this version's mode."""
        self.ensure_one()
        return {
            earlier: schema_compat.breaking_changes(
                earlier._schema(), self._schema(), self.compatibility_mode
            )
            for earlier in self._earlier_versions()
        }

    def action_check_compatibility(self):
        self._check_approver_or_manager()
        for rec in self:
            results = rec._compatibility_changes()
            lines = []
            ok = True
            for earlier, changes in results.items():
                if not changes:
                    lines.append(f"Compatible ({rec.compatibility_mode}) with v{earlier.version}.")
                    continue
                ok = False
                lines.append(
                    f"{len(changes)} breaking change(s) against v{earlier.version} "
                    f"({rec.compatibility_mode}):"
                )
                lines += [f"  - {change.message}" for change in changes]
            if not results:
                lines.append("First version of this contract: nothing to compare.")
            # A breaking change is acceptable only with a new major version.
            majors_ok = all(
                not changes or rec.major > earlier.major for earlier, changes in results.items()
            )
            if not ok and majors_ok:
                lines.append("Accepted: the major version number was raised.")
            rec._set_lifecycle(
                {
                    "compatibility_report": "\n".join(lines),
                    "compatibility_ok": ok or majors_ok,
                    "compatibility_checked_on": fields.Datetime.now(),
                }
            )
        return True

    # ------------------------------------------------------- lifecycle
    def _check_manager(self):
        if not self.env.user.has_group("integration_governance.group_integration_manager"):
            raise AccessError(
                self.env._("Only an Integration Manager can change a contract's lifecycle.")
            )

    def action_submit(self):
        self._check_manager()
        for rec in self:
            if rec.state != "draft":
                raise UserError(self.env._("Only a draft version can be submitted."))
            rec.action_check_compatibility()
            if not rec.compatibility_ok:
                raise UserError(
                    self.env._(
                        "This version breaks compatibility; raise its major version or fix it:\n%s",
                        rec.compatibility_report,
                    )
                )
            rec._set_lifecycle({"state": "review"})
        return True

    def action_approve(self):
        if not self.env.user.has_group("integration_governance.group_governance_approver"):
            raise AccessError(
                self.env._("Only a Governance Approver can approve a contract version.")
            )
        for rec in self:
            if rec.state != "review":
                raise UserError(self.env._("Only a version in review can be approved."))
            if rec.author_id == self.env.user:
                raise AccessError(
                    self.env._(
                        "You wrote version %s: another approver must approve it.", rec.display_label
                    )
                )
            rec._set_lifecycle(
                {
                    "state": "approved",
                    "approver_id": self.env.user.id,
                    "approved_on": fields.Datetime.now(),
                }
            )
            rec.message_post(body=self.env._("Approved by %s.", self.env.user.name))
        return True

    def action_reject(self):
        self._check_approver_or_manager()
        self.filtered(lambda r: r.state == "review")._set_lifecycle({"state": "draft"})
        return True

    def _check_approver_or_manager(self):
        user = self.env.user
        if not (
            user.has_group("integration_governance.group_governance_approver")
            or user.has_group("integration_governance.group_integration_manager")
        ):
            raise AccessError(self.env._("Not allowed."))

    def action_activate(self):
        """Make an approved version the active one and list parked exceptions
        that the new version accepts, ready for bulk replay."""
        self._check_manager()
        for rec in self:
            if rec.state != "approved":
                raise UserError(self.env._("Only an approved version can be activated."))
            previous = rec.contract_id.version_ids.filtered(lambda v: v.state == "active")
            previous._set_lifecycle({"state": "deprecated"})
            rec._set_lifecycle({"state": "active", "activated_on": fields.Datetime.now()})
            rec._set_lifecycle(
                {"replay_candidate_ids": [(6, 0, rec._parked_exceptions_now_passing().ids)]}
            )
        if len(self) == 1 and self.replay_candidate_ids:
            return self.action_open_replay_candidates()
        return True

    @api.model
    def _create_shipped(self, vals, module=None):
        """Create a version whose schema ships with the code of ``module``
        (default: the calling addon), recording that origin in place of an
        approver.

        Shipped schemas are reviewed with the code, so they skip the approval
        workflow that governs versions made in Odoo and go live at once,
        unless the retailer requires its own approval of shipped baselines
        (setting ``integration_governance.shipped_need_approval``): then the
        version waits in review for a Governance Approver, and a manager
        activates it. Only code calls this.
        """
        module = module or _calling_module()
        now = fields.Datetime.now()
        lifecycle = self.sudo().with_context(**{_LIFECYCLE_KEY: _LIFECYCLE})
        version = lifecycle.create(vals)
        origin = {
            "origin_module": module,
            "origin_module_version": module and get_manifest(module).get("version"),
        }
        if self._shipped_need_approval():
            version.write({**origin, "state": "review"})
            version.message_post(
                body=self.env._(
                    "Shipped with %s: waiting for the retailer's approval before it goes live.",
                    module or "?",
                )
            )
        else:
            version.write({**origin, "state": "active", "activated_on": now})
        return version.with_env(self.env)

    @api.model
    def _shipped_need_approval(self):
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("integration_governance.shipped_need_approval")
        )
        return param not in (None, False, "", "0", "False")

    def _parked_exceptions_now_passing(self):
        self.ensure_one()
        parked = (
            self.env["integration.exception"]
            .sudo()
            .search(
                [
                    ("category", "=", "contract"),
                    ("state", "in", ("new", "in_progress")),
                    ("contract_id", "=", self.contract_id.id),
                    ("contract_version_id", "!=", self.id),
                    ("payload_purged", "=", False),
                ]
            )
        )
        return parked.filtered(lambda exc: exc._has_payload() and not self.validate(exc.payload))

    def action_open_replay_candidates(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Parked exceptions that now pass"),
            "res_model": "integration.exception",
            "view_mode": "list,form",
            "domain": [("id", "in", self.replay_candidate_ids.ids)],
        }

    def action_deprecate(self):
        self._check_manager()
        self.filtered(lambda r: r.state == "active")._set_lifecycle({"state": "deprecated"})
        return True

    def action_retire(self):
        self._check_manager()
        for rec in self:
            if rec.state != "deprecated":
                raise UserError(self.env._("Deprecate a version before retiring it."))
        self._set_lifecycle({"state": "retired"})
        return True

    def action_new_version(self):
        """Copy this version into a new draft with the next minor number."""
        self.ensure_one()
        self._check_manager()
        latest = self.contract_id.version_ids.sorted(lambda v: (v.major, v.minor, v.patch))[-1]
        new = self.copy(
            {
                "version": f"{latest.major}.{latest.minor + 1}.0",
                "state": "draft",
                "author_id": self.env.user.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": new.id,
            "view_mode": "form",
        }


def _schema_fields(schema, path="$", defs=None, seen=None):
    """{json path: x-classification or None} for every property of a schema."""
    defs = defs if defs is not None else schema.get("$defs", {})
    seen = seen or set()
    found = {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.split("/")[-1]
        if name in seen:
            return found
        return _schema_fields(defs.get(name, {}), path, defs, seen | {name})
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        child = payload_lib.json_path_join(path, key)
        found[child] = sub.get("x-classification")
        found.update(_schema_fields(sub, child, defs, seen))
    items = schema.get("items")
    if isinstance(items, dict):
        found.update(_schema_fields(items, f"{path}[*]", defs, seen))
    return found


def _calling_module():
    """The addon of the code that called ``_create_shipped`` (frames up the stack)."""
    frame = inspect.currentframe()
    while frame:
        name = frame.f_globals.get("__name__", "")
        if name.startswith("odoo.addons.") and not name.startswith(
            "odoo.addons.integration_governance.models.integration_contract_version"
        ):
            return name.split(".")[2]
        frame = frame.f_back
    return None
