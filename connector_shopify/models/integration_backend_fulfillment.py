"""Shopify's shipment hook: a canonical shipment becomes a fulfillment on the
order's open fulfillment orders (a partial delivery fulfils partially), with
its tracking. connector_base triggers it, builds the document, binds the
picking and records the lineage."""

from odoo import models
from odoo.addons.connector_base.models.integration_backend_outbound import OutboundRefused

from .. import const
from ..lib import queries


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shipment_supported(self):
        if self.channel_type != "shopify":
            return super()._shipment_supported()
        return True

    def _shipment_send(self, picking, document, trace_id):
        if self.channel_type != "shopify":
            return super()._shipment_send(picking, document, trace_id)
        data = self._shopify_call(
            queries.FULFILLMENT_ORDERS,
            {"id": f"gid://shopify/Order/{document['order_external_id']}"},
            operation="FulfillmentOrders",
            trace_id=trace_id,
        )
        fulfillment_orders = ((data.get("order") or {}).get("fulfillmentOrders") or {}).get(
            "nodes"
        ) or []
        by_order = self._shopify_fulfillment_lines(fulfillment_orders, document["lines"])
        if not by_order:
            raise self._shopify_fulfillment_refused(
                picking, trace_id, "no open fulfillment order line matches the delivery"
            )
        fulfillment = {"lineItemsByFulfillmentOrder": by_order, "notifyCustomer": True}
        tracking = {
            key: document[field]
            for key, field in (
                ("number", "tracking_number"),
                ("company", "carrier"),
                ("url", "tracking_url"),
            )
            if document.get(field)
        }
        if tracking:
            fulfillment["trackingInfo"] = tracking
        try:
            payload = self._shopify_call(
                queries.FULFILLMENT_CREATE,
                {"fulfillment": fulfillment},
                operation="FulfillmentCreate",
                mutation_field="fulfillmentCreate",
                trace_id=trace_id,
            )
        except const.ShopifyUserError as error:
            raise self._shopify_fulfillment_refused(picking, trace_id, str(error)) from error
        return payload["fulfillment"]["id"]

    def _shopify_fulfillment_lines(self, fulfillment_orders, lines):
        """What the delivery shipped, spread over the open fulfillment orders."""
        shipped = {}
        for line in lines:
            shipped[line["sku"]] = shipped.get(line["sku"], 0) + line["quantity"]
        by_order = []
        for fulfillment_order in fulfillment_orders:
            if fulfillment_order["status"] not in ("OPEN", "IN_PROGRESS"):
                continue
            items = []
            for line in fulfillment_order["lineItems"]["nodes"]:
                wanted = min(shipped.get(line["sku"], 0), line["remainingQuantity"])
                if wanted > 0:
                    items.append({"id": line["id"], "quantity": wanted})
                    shipped[line["sku"]] -= wanted
            if items:
                by_order.append(
                    {
                        "fulfillmentOrderId": fulfillment_order["id"],
                        "fulfillmentOrderLineItems": items,
                    }
                )
        return by_order

    def _shopify_fulfillment_refused(self, picking, trace_id, reason):
        return OutboundRefused(
            f"Shopify refused the fulfillment of {picking.name} ({picking.sale_id.name}): {reason}",
            business_object="shipment",
            record=picking,
            trace_id=trace_id,
            name=f"Fulfillment refused: {picking.name}",
        )
