from odoo import api, fields, models


class SaleOrder(models.Model):
    """Where an order came from: its channel, the channel's reference and a
    link to the order in the channel's admin."""

    _inherit = "sale.order"

    channel_backend_id = fields.Many2one(
        "integration.backend",
        "Channel",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The backend the order came in from (its first binding).",
    )
    channel_order_ref = fields.Char(
        "Channel reference",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The order's number on its channel (e.g. #1001).",
    )
    channel_external_id = fields.Char("Channel order id", readonly=True, copy=False)
    channel_admin_url = fields.Char("Open in channel", compute="_compute_channel_admin_url")

    @api.depends("channel_backend_id", "channel_external_id")
    def _compute_channel_admin_url(self):
        Binding = self.env["integration.binding"].sudo()
        for order in self:
            url = None
            if order.channel_backend_id and order.channel_external_id:
                binding = Binding._find(
                    order.channel_backend_id, "sale.order", order.channel_external_id
                )
                url = binding and order.channel_backend_id.sudo()._channel_admin_url(binding)
            order.channel_admin_url = url or False

    def _integration_channel_origin(self, binding):
        """Called when the order is bound: the first backend is its origin."""
        for order in self.sudo().filtered(lambda o: not o.channel_backend_id):
            order.write(
                {
                    "channel_backend_id": binding.backend_id.id,
                    "channel_external_id": binding.external_id,
                    "channel_order_ref": order.client_order_ref or binding.external_id,
                }
            )
