from odoo import fields, models

from ..lib.vocabulary import EXCEPTION_STATES


class IntegrationExceptionTransition(models.Model):
    """One state change of an exception, with who made it and why."""

    _name = "integration.exception.transition"
    _description = "Exception state change"
    _order = "id desc"

    exception_id = fields.Many2one(
        "integration.exception", required=True, ondelete="cascade", index=True
    )
    from_state = fields.Selection(EXCEPTION_STATES)
    to_state = fields.Selection(EXCEPTION_STATES, required=True)
    reason = fields.Text(required=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
    date = fields.Datetime(default=fields.Datetime.now)
