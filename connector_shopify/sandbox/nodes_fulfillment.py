"""Fulfillment orders and fulfillments as GraphQL nodes."""

from .relay import connection
from .store import gid, iso_z


class FulfillmentNodes:
    """Fulfillment orders and fulfillments as GraphQL nodes."""

    def fulfillment_order_node(self, fulfillment_order):
        shop = self.shop
        location = shop.locations.get(fulfillment_order["location_id"])
        order = shop.orders[fulfillment_order["order_id"]]
        return {
            "__typename": "FulfillmentOrder",
            "id": gid("FulfillmentOrder", fulfillment_order["id"]),
            "status": fulfillment_order["status"],
            "createdAt": iso_z(fulfillment_order["created_at"]),
            "updatedAt": iso_z(fulfillment_order["updated_at"]),
            "orderId": gid("Order", order["id"]),
            "orderName": order["name"],
            "order": lambda info: self.order_node(order),
            "assignedLocation": {
                "__typename": "FulfillmentOrderAssignedLocation",
                "name": location["name"] if location else "",
                "countryCode": "US",
                "location": lambda info: self.location_node(location) if location else None,
            },
            "lineItems": lambda info, **args: connection(
                fulfillment_order["line_items"],
                args,
                lambda fo_line: self.fulfillment_order_line_node(order, fo_line),
            ),
        }

    def fulfillment_order_line_node(self, order, fo_line):
        shop = self.shop
        line = next(line for line in order["line_items"] if line["id"] == fo_line["line_item_id"])
        variant = shop.variants.get(fo_line["variant_id"]) if fo_line["variant_id"] else None
        return {
            "__typename": "FulfillmentOrderLineItem",
            "id": gid("FulfillmentOrderLineItem", fo_line["id"]),
            "sku": fo_line["sku"],
            "remainingQuantity": fo_line["remaining_quantity"],
            "totalQuantity": fo_line["total_quantity"],
            "productTitle": line["title"],
            "variantTitle": line["variant_title"],
            "requiresShipping": True,
            "inventoryItemId": gid("InventoryItem", variant["inventory_item_id"])
            if variant
            else None,
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "lineItem": lambda info: self.line_item_node(order, line, 0),
        }

    def fulfillment_node(self, fulfillment):
        shop = self.shop
        return {
            "__typename": "Fulfillment",
            "id": gid("Fulfillment", fulfillment["id"]),
            "legacyResourceId": str(fulfillment["id"]),
            "name": fulfillment["name"],
            "status": fulfillment["status"],
            "createdAt": iso_z(fulfillment["created_at"]),
            "updatedAt": iso_z(fulfillment["updated_at"]),
            "totalQuantity": sum(line["quantity"] for line in fulfillment["line_items"]),
            "requiresShipping": True,
            "trackingInfo": lambda info, first=None, **_: [
                {"__typename": "FulfillmentTrackingInfo", **tracking}
                for tracking in fulfillment["tracking_info"]
            ][: first if first is not None else None],
            "location": lambda info: self.location_node(shop.locations[fulfillment["location_id"]]),
            "order": lambda info: self.order_node(shop.orders[fulfillment["order_id"]]),
        }
