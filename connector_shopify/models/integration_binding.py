from odoo import fields, models


class IntegrationBinding(models.Model):
    _inherit = "integration.binding"

    shopify_stock_dirty = fields.Boolean(
        index="btree_not_null",
        help="The variant's Odoo stock changed since its level was last sent to Shopify.",
    )
