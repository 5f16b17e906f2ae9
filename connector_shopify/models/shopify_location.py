from odoo import fields, models


class ShopifyLocation(models.Model):
    """A Shopify location and the Odoo warehouse whose stock it shows."""

    _name = "shopify.location"
    _description = "Shopify location"
    _order = "backend_id, name"

    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    shopify_id = fields.Char("Shopify ID", required=True, help="gid://shopify/Location/...")
    warehouse_id = fields.Many2one(
        "stock.warehouse", help="Odoo's free quantity here is what Shopify may sell."
    )
    export_stock = fields.Boolean("Send stock", default=True)
    active_on_shopify = fields.Boolean("Active on Shopify", default=True, readonly=True)

    _backend_location_unique = models.Constraint(
        "UNIQUE(backend_id, shopify_id)", "A Shopify location is mapped once per backend."
    )
