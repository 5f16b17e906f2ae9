from odoo import api, fields, models


class IntegrationTeam(models.Model):
    """A business team that owns a kind of integration exception."""

    _name = "integration.team"
    _description = "Integration owner team"
    _inherit = ["mail.thread"]
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    lead_id = fields.Many2one("res.users", "Team lead", tracking=True)
    member_ids = fields.Many2many(
        "res.users",
        "integration_team_member_rel",
        "team_id",
        "user_id",
        string="Members",
    )
    default_sla_hours = fields.Float(
        "Default SLA (hours)", default=24.0, help="Used when no policy matches."
    )
    sla_policy_ids = fields.One2many("integration.sla.policy", "team_id", "SLA policy")
    exception_ids = fields.One2many("integration.exception", "team_id")
    open_exception_count = fields.Integer(compute="_compute_open_exception_count")

    _code_unique = models.Constraint("UNIQUE(code)", "A team's code must be unique.")

    def _compute_open_exception_count(self):
        counts = dict(
            self.env["integration.exception"]._read_group(
                [("team_id", "in", self.ids), ("state", "in", ("new", "in_progress"))],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.open_exception_count = counts.get(team, 0)

    def _sla_hours(self, severity):
        """Hours to resolve an exception of this severity under the team's policy."""
        self.ensure_one()
        policy = self.sla_policy_ids.filtered(lambda p: p.severity == severity)[:1]
        return policy.resolve_hours if policy else self.default_sla_hours

    @api.model
    def _members_and_leads(self, user):
        return self.search(["|", ("member_ids", "in", user.ids), ("lead_id", "=", user.id)])
