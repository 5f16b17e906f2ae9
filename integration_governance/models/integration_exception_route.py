from odoo import api, fields, models

from ..lib.vocabulary import BUSINESS_OBJECTS, EXCEPTION_CATEGORIES, SEVERITIES


class IntegrationExceptionRoute(models.Model):
    """Routes an exception to its owner team by category, object and system.

    The most specific matching route wins; sequence breaks ties.
    """

    _name = "integration.exception.route"
    _description = "Exception routing rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    category = fields.Selection(EXCEPTION_CATEGORIES)
    business_object = fields.Selection(BUSINESS_OBJECTS)
    system_id = fields.Many2one("integration.system")
    team_id = fields.Many2one("integration.team", required=True, ondelete="cascade")
    severity = fields.Selection(
        SEVERITIES, help="Overrides the severity the caller gave, when set."
    )

    def _specificity(self):
        return sum(bool(x) for x in (self.category, self.business_object, self.system_id))

    @api.model
    def _match(self, category, business_object, system):
        candidates = self.sudo().search([])
        matching = candidates.filtered(
            lambda r: (
                (not r.category or r.category == category)
                and (not r.business_object or r.business_object == business_object)
                and (not r.system_id or r.system_id == system)
            )
        )
        if not matching:
            return self.browse()
        return matching.sorted(lambda r: (-r._specificity(), r.sequence, r.id))[:1]
