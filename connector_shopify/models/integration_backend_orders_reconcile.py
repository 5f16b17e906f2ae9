from odoo import models


class IntegrationBackend(models.Model):
    """Shopify's orders for connector_base's orders reconciliation."""

    _inherit = "integration.backend"

    def _channel_orders(self, window_start, window_end):
        """The store's orders updated in the window, read as the catch-up poll
        reads them and shaped as their ``orders/*`` webhooks (a generator)."""
        if self.channel_type != "shopify":
            return super()._channel_orders(window_start, window_end)
        # Five a page, as the catch-up poll: line items make a page of orders costly.
        return self._shopify_window_orders(window_start, window_end, page_size=5)

    def _channel_order_describe(self, order):
        if self.channel_type != "shopify":
            return super()._channel_order_describe(order)
        return self._shopify_describe(order["topic"], order["payload"])
