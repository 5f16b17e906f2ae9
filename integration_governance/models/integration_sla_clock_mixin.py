from odoo import api, fields, models

from ..lib.journey import format_duration
from ..lib.vocabulary import OPEN_STATES


class IntegrationSlaClockMixin(models.AbstractModel):
    """Time left to an SLA deadline and age, the way a to-do list says them.

    Needs ``state``, ``sla_deadline`` and ``first_seen`` on the model.
    """

    _name = "integration.sla.clock.mixin"
    _description = "SLA clock"

    sla_left = fields.Char("Time left", compute="_compute_sla_clock")
    sla_left_minutes = fields.Integer(
        "Minutes left", compute="_compute_sla_clock", help="Negative once the SLA is breached."
    )
    age = fields.Char(compute="_compute_sla_clock")

    @api.depends("sla_deadline", "state", "first_seen")
    def _compute_sla_clock(self):
        now = fields.Datetime.now()
        for rec in self:
            rec.age = (
                format_duration((now - rec.first_seen).total_seconds()) if rec.first_seen else ""
            )
            if not rec.sla_deadline or rec.state not in OPEN_STATES:
                rec.sla_left, rec.sla_left_minutes = "", 0
                continue
            seconds = (rec.sla_deadline - now).total_seconds()
            rec.sla_left_minutes = int(seconds // 60)
            rec.sla_left = (
                self.env._("%s left", format_duration(seconds))
                if seconds >= 0
                else self.env._("%s overdue", format_duration(seconds))
            )
