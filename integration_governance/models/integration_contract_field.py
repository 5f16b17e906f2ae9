from odoo import fields, models

from ..lib.vocabulary import CLASSIFICATIONS


class IntegrationContractField(models.Model):
    """The classification of one field of a contract version.

    It decides masking in logs and which edits need a second approver.
    """

    _name = "integration.contract.field"
    _description = "Contract field classification"
    _order = "version_id, path"

    version_id = fields.Many2one("integration.contract.version", required=True, ondelete="cascade")
    path = fields.Char(required=True, help="JSON path, e.g. $.lines[*].price")
    classification = fields.Selection(CLASSIFICATIONS, required=True, default="internal")
    description = fields.Char()

    _version_path_unique = models.Constraint(
        "UNIQUE(version_id, path)", "A field is classified once per version."
    )
