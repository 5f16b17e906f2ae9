from odoo import fields, models


class IntegrationExceptionStateWizard(models.TransientModel):
    """Asks for the reason every resolve, ignore or reopen must carry."""

    _name = "integration.exception.state.wizard"
    _description = "Change exception state with a reason"

    exception_ids = fields.Many2many("integration.exception", required=True)
    target_state = fields.Selection(
        [("resolved", "Resolve"), ("ignored", "Ignore"), ("new", "Reopen")],
        required=True,
    )
    reason = fields.Text(required=True)

    def action_confirm(self):
        self.ensure_one()
        method = {
            "resolved": "action_resolve",
            "ignored": "action_ignore",
            "new": "action_reopen",
        }[self.target_state]
        getattr(self.exception_ids, method)(self.reason)
        return {"type": "ir.actions.act_window_close"}
