"""Fulfillment orders and fulfillments as GraphQL nodes."""

from .relay import connection
from .store import gid, iso_z

# FulfillmentOrderSupportedAction per status, for a merchant-managed location.
SUPPORTED_ACTIONS = {
    "OPEN": ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "MOVE", "HOLD", "SPLIT"],
    "IN_PROGRESS": ["CREATE_FULFILLMENT", "REPORT_PROGRESS", "HOLD", "MARK_AS_OPEN"],
    "ON_HOLD": ["RELEASE_HOLD", "MOVE"],
    "SCHEDULED": ["MARK_AS_OPEN"],
}
# REST shipment_status (the carrier's last event) -> FulfillmentDisplayStatus.
DISPLAY_STATUS = {
    None: "FULFILLED",
    "label_printed": "LABEL_PRINTED",
    "label_purchased": "LABEL_PURCHASED",
    "attempted_delivery": "ATTEMPTED_DELIVERY",
    "ready_for_pickup": "READY_FOR_PICKUP",
    "confirmed": "CONFIRMED",
    "in_transit": "IN_TRANSIT",
    "out_for_delivery": "OUT_FOR_DELIVERY",
    "delivered": "DELIVERED",
    "failure": "FAILURE",
}


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
            "orderProcessedAt": iso_z(order["created_at"]),
            "requestStatus": "UNSUBMITTED",
            "supportedActions": [
                {
                    "__typename": "FulfillmentOrderSupportedAction",
                    "action": action,
                    "externalUrl": None,
                }
                for action in SUPPORTED_ACTIONS.get(fulfillment_order["status"], [])
            ],
            "destination": self._destination(order),
            "fulfillments": lambda info, **args: connection(
                [
                    f
                    for f in shop.fulfillments.values()
                    if any(
                        line["fulfillment_order_id"] == fulfillment_order["id"]
                        for line in f["line_items"]
                    )
                ],
                args,
                self.fulfillment_node,
            ),
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

    def _destination(self, order):
        address = self.address_node(order["shipping_address"])
        if address is None:
            return None
        keys = ("address1", "address2", "city", "company", "firstName", "lastName", "phone", "zip")
        return {
            "__typename": "FulfillmentOrderDestination",
            "id": gid("FulfillmentOrderDestination", order["id"]),
            "email": order["email"],
            "countryCode": address["countryCodeV2"],
            "province": address["province"],
            **{key: address[key] for key in keys},
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
            "displayStatus": DISPLAY_STATUS.get(fulfillment["shipment_status"], "FULFILLED"),
            "inTransitAt": next(
                (iso_z(at) for status, at in fulfillment["events"] if status == "in_transit"), None
            ),
            "deliveredAt": next(
                (iso_z(at) for status, at in fulfillment["events"] if status == "delivered"), None
            ),
            "fulfillmentOrders": lambda info, **args: connection(
                [
                    shop.fulfillment_orders[i]
                    for i in dict.fromkeys(
                        line["fulfillment_order_id"] for line in fulfillment["line_items"]
                    )
                ],
                args,
                self.fulfillment_order_node,
            ),
            "trackingInfo": lambda info, first=None, **_: [
                {"__typename": "FulfillmentTrackingInfo", **tracking}
                for tracking in fulfillment["tracking_info"]
            ][: first if first is not None else None],
            "location": lambda info: self.location_node(shop.locations[fulfillment["location_id"]]),
            "order": lambda info: self.order_node(shop.orders[fulfillment["order_id"]]),
        }
