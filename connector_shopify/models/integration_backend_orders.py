"""Shopify's orders read in windows: the catch-up poll that feeds the inbox
(an order whose webhook never came is still imported) and the orders
reconciliation's ``_channel_orders`` hook read them through one generator."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.connector_base.models.integration_backend_jobs import integration_job

from ..lib import mapping, queries


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # --------------------------------------------------------------- hooks
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

    # ------------------------------------------------------------ catch-up
    @api.model
    def _cron_shopify_catch_up(self):
        for backend in self.search([("channel_type", "=", "shopify"), ("state", "=", "active")]):
            backend._flow_job(
                "orders_in", "_shopify_catch_up_orders", f"{backend.name}: catch up orders"
            )
        return True

    @integration_job
    def _shopify_catch_up_orders(self, page_size=5):
        """Page the orders updated since the last success (minus an overlap) into
        the inbox, so an order whose webhook never came is still imported."""
        self.ensure_one()
        started = fields.Datetime.now()
        since = (self.shopify_orders_synced_at or started - timedelta(days=3)) - timedelta(
            minutes=self.shopify_catch_up_overlap
        )
        Event = self.env["integration.event"].sudo()
        stored = seen = 0
        for order in self._shopify_window_orders(since, page_size=page_size):
            seen += 1
            description = self._shopify_describe(order["topic"], order["payload"])
            if Event._insert_received(self, description, order["payload"], {}, source="poll"):
                stored += 1
        if stored:
            self._ensure_drain_job()
        self.shopify_orders_synced_at = started
        self._mark_flow_success("orders_in")
        return f"{seen} orders seen, {stored} new to the inbox"

    def _shopify_window_orders(self, window_start, window_end=None, page_size=5):
        """The store's orders updated in the window (open-ended without an end),
        page by page, shaped as their ``orders/*`` webhooks (a generator)."""
        self.ensure_one()
        query = f"updated_at:>='{window_start.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        if window_end:
            query += f" AND updated_at:<='{window_end.strftime('%Y-%m-%dT%H:%M:%SZ')}'"
        for node in self._shopify().paginate(
            queries.ORDERS,
            {"query": query},
            operation="Orders",
            path=["orders"],
            page_size=page_size,
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
