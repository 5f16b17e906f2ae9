from odoo import api, fields, models


class AccountMove(models.Model):
    """Invoices and credit notes say which channel their order came from."""

    _inherit = "account.move"

    channel_backend_id = fields.Many2one(
        "integration.backend",
        "Channel",
        compute="_compute_channel_backend_id",
        store=True,
        index="btree_not_null",
    )
    channel_order_ref = fields.Char("Channel reference", compute="_compute_channel_links")
    channel_admin_url = fields.Char("Open in channel", compute="_compute_channel_links")

    def _channel_order(self):
        self.ensure_one()
        return self.line_ids.sale_line_ids.order_id.filtered("channel_backend_id")[:1]

    @api.depends("line_ids.sale_line_ids.order_id.channel_backend_id")
    def _compute_channel_backend_id(self):
        for move in self:
            move.channel_backend_id = move._channel_order().channel_backend_id

    @api.depends("channel_backend_id")
    def _compute_channel_links(self):
        for move in self:
            order = move._channel_order()
            move.channel_order_ref = order.channel_order_ref
            move.channel_admin_url = order.channel_admin_url
