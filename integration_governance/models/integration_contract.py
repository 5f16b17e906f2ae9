from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from ..lib.vocabulary import BUSINESS_OBJECTS, DIRECTIONS


class IntegrationContract(models.Model):
    """An interface agreed between Odoo and a system, with its versions."""

    _name = "integration.contract"
    _description = "Interface contract"
    _inherit = ["mail.thread"]
    _order = "code"

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True, help="Stable key callers validate against.")
    business_object = fields.Selection(BUSINESS_OBJECTS, required=True)
    direction = fields.Selection(DIRECTIONS, required=True, default="inbound")
    system_id = fields.Many2one(
        "integration.system", help="Empty for a canonical contract any system uses."
    )
    owner_team_id = fields.Many2one("integration.team", "Owner team", tracking=True)
    company_id = fields.Many2one("res.company")
    description = fields.Text()
    version_ids = fields.One2many("integration.contract.version", "contract_id")
    active_version_id = fields.Many2one(
        "integration.contract.version",
        compute="_compute_active_version",
        store=True,
    )
    version_count = fields.Integer(compute="_compute_active_version", store=True)

    _code_unique = models.Constraint("UNIQUE(code)", "A contract's code must be unique.")

    @api.depends("version_ids.state")
    def _compute_active_version(self):
        for contract in self:
            contract.active_version_id = contract.version_ids.filtered(
                lambda v: v.state == "active"
            )[:1]
            contract.version_count = len(contract.version_ids)

    @api.model
    def _get(self, code):
        contract = self.sudo().search([("code", "=", code)], limit=1)
        if not contract:
            raise UserError(self.env._("No interface contract with code %s.", code))
        return contract

    @api.private
    @api.model
    def validate_payload(self, code, payload):
        """Validate ``payload`` against the active version of contract ``code``.

        Returns ``{"valid", "violations", "version"}``; each violation has a
        JSON path, the JSON Schema keyword that failed and a message.
        """
        version = self.env["integration.contract.version"].browse(self._active_version_id(code))
        found = version.validate(payload)
        return {"valid": not found, "violations": found, "version": version}

    @api.model
    @tools.ormcache("code")
    def _active_version_id(self, code):
        """The active version of a contract, cached: validation is the hot path.
        Versions clear the cache whenever they change state or schema."""
        version = (
            self.env["integration.contract.version"]
            .sudo()
            .search([("contract_id.code", "=", code), ("state", "=", "active")], limit=1)
        )
        if not version:
            self._get(code)  # a clear error for an unknown contract
            raise UserError(self.env._("Contract %s has no active version.", code))
        return version.id

    def action_open_versions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "integration.contract.version",
            "view_mode": "list,form",
            "domain": [("contract_id", "=", self.id)],
            "context": {"default_contract_id": self.id},
        }
