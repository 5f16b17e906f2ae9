from odoo import models

from ..lib import mapping, queries

# As the catch-up poll: an order's line items make a page of orders costly.
PAGE_SIZE = 5


class IntegrationBackend(models.Model):
    """Shopify's orders for connector_base's orders reconciliation."""

    _inherit = "integration.backend"

    def _channel_orders(self, window_start, window_end):
        """The store's orders updated in the window, read as the catch-up poll
        reads them and shaped as their ``orders/*`` webhooks (a generator)."""
        if self.channel_type != "shopify":
            return super()._channel_orders(window_start, window_end)
        return self._shopify_window_orders(window_start, window_end)

    def _shopify_window_orders(self, window_start, window_end):
        self.ensure_one()
        query = (
            f"updated_at:>='{window_start.strftime('%Y-%m-%dT%H:%M:%SZ')}' "
            f"AND updated_at:<='{window_end.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        )
        for node in self._shopify().paginate(
            queries.ORDERS,
            {"query": query},
            operation="Orders",
            path=["orders"],
            page_size=PAGE_SIZE,
        ):
            payload = mapping.order_from_graphql(node)
            yield {
                # What the importer binds (mapping.order_document): the numeric id.
                "external_id": str(payload["id"]),
                "name": payload["name"],
                "updated_at": payload["updated_at"],
                "payload": payload,
                "topic": "orders/cancelled" if payload.get("cancelled_at") else "orders/updated",
            }

    def _channel_order_describe(self, order):
        if self.channel_type != "shopify":
            return super()._channel_order_describe(order)
        return self._shopify_describe(order["topic"], order["payload"])
