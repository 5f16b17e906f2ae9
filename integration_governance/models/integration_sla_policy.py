from odoo import fields, models

from ..lib.vocabulary import SEVERITIES


class IntegrationSlaPolicy(models.Model):
    """How fast a team promises to resolve an exception of one severity."""

    _name = "integration.sla.policy"
    _description = "Integration SLA policy"
    _order = "team_id, resolve_hours"

    team_id = fields.Many2one("integration.team", required=True, ondelete="cascade")
    severity = fields.Selection(SEVERITIES, required=True)
    resolve_hours = fields.Float("Resolve within (hours)", required=True)

    _team_severity_unique = models.Constraint(
        "UNIQUE(team_id, severity)", "One SLA per team and severity."
    )
