"""The shop, its webhook subscriptions and the query root."""

from . import bulk
from .relay import connection, search
from .store import gid, iso_z


class AdminNodes:
    """The shop, its webhook subscriptions and the query root."""

    def shop_node(self):
        shop = self.shop
        return {
            "__typename": "Shop",
            "id": gid("Shop", shop.id),
            "name": shop.name,
            "myshopifyDomain": shop.domain,
            "currencyCode": shop.currency,
            "taxesIncluded": shop.taxes_included,
            "ianaTimezone": "Etc/UTC",
            "timezoneAbbreviation": "UTC",
            "url": f"https://{shop.domain}",
            "createdAt": iso_z(shop.created_at),
        }

    def subscription_node(self, subscription):
        return {
            "__typename": "WebhookSubscription",
            "id": gid("WebhookSubscription", subscription["id"]),
            "legacyResourceId": str(subscription["id"]),
            "topic": subscription["topic"],
            "uri": subscription["uri"],
            "callbackUrl": subscription["uri"],
            "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": subscription["uri"]},
            "includeFields": list(subscription["include_fields"]),
            "metafieldNamespaces": [],
            "format": subscription["format"],
            "filter": subscription["filter"],
            "name": subscription.get("name"),
            "createdAt": iso_z(subscription["created_at"]),
            "updatedAt": iso_z(subscription["updated_at"]),
        }

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
                if type == "QUERY"
                and (ops := sorted(bulk.operations(shop).values(), key=lambda op: op["id"]))
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
