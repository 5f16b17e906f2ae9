from odoo import fields, models


class ShopifyOnboardingLocation(models.TransientModel):
    """One Shopify location found while connecting a store, and its warehouse."""

    _name = "shopify.onboarding.location"
    _description = "Shopify location to map"

    wizard_id = fields.Many2one("shopify.onboarding", required=True, ondelete="cascade")
    name = fields.Char(readonly=True)
    shopify_id = fields.Char(readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse")
    export_stock = fields.Boolean("Send stock", default=True)
