"""Locations, products, variants, inventory items and levels as GraphQL nodes."""

import base64
import html
import re

from .relay import _encode_cursor, connection
from .store import _address, _rest_address, gid, iso_z, money_str, parse_gid


def storefront_id(global_id):
    """StorefrontID: the Storefront API's base64 form of a GID."""
    return base64.b64encode(global_id.encode()).decode()


def plain_text(markup):
    return html.unescape(re.sub(r"<[^>]+>", " ", markup or "")).split()


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
        primary = self.store.first_location(shop)

        # Scans of the whole shop, made only when a query asks for them: a
        # bulk query names each level's location, thousands of times.
        def stocked():
            return [k for k in shop.levels if k[1] == location["id"]]

        def open_orders():
            return any(
                fo["location_id"] == location["id"] and fo["status"] in ("OPEN", "IN_PROGRESS")
                for fo in shop.fulfillment_orders.values()
            )

        address = _rest_address(location.get("address") or _address({"country_code": "US"}))
        return {
            "__typename": "Location",
            "id": gid("Location", location["id"]),
            "legacyResourceId": str(location["id"]),
            "name": location["name"],
            "isActive": location["active"],
            "fulfillsOnlineOrders": location["fulfills_online_orders"],
            "hasActiveInventory": lambda info: any(k[1] == location["id"] for k in shop.levels),
            "createdAt": iso_z(location["created_at"]),
            "updatedAt": iso_z(location["created_at"]),
            "isPrimary": bool(primary) and primary["id"] == location["id"],
            "shipsInventory": location["fulfills_online_orders"],
            "hasUnfulfilledOrders": lambda info: open_orders(),
            "activatable": not location["active"],
            "deactivatable": lambda info: location["active"] and not open_orders(),
            "deletable": lambda info: (
                not location["active"] and not any(shop.levels[k] for k in stocked())
            ),
            "address": {
                "__typename": "LocationAddress",
                "address1": address["address1"],
                "address2": address["address2"],
                "city": address["city"],
                "zip": address["zip"],
                "province": address["province"],
                "provinceCode": address["province_code"],
                "country": address["country"],
                "countryCode": address["country_code"],
                "phone": address["phone"],
                "latitude": address["latitude"],
                "longitude": address["longitude"],
                "formatted": [
                    part
                    for part in (
                        address["address1"],
                        address["address2"],
                        " ".join(
                            p
                            for p in (address["city"], address["province_code"], address["zip"])
                            if p
                        ),
                        address["country"],
                    )
                    if part
                ],
            },
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
            "createdAt": iso_z(shop.items[item_id]["created_at"]),
            "updatedAt": iso_z(shop.items[item_id]["created_at"]),
            "canDeactivate": not store.committed(shop, item_id, location_id),
            "available": shop.levels.get((item_id, location_id), 0),
            "incoming": 0,
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
            # Counted when asked for only: a scan of every variant per item.
            "duplicateSkuCount": lambda info: (
                sum(1 for other in shop.variants.values() if other["sku"] == variant["sku"]) - 1
                if variant and variant["sku"]
                else 0
            ),
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "variants": lambda info, **args: connection(
                [variant] if variant else [], args, self.variant_node
            ),
            "inventoryLevel": lambda info, locationId, **_: self._level_or_none(
                gid("InventoryItem", item["id"]), locationId
            ),
            "inventoryLevels": lambda info, **args: connection(
                [
                    {"id": location_id, "location_id": location_id}
                    for location_id in shop.locations
                    if (item["id"], location_id) in shop.levels
                ],
                args,
                lambda level: self.level_node(item["id"], level["location_id"]),
            ),
        }

    def variant_node(self, variant):
        shop = self.shop
        product = shop.products[variant["product_id"]]
        online = sum(
            qty
            for (item_id, location_id), qty in shop.levels.items()
            if item_id == variant["inventory_item_id"]
            and shop.locations[location_id]["fulfills_online_orders"]
        )
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
            "sellableOnlineQuantity": max(online, 0),
            "availableForSale": product["status"] == "ACTIVE" and online > 0,
            "inventoryPolicy": "DENY",
            "defaultCursor": _encode_cursor([variant["id"], variant["id"]]),
            "storefrontId": storefront_id(gid("ProductVariant", variant["id"])),
            "selectedOptions": [
                {"name": option["name"], "value": option["value"]} for option in variant["options"]
            ],
            "inventoryItem": lambda info: self.item_node(shop.items[variant["inventory_item_id"]]),
            "product": lambda info: self.product_node(product),
        }

    def product_node(self, product):
        shop = self.shop
        variants = [shop.variants[v] for v in product["variant_ids"]]
        levels = {
            v["id"]: sum(q for (i, _), q in shop.levels.items() if i == v["inventory_item_id"])
            for v in variants
        }
        words = plain_text(product["description_html"])
        options = self.store.product_options(shop, product)
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
            "descriptionHtml": product["description_html"],
            "bodyHtml": product["description_html"],
            "description": lambda info, truncateAt=None, **_: " ".join(words)[:truncateAt],
            "descriptionPlainSummary": " ".join(words)[:140],
            "defaultCursor": _encode_cursor([product["id"], product["id"]]),
            "storefrontId": storefront_id(gid("Product", product["id"])),
            "isGiftCard": False,
            "hasOnlyDefaultVariant": [o[0] for o in options] == ["Title"]
            and len(variants) == 1
            and variants[0]["title"] == "Default Title",
            "hasOutOfStockVariants": any(q <= 0 for q in levels.values()),
            "totalInventory": sum(levels.values()),
            "totalVariants": len(variants),
            "tracksInventory": any(shop.items[v["inventory_item_id"]]["tracked"] for v in variants),
            "options": lambda info, first=None, **_: [
                {
                    "__typename": "ProductOption",
                    "id": gid("ProductOption", product["id"] * 10 + position),
                    "name": name,
                    "position": position,
                    "values": values,
                    "optionValues": [
                        {
                            "__typename": "ProductOptionValue",
                            "id": gid(
                                "ProductOptionValue", product["id"] * 1000 + position * 100 + n
                            ),
                            "name": value,
                            "hasVariants": True,
                            "linkedMetafieldValue": None,
                            "swatch": None,
                        }
                        for n, value in enumerate(values)
                    ],
                    "linkedMetafield": None,
                }
                for position, (name, values) in enumerate(options, 1)
            ][: first if first is not None else None],
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
