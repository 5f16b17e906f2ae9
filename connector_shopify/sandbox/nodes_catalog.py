"""Locations, products, variants, inventory items and levels as GraphQL nodes."""

from .relay import connection
from .store import gid, iso_z, money_str, parse_gid

QUANTITY_NAMES = {
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
}


class CatalogNodes:
    """Locations, products, variants, inventory items and levels as GraphQL nodes."""

    def location_node(self, location):
        shop = self.shop
        return {
            "__typename": "Location",
            "id": gid("Location", location["id"]),
            "legacyResourceId": str(location["id"]),
            "name": location["name"],
            "isActive": location["active"],
            "fulfillsOnlineOrders": location["fulfills_online_orders"],
            "hasActiveInventory": any(k[1] == location["id"] for k in shop.levels),
            "createdAt": iso_z(location["created_at"]),
            "inventoryLevels": lambda info, **args: connection(
                [
                    {"id": item_id, "item_id": item_id, "location_id": location["id"]}
                    for (item_id, location_id) in shop.levels
                    if location_id == location["id"]
                ],
                args,
                lambda level: self.level_node(level["item_id"], level["location_id"]),
            ),
            "inventoryLevel": lambda info, inventoryItemId, **_: self._level_or_none(
                inventoryItemId, gid("Location", location["id"])
            ),
        }

    def _level_or_none(self, item_gid, location_gid):
        item = parse_gid(item_gid, "InventoryItem")
        location = parse_gid(location_gid, "Location")
        if not item or not location or (item[1], location[1]) not in self.shop.levels:
            return None
        return self.level_node(item[1], location[1])

    def level_node(self, item_id, location_id):
        store, shop = self.store, self.shop
        return {
            "__typename": "InventoryLevel",
            "id": f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
            "isActive": True,
            "item": lambda info: self.item_node(shop.items[item_id]),
            "location": lambda info: self.location_node(shop.locations[location_id]),
            "quantities": lambda info, names, **_: [
                {
                    "__typename": "InventoryQuantity",
                    "id": f"gid://shopify/InventoryQuantity/{location_id}?inventory_item_id={item_id}&name={name}",
                    "name": name,
                    "quantity": store.quantity(shop, item_id, location_id, name) or 0,
                    "updatedAt": None,
                }
                for name in names
                if name in QUANTITY_NAMES
            ],
        }

    def item_node(self, item):
        shop = self.shop
        variant = shop.variants.get(item["variant_id"])
        return {
            "__typename": "InventoryItem",
            "id": gid("InventoryItem", item["id"]),
            "legacyResourceId": str(item["id"]),
            "sku": variant["sku"] if variant else None,
            "tracked": item["tracked"],
            "requiresShipping": True,
            "createdAt": iso_z(item["created_at"]),
            "updatedAt": iso_z(item["created_at"]),
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "inventoryLevel": lambda info, locationId, **_: self._level_or_none(
                gid("InventoryItem", item["id"]), locationId
            ),
            "inventoryLevels": lambda info, **args: connection(
                [
                    {"id": location_id, "location_id": location_id}
                    for (item_id, location_id) in shop.levels
                    if item_id == item["id"]
                ],
                args,
                lambda level: self.level_node(item["id"], level["location_id"]),
            ),
        }

    def variant_node(self, variant):
        shop = self.shop
        product = shop.products[variant["product_id"]]
        return {
            "__typename": "ProductVariant",
            "id": gid("ProductVariant", variant["id"]),
            "legacyResourceId": str(variant["id"]),
            "sku": variant["sku"] or None,
            "title": variant["title"],
            "displayName": f"{product['title']} - {variant['title']}",
            "price": money_str(variant["price"]),
            "compareAtPrice": None,
            "barcode": None,
            "taxable": True,
            "position": product["variant_ids"].index(variant["id"]) + 1,
            "createdAt": iso_z(variant["created_at"]),
            "updatedAt": iso_z(variant["updated_at"]),
            "inventoryQuantity": sum(
                qty
                for (item_id, _), qty in shop.levels.items()
                if item_id == variant["inventory_item_id"]
            ),
            "selectedOptions": [
                {"name": option["name"], "value": option["value"]} for option in variant["options"]
            ],
            "inventoryItem": lambda info: self.item_node(shop.items[variant["inventory_item_id"]]),
            "product": lambda info: self.product_node(product),
        }

    def product_node(self, product):
        shop = self.shop
        return {
            "__typename": "Product",
            "id": gid("Product", product["id"]),
            "legacyResourceId": str(product["id"]),
            "title": product["title"],
            "handle": product["handle"],
            "status": product["status"],
            "vendor": product["vendor"],
            "productType": product["product_type"],
            "tags": list(product["tags"]),
            "createdAt": iso_z(product["created_at"]),
            "updatedAt": iso_z(product["updated_at"]),
            "variants": lambda info, **args: connection(
                [shop.variants[v] for v in product["variant_ids"]],
                args,
                self.variant_node,
                sort_key=lambda v: product["variant_ids"].index(v["id"]),
            ),
        }

    def adjustment_group_node(self, group):
        return {
            "__typename": "InventoryAdjustmentGroup",
            "id": gid("InventoryAdjustmentGroup", group["id"]),
            "createdAt": iso_z(group["created_at"]),
            "reason": group["reason"],
            "referenceDocumentUri": group["reference_document_uri"],
            "changes": lambda info, **args: self.inventory_changes(group, **args),
        }

    def inventory_changes(self, group, inventoryItemIds=None, locationIds=None, quantityNames=None):
        """The group's changes, filtered as the connection's arguments say."""
        shop = self.shop
        nodes = []
        for name, item_id, location_id, delta, after in group.get("changes") or []:
            if inventoryItemIds and gid("InventoryItem", item_id) not in inventoryItemIds:
                continue
            if locationIds and gid("Location", location_id) not in locationIds:
                continue
            if quantityNames and name not in quantityNames:
                continue
            item, location = shop.items.get(item_id), shop.locations.get(location_id)
            nodes.append(
                {
                    "__typename": "InventoryChange",
                    "name": name,
                    "delta": delta,
                    "quantityAfterChange": after,
                    "ledgerDocumentUri": None
                    if name == "available"
                    else group["reference_document_uri"],
                    "item": self.item_node(item) if item else None,
                    "location": self.location_node(location) if location else None,
                }
            )
        return nodes
