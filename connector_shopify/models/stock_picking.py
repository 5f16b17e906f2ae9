from odoo import models


class StockPicking(models.Model):
    """A validated delivery of a Shopify order is fulfilled on Shopify."""

    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        Binding = self.env["integration.binding"].sudo()
        for picking in self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.sale_id and p.state == "done"
        ):
            bindings = Binding.search(
                [
                    ("res_model", "=", "sale.order"),
                    ("res_id", "=", picking.sale_id.id),
                    ("backend_id.channel_type", "=", "shopify"),
                ]
            )
            for backend in bindings.mapped("backend_id"):
                delayable = backend._flow_delay(
                    "fulfillment_out",
                    f"shopify:{backend.id}:fulfil:{picking.id}",
                    f"{backend.name}: fulfil {picking.name}",
                )
                if delayable:
                    delayable._shopify_export_fulfillment(picking)
        return result
