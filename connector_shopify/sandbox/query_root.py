"""The query root: every entry point of the Admin API the sandbox serves."""

from . import bulk
from .relay import connection, search
from .store import gid, iso_z


class QueryRoot:
    """Top-level queries over one shop."""

    def query_root(self):
        shop = self.shop
        return {
            "shop": lambda info: self.shop_node(),
            "locations": lambda info, **args: connection(
                [
                    loc
                    for loc in shop.locations.values()
                    if loc["active"] or args.get("includeInactive")
                ],
                args,
                self.location_node,
            ),
            "location": lambda info, id=None, **_: (
                self.typed_lookup("Location")(info, id)
                if id
                else self.location_node(self.store.first_location(shop))
            ),
            "productVariants": lambda info, **args: connection(
                search(
                    shop.variants.values(),
                    args.get("query"),
                    {
                        "sku": lambda v: (v["sku"], "text"),
                        "id": lambda v: (v["id"], "int"),
                        "product_id": lambda v: (v["product_id"], "int"),
                        "title": lambda v: (v["title"], "text"),
                    },
                ),
                args,
                self.variant_node,
            ),
            "productVariant": self.typed_lookup("ProductVariant"),
            "products": lambda info, **args: connection(
                search(
                    shop.products.values(),
                    args.get("query"),
                    {
                        "handle": lambda p: (p["handle"], "text"),
                        "title": lambda p: (p["title"], "text"),
                        "sku": lambda p: (
                            next(
                                (
                                    shop.variants[v]["sku"]
                                    for v in p["variant_ids"]
                                    if shop.variants[v]["sku"]
                                ),
                                None,
                            ),
                            "text",
                        ),
                    },
                ),
                args,
                self.product_node,
            ),
            "product": self.typed_lookup("Product"),
            "customers": lambda info, **args: connection(
                search(
                    shop.customers.values(),
                    args.get("query"),
                    {
                        "email": lambda c: (c["email"], "text"),
                        "id": lambda c: (c["id"], "int"),
                        "updated_at": lambda c: (c["updated_at"], "time"),
                        "created_at": lambda c: (c["created_at"], "time"),
                    },
                ),
                args,
                self.customer_node,
            ),
            "inventoryItems": lambda info, **args: connection(
                search(
                    shop.items.values(),
                    args.get("query"),
                    {
                        "sku": lambda i: (shop.variants[i["variant_id"]]["sku"], "text"),
                        "id": lambda i: (i["id"], "int"),
                    },
                ),
                args,
                self.item_node,
            ),
            "fulfillmentOrders": lambda info, **args: connection(
                [
                    fo
                    for fo in shop.fulfillment_orders.values()
                    if args.get("includeClosed") or fo["status"] not in ("CLOSED", "CANCELLED")
                ],
                args,
                self.fulfillment_order_node,
            ),
            "assignedFulfillmentOrders": lambda info, **args: connection(
                [
                    fo
                    for fo in shop.fulfillment_orders.values()
                    if fo["status"] not in ("CLOSED", "CANCELLED")
                    and (
                        not args.get("locationIds")
                        or gid("Location", fo["location_id"]) in args["locationIds"]
                    )
                ],
                args,
                self.fulfillment_order_node,
            ),
            "draftOrders": lambda info, **args: connection(
                search(
                    shop.draft_orders.values(),
                    args.get("query"),
                    {
                        "status": lambda d: (d["status"], "text"),
                        "id": lambda d: (d["id"], "int"),
                        "updated_at": lambda d: (d["updated_at"], "time"),
                        "created_at": lambda d: (d["created_at"], "time"),
                    },
                ),
                args,
                self.draft_order_node,
            ),
            "draftOrder": self.typed_lookup("DraftOrder"),
            "refund": self.typed_lookup("Refund"),
            "return": self.typed_lookup("Return"),
            "currentAppInstallation": lambda info: self.app_installation_node(),
            "inventoryItem": self.typed_lookup("InventoryItem"),
            "customer": self.typed_lookup("Customer"),
            "order": self.typed_lookup("Order"),
            "fulfillmentOrder": self.typed_lookup("FulfillmentOrder"),
            "fulfillment": self.typed_lookup("Fulfillment"),
            "webhookSubscription": self.typed_lookup("WebhookSubscription"),
            "node": lambda info, id, **_: self.lookup(id),
            "nodes": lambda info, ids, **_: [self.lookup(one) for one in ids],
            "orders": lambda info, **args: connection(
                search(
                    shop.orders.values(),
                    args.get("query"),
                    {
                        "updated_at": lambda o: (o["updated_at"], "time"),
                        "created_at": lambda o: (o["created_at"], "time"),
                        "processed_at": lambda o: (o["created_at"], "time"),
                        "id": lambda o: (o["id"], "int"),
                        "name": lambda o: (o["name"], "text"),
                        "email": lambda o: (o["email"], "text"),
                        "financial_status": lambda o: (o["financial_status"], "text"),
                    },
                ),
                args,
                self.order_node,
                sort_key=self._order_sort(args.get("sortKey")),
            ),
            "currentBulkOperation": lambda info, type="QUERY", **_: (
                bulk.node(ops[-1])
                if (
                    ops := sorted(
                        (o for o in bulk.operations(shop).values() if o["type"] == type),
                        key=lambda op: op["id"],
                    )
                )
                else None
            ),
            "bulkOperation": self.typed_lookup("BulkOperation"),
            "webhookSubscriptions": lambda info, **args: connection(
                [
                    s
                    for s in shop.subscriptions.values()
                    if (not args.get("topics") or s["topic"] in args["topics"])
                    and (not args.get("uri") or s["uri"] == args["uri"])
                    and (not args.get("callbackUrl") or s["uri"] == args["callbackUrl"])
                    and (not args.get("format") or s["format"] == args["format"])
                ],
                args,
                self.subscription_node,
            ),
        }

    @staticmethod
    def _order_sort(sort_key):
        if sort_key == "UPDATED_AT":
            return lambda o: iso_z(o["updated_at"])
        if sort_key in ("CREATED_AT", "PROCESSED_AT"):
            return lambda o: iso_z(o["created_at"])
        if sort_key == "ORDER_NUMBER":
            return lambda o: o["number"]
        return None
