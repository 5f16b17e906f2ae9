from odoo import fields, models


class StockPicking(models.Model):
    """A validated delivery of a channel's order is sent to that channel."""

    _inherit = "stock.picking"

    channel_backend_id = fields.Many2one(
        related="sale_id.channel_backend_id", string="Channel", store=True, index="btree_not_null"
    )
    channel_order_ref = fields.Char(related="sale_id.channel_order_ref", string="Channel reference")
    channel_admin_url = fields.Char(related="sale_id.channel_admin_url", string="Open in channel")

    def _action_done(self):
        result = super()._action_done()
        deliveries = self.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.sale_id and p.state == "done"
        )
        if deliveries:
            bindings = deliveries._integration_order_bindings()
            for picking in deliveries:
                for backend in picking._integration_shipment_backends(bindings):
                    backend._shipment_enqueue(picking)
        return result

    def _integration_order_bindings(self):
        """The bindings of these pickings' orders to active backends."""
        return (
            self.env["integration.binding"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "sale.order"),
                    ("res_id", "in", self.sale_id.ids),
                    ("backend_id.state", "=", "active"),
                ]
            )
        )

    def _integration_shipment_backends(self, bindings=None):
        """The active backends the picking's order came from that take shipments."""
        self.ensure_one()
        if bindings is None:
            bindings = self._integration_order_bindings()
        backends = bindings.filtered(lambda b: b.res_id == self.sale_id.id).backend_id
        return backends.filtered(lambda b: b._shipment_supported())

    def _integration_send_shipments(self):
        """Send this done delivery to its order's channels now (a replay of a
        logged shipment call); a picking already sent is not sent twice."""
        self.ensure_one()
        return [backend._export_shipment(self) for backend in self._integration_shipment_backends()]
