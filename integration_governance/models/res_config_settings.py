from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    integration_shipped_need_approval = fields.Boolean(
        "Approve shipped contracts",
        config_parameter="integration_governance.shipped_need_approval",
        help="Contract versions shipped with a connector wait in review for one of "
        "your Governance Approvers before they go live, instead of going live with "
        "the connector's code.",
    )
