from odoo import api, fields, models

from ..lib.vocabulary import BUSINESS_OBJECTS, SYSTEM_ROLES

OWNER_SCOPES = [
    ("odoo", "Odoo"),
    ("role", "Every system of a role"),
    ("system_type", "Every system of a channel type"),
    ("system", "One system"),
]
POLICIES = [
    ("ignore", "Ignore (noted in the lineage)"),
    ("exception", "Raise an exception"),
    ("fill_empty", "Accept only where empty"),
]


class IntegrationSorRule(models.Model):
    """Which system owns a business object (or one of its fields).

    A write from any other system is filtered before it reaches Odoo: that is
    how "Odoo owns prices" survives a channel that sends prices back.
    """

    _name = "integration.sor.rule"
    _description = "System-of-record rule"
    _order = "business_object, field_name, sequence, id"

    name = fields.Char(compute="_compute_name", store=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company")
    business_object = fields.Selection(BUSINESS_OBJECTS, required=True)
    field_name = fields.Char(
        "Field", help="Leave empty for a rule on the whole object; a field rule wins."
    )
    owner_scope = fields.Selection(OWNER_SCOPES, required=True, default="odoo")
    owner_role = fields.Selection(SYSTEM_ROLES)
    owner_system_type = fields.Char("Owner channel type")
    owner_system_id = fields.Many2one("integration.system", "Owner system")
    owner_label = fields.Char("Owner", compute="_compute_owner_label", store=True)
    policy = fields.Selection(
        POLICIES,
        required=True,
        default="ignore",
        help="What a write from a system that is not the owner gets.",
    )
    note = fields.Text()

    _object_field_owner_unique = models.UniqueIndex(
        "(business_object, COALESCE(field_name, ''), COALESCE(company_id, 0)) WHERE active",
        "One active rule per object, field and company.",
    )

    @api.depends("owner_scope", "owner_role", "owner_system_type", "owner_system_id")
    def _compute_owner_label(self):
        roles = dict(SYSTEM_ROLES)
        for rule in self:
            rule.owner_label = {
                "odoo": "Odoo",
                "role": roles.get(rule.owner_role, ""),
                "system_type": rule.owner_system_type or "",
                "system": rule.owner_system_id.name or "",
            }[rule.owner_scope or "odoo"]

    @api.depends("business_object", "field_name", "owner_label")
    def _compute_name(self):
        objects = dict(BUSINESS_OBJECTS)
        for rule in self:
            what = objects.get(rule.business_object, "")
            if rule.field_name:
                what = f"{what}.{rule.field_name}"
            rule.name = f"{what} owned by {rule.owner_label or '?'}"

    def _owned_by(self, system):
        """True when ``system`` is this rule's owner."""
        self.ensure_one()
        if self.owner_scope == "odoo":
            return system.role == "erp"
        if self.owner_scope == "role":
            # A marketplace is a sales channel too.
            return system.role == self.owner_role or (
                self.owner_role == "sales_channel" and system.role == "marketplace"
            )
        if self.owner_scope == "system_type":
            return bool(system.system_type) and system.system_type == self.owner_system_type
        return system == self.owner_system_id

    @api.model
    def _rules_for(self, business_object):
        company = self.env.company
        rules = self.sudo().search(
            [
                ("business_object", "=", business_object),
                ("company_id", "in", [False, company.id]),
            ]
        )
        # A company's own rule wins over a shared one for the same field.
        return rules.sorted(lambda r: (not r.company_id, r.sequence, r.id))

    @api.private
    @api.model
    def filter_values(
        self,
        business_object,
        source_system,
        values,
        record=None,
        trace_id=None,
        external_ref=None,
        apply_effects=True,
    ):
        """Split ``values`` written by ``source_system`` into what may be applied.

        Returns ``(to_apply, violations)``. Each violation is a dict with the
        field, the rule, its policy and the refused value. With
        ``apply_effects`` the refusals are noted in the lineage and the
        ``exception`` policy raises one grouped exception into the queue.
        """
        system = self.env["integration.system"]._resolve(source_system)
        rules = self._rules_for(business_object)
        object_rule = rules.filtered(lambda r: not r.field_name)[:1]
        to_apply, violations = {}, []
        for field, value in values.items():
            rule = rules.filtered(lambda r, f=field: r.field_name == f)[:1] or object_rule
            if not rule or rule._owned_by(system):
                to_apply[field] = value
                continue
            if rule.policy == "fill_empty" and self._is_empty(record, field):
                to_apply[field] = value
                continue
            violations.append(
                {
                    "field": field,
                    "value": value,
                    "rule_id": rule.id,
                    "policy": rule.policy,
                    "owner": rule.owner_label,
                    "message": f"{system.name} may not write '{field}' of "
                    f"{business_object}: owned by {rule.owner_label}",
                }
            )
        if violations and apply_effects:
            self._record_violations(
                business_object, system, violations, record, trace_id, external_ref
            )
        return to_apply, violations

    @api.model
    def _is_empty(self, record, field):
        if not record:
            return True
        if field not in record._fields:
            return True
        value = record[field]
        if isinstance(value, models.BaseModel):
            return not value
        return value in (False, None, "", 0, 0.0)

    @api.model
    def _record_violations(
        self, business_object, system, violations, record, trace_id, external_ref
    ):
        fields_refused = ", ".join(v["field"] for v in violations)
        self.env["integration.lineage"].record_step(
            trace_id=trace_id,
            step="filtered",
            system=system,
            direction="inbound",
            outcome="warning",
            external_ref=external_ref,
            record=record,
            message=f"System-of-record filter refused: {fields_refused}",
        )
        raised = [v for v in violations if v["policy"] == "exception"]
        if raised:
            self.env["integration.exception"].raise_exception(
                "sor_conflict",
                "; ".join(v["message"] for v in raised),
                severity="medium",
                system=system,
                business_object=business_object,
                external_ref=external_ref,
                record=record,
                trace_id=trace_id,
                payload={v["field"]: v["value"] for v in raised},
                fingerprint_parts=[
                    "sor",
                    system.code,
                    business_object,
                    external_ref,
                    ",".join(sorted(v["field"] for v in raised)),
                ],
            )
