"""The Admin GraphQL endpoint: parse, validate, cost, throttle, execute.

Documents are validated against Shopify's own published schema of the
requested API version, and executed by graphql-core with resolvers over the
store. A field without a resolver here answers an error naming it rather
than a silent null, so a test never passes on data the sandbox made up.
"""

import base64
import json
import re
import time
from datetime import datetime, timezone

import graphql
from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from . import bulk
from . import cost as query_cost
from .schema_files import load_schema
from .store import gid, iso_z, money, money_str, parse_gid

THROTTLE_DOC = "https://shopify.dev/api/usage/rate-limits"
MAX_PAGE_SIZE = 250
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
SETTABLE_QUANTITY_NAMES = {"available", "on_hand"}
# https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states
INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
VALIDATION_CODES = [
    (re.compile(r"^Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'"), "undefinedField"),
    (re.compile(r"^Unknown argument"), "argumentNotAccepted"),
    (re.compile(r"^Field '.*' argument '.*' of type '.*' is required"), "missingRequiredArguments"),
    (re.compile(r"^Unknown type"), "undefinedType"),
    (re.compile(r"^Unknown fragment"), "undefinedFragment"),
    (re.compile(r"^Fragment '.*' is never used"), "useAndDefineFragment"),
    (re.compile(r"^Unknown directive"), "undefinedDirective"),
    (re.compile(r"^Variable '.*' is never used"), "variableNotUsed"),
    (re.compile(r"^Variable '.*' is not defined"), "undefinedVariable"),
    (
        re.compile(r"must have a selection of subfields|must not have a selection"),
        "selectionMismatch",
    ),
    (re.compile(r"^Variable '.*' of type '.*' used in position"), "variableMismatch"),
    (
        re.compile(r"cannot represent|^Expected value of type|^Enum '.*' cannot"),
        "argumentLiteralsIncompatible",
    ),
]


def _version_key(version):
    return "9999-99" if version == "unstable" else version


def _error(message, code, **extensions):
    return {"message": message, "extensions": {"code": code, **extensions}}


def _format_validation_error(error):
    formatted = error.formatted
    code = "validationError"
    for pattern, candidate in VALIDATION_CODES:
        match = pattern.search(error.message)
        if match:
            code = candidate
            if candidate == "undefinedField":
                formatted["message"] = (
                    f"Field '{match['field']}' doesn't exist on type '{match['type']}'"
                )
                formatted.setdefault("extensions", {}).update(
                    typeName=match["type"], fieldName=match["field"]
                )
            break
    formatted.setdefault("extensions", {})["code"] = code
    return formatted


def _format_execution_error(error):
    formatted = error.formatted
    extensions = formatted.setdefault("extensions", {})
    if "code" not in extensions:
        extensions["code"] = (
            "INVALID_VARIABLE"
            if error.message.startswith("Variable '$")
            else ("INTERNAL_SERVER_ERROR" if error.original_error else "BAD_REQUEST")
        )
    return formatted


def resolve_field(source, info, **args):
    """Default resolver: a key of the record dict, called when it is lazy.

    Anything the sandbox did not build is an error naming the field, never
    a null that would look like Shopify's answer.
    """
    if isinstance(source, dict) and info.field_name in source:
        value = source[info.field_name]
        return value(info, **args) if callable(value) else value
    raise GraphQLError(
        f"Field '{info.parent_type.name}.{info.field_name}' is not emulated by the Shopify sandbox",
        extensions={"code": "NOT_EMULATED_BY_SANDBOX"},
    )


def _encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor):
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(cursor.encode())))
    except (ValueError, TypeError) as error:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from error


def connection(items, args, to_node, sort_key=None):
    """A Relay connection page over ``items`` (dicts with an ``id``)."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        if not bulk.BULK.get():
            raise GraphQLError("you must provide one of first or last")
        first = len(items := list(items))  # a bulk query reads whole connections
    for name, value in (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > MAX_PAGE_SIZE):
            raise GraphQLError(
                f"The '{name}' argument must be between 0 and {MAX_PAGE_SIZE}",
                extensions={"code": "BAD_REQUEST"},
            )
    sort_key = sort_key or (lambda item: item["id"])
    keyed = sorted(((sort_key(item), item["id"]), item) for item in items)
    if args.get("reverse"):
        keyed.reverse()
    ahead = (lambda a, b: a < b) if args.get("reverse") else (lambda a, b: a > b)
    has_previous = has_next = False
    if args.get("after"):
        position = _decode_cursor(args["after"])
        keyed = [(key, item) for key, item in keyed if ahead(key, position)]
        has_previous = True
    if args.get("before"):
        position = _decode_cursor(args["before"])
        keyed = [(key, item) for key, item in keyed if ahead(position, key)]
        has_next = True
    if first is not None:
        has_next = has_next or len(keyed) > first
        keyed = keyed[:first]
    if last is not None:
        has_previous = has_previous or len(keyed) > last
        keyed = keyed[-last:] if last else []
    edges = [{"cursor": _encode_cursor(list(key)), "node": to_node(item)} for key, item in keyed]
    return {
        "nodes": [edge["node"] for edge in edges],
        "edges": edges,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _search_terms(query):
    """Shopify search syntax, reduced to OR-groups of AND-ed ``field:value`` terms."""
    tokens = re.findall(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""", query or "")
    groups, current = [], []
    for token in tokens:
        if token == "OR":
            groups.append(current)
            current = []
        elif token != "AND":
            current.append(token)
    groups.append(current)
    parsed = []
    for group in groups:
        terms = []
        for token in group:
            negate = token.startswith("-")
            token = token.lstrip("-")
            field, _, value = token.partition(":")
            if not value:
                continue  # free text: not emulated, ignored like an unknown filter
            match = re.match(r"^(>=|<=|>|<)?(.*)$", value)
            operator, value = match.group(1) or "=", match.group(2).strip("'\"")
            terms.append((field.lower(), operator, value, negate))
        parsed.append(terms)
    return [group for group in parsed if group] or [[]]


def _parse_time(value):
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _compare(left, operator, right):
    if left is None or right is None:
        return False
    return {
        "=": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[operator]


def search(items, query, fields):
    """Keep items matching the query; ``fields`` maps a search field to a getter.

    Unknown fields are ignored, as Shopify ignores filters it does not know.
    """
    if not query:
        return list(items)
    groups = _search_terms(query)

    def term_matches(item, term):
        field, operator, value, negate = term
        getter = fields.get(field)
        if getter is None:
            return True
        actual, kind = getter(item)
        if kind == "time":
            result = _compare(actual, operator, _parse_time(value))
        elif kind == "int":
            result = _compare(actual, operator, int(value) if value.lstrip("-").isdigit() else None)
        else:
            result = (actual or "").lower() == value.lower()
        return not result if negate else result

    return [
        item
        for item in items
        if any(all(term_matches(item, term) for term in group) for group in groups)
    ]


class ShopGraph:
    """Resolvers of one request: a shop seen through one API version."""

    def __init__(self, store, shop, version, schema, bulk_runner=None):
        self.store = store
        self.shop = shop
        self.version = version
        self.schema = schema
        self.bulk_runner = bulk_runner

    # ------------------------------------------------------------ helpers
    def bag(self, amount, currency=None):
        currency = currency or self.shop.currency
        value = {"amount": money_str(amount), "currencyCode": currency}
        return {"shopMoney": value, "presentmentMoney": dict(value)}

    def has_enum_value(self, enum_name, value):
        enum = self.schema.get_type(enum_name)
        return enum is not None and value in enum.values

    def has_input_field(self, input_name, field):
        input_type = self.schema.get_type(input_name)
        return input_type is not None and field in input_type.fields

    def lookup(self, global_id):
        """The node dict behind any GID this sandbox knows, or None."""
        parsed = parse_gid(global_id)
        if parsed is None:
            raise GraphQLError(
                f"Invalid global id '{global_id}'",
                extensions={"code": "argumentLiteralsIncompatible"},
            )
        kind, record_id = parsed
        shop = self.shop
        tables = {
            "Location": (shop.locations, self.location_node),
            "Product": (shop.products, self.product_node),
            "ProductVariant": (shop.variants, self.variant_node),
            "InventoryItem": (shop.items, self.item_node),
            "Customer": (shop.customers, self.customer_node),
            "Order": (shop.orders, self.order_node),
            "FulfillmentOrder": (shop.fulfillment_orders, self.fulfillment_order_node),
            "Fulfillment": (shop.fulfillments, self.fulfillment_node),
            "WebhookSubscription": (shop.subscriptions, self.subscription_node),
            "InventoryAdjustmentGroup": (shop.adjustment_groups, self.adjustment_group_node),
            "BulkOperation": (bulk.operations(shop), bulk.node),
        }
        if kind not in tables:
            return None
        table, to_node = tables[kind]
        record = table.get(record_id)
        return to_node(record) if record else None

    def typed_lookup(self, kind):
        def resolve(info, id, **_):
            parsed = parse_gid(id, kind)
            return self.lookup(id) if parsed else None

        return resolve

    # ------------------------------------------------------------ nodes
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

    def customer_node(self, customer):
        if customer is None:
            return None
        names = [n for n in (customer["first_name"], customer["last_name"]) if n]
        return {
            "__typename": "Customer",
            "id": gid("Customer", customer["id"]),
            "legacyResourceId": str(customer["id"]),
            "email": customer["email"],
            "firstName": customer["first_name"],
            "lastName": customer["last_name"],
            "phone": customer["phone"],
            "displayName": " ".join(names) or customer["email"] or "",
            "createdAt": iso_z(customer["created_at"]),
            "updatedAt": iso_z(customer["updated_at"]),
            "note": None,
            "tags": [],
            "verifiedEmail": True,
            "taxExempt": False,
        }

    @staticmethod
    def address_node(address):
        if address is None:
            return None
        from .store import _rest_address  # the REST form holds the derived names

        rest = _rest_address(address)
        return {
            "__typename": "MailingAddress",
            "firstName": rest["first_name"],
            "lastName": rest["last_name"],
            "name": rest["name"],
            "company": rest["company"],
            "address1": rest["address1"],
            "address2": rest["address2"],
            "city": rest["city"],
            "zip": rest["zip"],
            "province": rest["province"],
            "provinceCode": rest["province_code"],
            "country": rest["country"],
            "countryCodeV2": rest["country_code"],
            "countryCode": rest["country_code"],
            "phone": rest["phone"],
            "latitude": rest["latitude"],
            "longitude": rest["longitude"],
        }

    def tax_nodes(self, tax_lines, currency):
        return [
            {
                "__typename": "TaxLine",
                "title": tax["title"],
                "rate": float(tax["rate"]),
                "ratePercentage": float(tax["rate"] * 100),
                "priceSet": self.bag(tax["price"], currency),
                "channelLiable": False,
            }
            for tax in tax_lines
        ]

    def order_node(self, order):
        store, shop = self.store, self.shop
        totals = store.totals(order)
        currency = order["currency"]
        fulfilled = store._fulfilled_by_line(shop, order)
        shipped = sum(fulfilled.values())
        wanted = sum(line["quantity"] for line in order["line_items"] if line["requires_shipping"])
        if shipped and shipped >= wanted:
            fulfillment_status = "FULFILLED"
        elif shipped:
            fulfillment_status = "PARTIALLY_FULFILLED"
        else:
            fulfillment_status = "UNFULFILLED"
        return {
            "__typename": "Order",
            "id": gid("Order", order["id"]),
            "legacyResourceId": str(order["id"]),
            "name": order["name"],
            "email": order["email"],
            "phone": order["phone"],
            "createdAt": iso_z(order["created_at"]),
            "processedAt": iso_z(order["created_at"]),
            "updatedAt": iso_z(order["updated_at"]),
            "cancelledAt": iso_z(order["cancelled_at"]),
            "cancelReason": order["cancel_reason"].upper() if order["cancel_reason"] else None,
            "closed": False,
            "closedAt": None,
            "currencyCode": currency,
            "presentmentCurrencyCode": currency,
            "displayFinancialStatus": order["financial_status"].upper(),
            "displayFulfillmentStatus": fulfillment_status,
            "taxesIncluded": order["taxes_included"],
            "note": order["note"],
            "tags": list(order["tags"]),
            "discountCodes": [code["code"] for code in order["discount_codes"]],
            "discountCode": order["discount_codes"][0]["code"] if order["discount_codes"] else None,
            "totalPriceSet": self.bag(totals["total_price"], currency),
            "subtotalPriceSet": self.bag(totals["subtotal_price"], currency),
            "totalTaxSet": self.bag(totals["total_tax"], currency),
            "totalDiscountsSet": self.bag(totals["total_discounts"], currency),
            "totalShippingPriceSet": self.bag(totals["total_shipping"], currency),
            "customer": lambda info: self.customer_node(shop.customers.get(order["customer_id"])),
            "billingAddress": self.address_node(order["billing_address"]),
            "shippingAddress": self.address_node(order["shipping_address"]),
            "lineItems": lambda info, **args: connection(
                order["line_items"],
                args,
                lambda line: self.line_item_node(order, line, fulfilled.get(line["id"], 0)),
                sort_key=lambda line: order["line_items"].index(line),
            ),
            "shippingLines": lambda info, **args: connection(
                order["shipping_lines"],
                args,
                lambda line: self.shipping_line_node(order, line),
                sort_key=lambda line: order["shipping_lines"].index(line),
            ),
            "fulfillmentOrders": lambda info, **args: connection(
                [shop.fulfillment_orders[i] for i in order["fulfillment_order_ids"]],
                args,
                self.fulfillment_order_node,
            ),
            "fulfillments": lambda info, first=None, **_: [
                self.fulfillment_node(f)
                for f in shop.fulfillments.values()
                if f["order_id"] == order["id"]
            ][: first if first is not None else None],
        }

    def line_item_node(self, order, line, fulfilled):
        shop = self.shop
        currency = order["currency"]
        variant = shop.variants.get(line["variant_id"]) if line["variant_id"] else None
        product = shop.products.get(line["product_id"]) if line["product_id"] else None
        current = line["quantity"] - line["refunded_quantity"]
        return {
            "__typename": "LineItem",
            "id": gid("LineItem", line["id"]),
            "sku": line["sku"],
            "name": line["name"],
            "title": line["title"],
            "variantTitle": line["variant_title"],
            "vendor": line["vendor"],
            "quantity": line["quantity"],
            "currentQuantity": current,
            "unfulfilledQuantity": 0 if order["cancelled_at"] else max(current - fulfilled, 0),
            "refundableQuantity": current,
            "requiresShipping": line["requires_shipping"],
            "taxable": line["taxable"],
            "isGiftCard": False,
            "variant": lambda info: self.variant_node(variant) if variant else None,
            "product": lambda info: self.product_node(product) if product else None,
            "originalUnitPriceSet": self.bag(line["price"], currency),
            "originalTotalSet": self.bag(line["price"] * line["quantity"], currency),
            "totalDiscountSet": self.bag(line["discount"], currency),
            "discountedTotalSet": self.bag(
                line["price"] * line["quantity"] - line["discount"], currency
            ),
            "discountAllocations": (
                [
                    {
                        "__typename": "DiscountAllocation",
                        "allocatedAmountSet": self.bag(line["discount"], currency),
                    }
                ]
                if line["discount"]
                else []
            ),
            "taxLines": lambda info, first=None, **_: self.tax_nodes(line["tax_lines"], currency)[
                : first if first is not None else None
            ],
        }

    def shipping_line_node(self, order, line):
        currency = order["currency"]
        return {
            "__typename": "ShippingLine",
            "id": gid("ShippingLine", line["id"]),
            "code": line["code"],
            "title": line["title"],
            "source": line["source"],
            "carrierIdentifier": None,
            "originalPriceSet": self.bag(line["price"], currency),
            "discountedPriceSet": self.bag(line["price"], currency),
            "taxLines": self.tax_nodes(line["tax_lines"], currency),
        }

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

    # ------------------------------------------------------------ roots
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

    def mutation_root(self):
        return {
            "inventorySetQuantities": self.inventory_set_quantities,
            "fulfillmentCreate": self.fulfillment_create,
            "webhookSubscriptionCreate": self.webhook_create,
            "webhookSubscriptionUpdate": self.webhook_update,
            "webhookSubscriptionDelete": self.webhook_delete,
            "productSet": self.product_set,
            "bulkOperationRunQuery": self.bulk_run_query,
            "bulkOperationCancel": self.bulk_cancel,
        }

    # ----------------------------------------------------------------- bulk
    def bulk_run_query(self, info, query, **_):
        op, errors = self.bulk_runner.start(self.shop, self.version, query)
        return {"bulkOperation": bulk.node(op) if op else None, "userErrors": errors}

    def bulk_cancel(self, info, id):
        parsed = parse_gid(id, "BulkOperation")
        op = bulk.operations(self.shop).get(parsed[1]) if parsed else None
        if op is None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}],
            }
        errors = self.bulk_runner.cancel(self.shop, op)
        return {"bulkOperation": bulk.node(op), "userErrors": errors}

    # ------------------------------------------------------------ inventory
    def _idempotency_key(self, info):
        directive = info.schema.get_directive("idempotent")
        if directive is None:
            return None
        values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
        return values.get("key") if values else None

    def inventory_set_quantities(self, info, input):
        key = self._idempotency_key(info)
        if key is not None and not key.strip():
            raise GraphQLError(
                "The idempotency key cannot be an empty string or whitespace only.",
                extensions={"code": "BAD_REQUEST"},
            )
        if key is None and _version_key(self.version) >= "2026-04":
            raise GraphQLError(
                "The @idempotent directive with a key is required for this mutation "
                f"as of API version 2026-04 (requested {self.version}).",
                extensions={"code": "BAD_REQUEST"},
            )
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        if key is not None:
            cached = self.shop.idempotency.get(("inventorySetQuantities", key))
            if cached:
                if cached["fingerprint"] != fingerprint:
                    return self._inventory_payload(
                        None,
                        [
                            {
                                "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                "field": None,
                                "message": "The same idempotency key cannot be used with "
                                "different operation parameters.",
                            }
                        ],
                    )
                return self._inventory_payload(cached["group_id"], cached["errors"])
        group_id, errors = self._set_quantities(input)
        if key is not None:
            self.shop.idempotency[("inventorySetQuantities", key)] = {
                "fingerprint": fingerprint,
                "group_id": group_id,
                "errors": errors,
            }
        return self._inventory_payload(group_id, errors)

    def _inventory_payload(self, group_id, errors):
        group = self.shop.adjustment_groups.get(group_id) if group_id else None
        return {
            "__typename": "InventorySetQuantitiesPayload",
            "inventoryAdjustmentGroup": self.adjustment_group_node(group) if group else None,
            "userErrors": [
                {"__typename": "InventorySetQuantitiesUserError", **error} for error in errors
            ],
        }

    def _set_quantities(self, input):
        """Validate every quantity first; apply all of them or none (Shopify's CAS)."""
        shop, store = self.shop, self.store
        errors = []

        def error(code, field, message):
            errors.append({"code": code, "field": field, "message": message})

        name = input["name"]
        if name not in SETTABLE_QUANTITY_NAMES:
            error(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        if input["reason"] not in INVENTORY_REASONS:
            error("INVALID_REASON", ["input", "reason"], "The quantity change reason is invalid.")
        ignore_compare = bool(input.get("ignoreCompareQuantity"))
        planned, seen = [], set()
        for index, quantity in enumerate(input["quantities"]):
            field = ["input", "quantities", str(index)]
            item = parse_gid(quantity["inventoryItemId"], "InventoryItem")
            location = parse_gid(quantity["locationId"], "Location")
            if not item or item[1] not in shop.items:
                error(
                    "INVALID_INVENTORY_ITEM",
                    [*field, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
                continue
            if not location or location[1] not in shop.locations:
                error(
                    "INVALID_LOCATION",
                    [*field, "locationId"],
                    "The specified location could not be found.",
                )
                continue
            pair = (item[1], location[1])
            if pair in seen:
                error(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    [*field, "inventoryItemId"],
                    "The combination of inventoryItemId and locationId must be unique.",
                )
                continue
            seen.add(pair)
            if pair not in shop.levels and self.has_enum_value(
                "InventorySetQuantitiesUserErrorCode", "ITEM_NOT_STOCKED_AT_LOCATION"
            ):
                error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*field, "locationId"],
                    "The inventory item is not stocked at the location.",
                )
                continue
            if quantity["quantity"] > 1_000_000_000:
                error(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*field, "quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
                continue
            if quantity["quantity"] < -1_000_000_000:
                error(
                    "INVALID_QUANTITY_TOO_LOW",
                    [*field, "quantity"],
                    "The total quantity can't be lower than -1,000,000,000.",
                )
                continue
            current = store.quantity(shop, item[1], location[1], name) or 0
            if "changeFromQuantity" in quantity:
                expected = quantity["changeFromQuantity"]
                if expected is not None and expected != current:
                    error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        [*field, "changeFromQuantity"],
                        "The changeFromQuantity value does not match persisted value.",
                    )
                    continue
            elif self.has_input_field("InventoryQuantityInput", "compareQuantity"):
                if not ignore_compare:
                    if quantity.get("compareQuantity") is None:
                        error(
                            "COMPARE_QUANTITY_REQUIRED",
                            [*field, "compareQuantity"],
                            "The compareQuantity argument must be given to each quantity or "
                            "ignored using ignoreCompareQuantity.",
                        )
                        continue
                    if quantity["compareQuantity"] != current:
                        error(
                            "COMPARE_QUANTITY_STALE",
                            [*field, "compareQuantity"],
                            "The compareQuantity value does not match persisted value.",
                        )
                        continue
            else:
                # From 2026-04 changeFromQuantity is mandatory (null opts out of the check);
                # the schema has no dedicated code, COMPARE_QUANTITY_REQUIRED is the closest.
                error(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*field, "changeFromQuantity"],
                    "changeFromQuantity must be given for each quantity (pass null to skip "
                    "the compare-and-swap check).",
                )
                continue
            planned.append((pair, quantity["quantity"]))
        if errors:
            return None, errors
        changes = []
        for (item_id, location_id), value in planned:
            committed = store.committed(shop, item_id, location_id)
            if name == "on_hand":
                value -= committed
            before = shop.levels.get((item_id, location_id), 0)
            store.set_level(shop, item_id, location_id, value)
            # What Shopify reports back: the available change and, when the
            # on-hand quantity was set, that change too (available + committed).
            changes.append(("available", item_id, location_id, value - before, value))
            if name == "on_hand":
                changes.append(("on_hand", item_id, location_id, value - before, value + committed))
        group = {
            "id": store.next_id(),
            "created_at": store.now(),
            "reason": input["reason"],
            "reference_document_uri": input.get("referenceDocumentUri"),
            "changes": changes,
        }
        shop.adjustment_groups[group["id"]] = group
        return group["id"], []

    # ------------------------------------------------------------ fulfillment
    def fulfillment_create(self, info, fulfillment, message=None, **_):
        created, errors = self.store.create_fulfillment(
            self.shop,
            fulfillment["lineItemsByFulfillmentOrder"],
            tracking=fulfillment.get("trackingInfo"),
            notify_customer=fulfillment.get("notifyCustomer"),
            message=message,
        )
        return {
            "__typename": "FulfillmentCreatePayload",
            "fulfillment": self.fulfillment_node(created) if created else None,
            "userErrors": [{"__typename": "UserError", **error} for error in errors],
        }

    # ------------------------------------------------------------ webhooks
    def _subscription_payload(self, subscription, errors):
        return {
            "webhookSubscription": self.subscription_node(subscription) if subscription else None,
            "userErrors": [{"__typename": "UserError", **error} for error in errors],
        }

    def _webhook_input_errors(self, topic, data, exclude_id=None):
        uri = data.get("uri") or data.get("callbackUrl")
        if not uri:
            return None, [
                {
                    "field": ["webhookSubscription", "callbackUrl"],
                    "message": "Address can't be blank",
                }
            ]
        if not re.match(r"^(https?|pubsub|arn):", uri):
            return None, [
                {"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}
            ]
        for other in self.shop.subscriptions.values():
            if other["id"] != exclude_id and other["topic"] == topic and other["uri"] == uri:
                return None, [
                    {
                        "field": ["webhookSubscription", "callbackUrl"],
                        "message": "Address for this topic has already been taken",
                    }
                ]
        return uri, []

    def webhook_create(self, info, topic, webhookSubscription, **_):
        data = webhookSubscription
        uri, errors = self._webhook_input_errors(topic, data)
        if errors:
            return self._subscription_payload(None, errors)
        moment = self.store.now()
        subscription = {
            "id": self.store.next_id(),
            "topic": topic,
            "uri": uri,
            "include_fields": list(data.get("includeFields") or []),
            "format": data.get("format") or "JSON",
            "filter": data.get("filter"),
            "name": data.get("name"),
            "created_at": moment,
            "updated_at": moment,
        }
        self.shop.subscriptions[subscription["id"]] = subscription
        return self._subscription_payload(subscription, [])

    def _subscription(self, subscription_gid):
        parsed = parse_gid(subscription_gid, "WebhookSubscription")
        return self.shop.subscriptions.get(parsed[1]) if parsed else None

    def webhook_update(self, info, id, webhookSubscription):
        subscription = self._subscription(id)
        if subscription is None:
            return self._subscription_payload(
                None, [{"field": ["id"], "message": "Webhook subscription does not exist"}]
            )
        data = dict(webhookSubscription)
        if data.get("uri") or data.get("callbackUrl"):
            uri, errors = self._webhook_input_errors(
                subscription["topic"], data, exclude_id=subscription["id"]
            )
            if errors:
                return self._subscription_payload(None, errors)
            subscription["uri"] = uri
        if "includeFields" in data:
            subscription["include_fields"] = list(data["includeFields"] or [])
        for key, target in (("format", "format"), ("filter", "filter"), ("name", "name")):
            if key in data and data[key] is not None:
                subscription[target] = data[key]
        subscription["updated_at"] = self.store.now()
        return self._subscription_payload(subscription, [])

    def webhook_delete(self, info, id):
        subscription = self._subscription(id)
        if subscription is None:
            return {
                "deletedWebhookSubscriptionId": None,
                "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}],
            }
        del self.shop.subscriptions[subscription["id"]]
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}

    # ------------------------------------------------------------ products
    def product_set(self, info, input, identifier=None, synchronous=True, **_):
        store, shop = self.store, self.shop
        errors = []

        def payload(product):
            return {
                "__typename": "ProductSetPayload",
                "product": self.product_node(product) if product else None,
                "productSetOperation": None,
                "userErrors": [{"__typename": "ProductSetUserError", **error} for error in errors],
            }

        if synchronous is False:
            errors.append(
                {
                    "code": "INVALID_INPUT",
                    "field": ["synchronous"],
                    "message": "The sandbox only runs productSet synchronously.",
                }
            )
            return payload(None)
        product = None
        identifier = identifier or {}
        product_gid = identifier.get("id") or input.get("id")
        if product_gid:
            parsed = parse_gid(product_gid, "Product")
            product = shop.products.get(parsed[1]) if parsed else None
            if product is None:
                field = ["identifier", "id"] if identifier.get("id") else ["input", "id"]
                errors.append(
                    {
                        "code": "PRODUCT_DOES_NOT_EXIST",
                        "field": field,
                        "message": "Product does not exist",
                    }
                )
                return payload(None)
        elif identifier.get("handle"):
            product = next(
                (p for p in shop.products.values() if p["handle"] == identifier["handle"]), None
            )
        variants = input.get("variants")
        option_names = [option.get("name") for option in input.get("productOptions") or []]
        if variants and not option_names and product is None:
            errors.append(
                {
                    "code": "PRODUCT_OPTIONS_INPUT_MISSING",
                    "field": ["input", "productOptions"],
                    "message": "Product options input is missing.",
                }
            )
        for index, variant in enumerate(variants or []):
            for value in variant.get("optionValues") or []:
                if option_names and value.get("optionName") not in option_names:
                    errors.append(
                        {
                            "code": "OPTION_DOES_NOT_EXIST",
                            "field": ["input", "variants", str(index), "optionValues"],
                            "message": f"Option does not exist: {value.get('optionName')}",
                        }
                    )
            if variant.get("id"):
                parsed = parse_gid(variant["id"], "ProductVariant")
                existing = shop.variants.get(parsed[1]) if parsed else None
                if existing is None or (product and existing["product_id"] != product["id"]):
                    errors.append(
                        {
                            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
                            "field": ["input", "variants", str(index), "id"],
                            "message": "Product variant does not exist",
                        }
                    )
        if product is None and not input.get("title"):
            errors.append(
                {
                    "code": "INVALID_INPUT",
                    "field": ["input", "title"],
                    "message": "Title can't be blank",
                }
            )
        if errors:
            return payload(None)
        if product is None:
            product = store._new_product(
                shop, input["title"], input.get("handle") or identifier.get("handle")
            )
        for key, target in (
            ("title", "title"),
            ("handle", "handle"),
            ("vendor", "vendor"),
            ("productType", "product_type"),
            ("status", "status"),
        ):
            if input.get(key) is not None:
                product[target] = input[key]
        if input.get("tags") is not None:
            product["tags"] = list(input["tags"])
        product["updated_at"] = store.now()
        if variants is not None:
            self._set_variants(product, variants)
        return payload(product)

    def _set_variants(self, product, variants):
        """productSet list semantics: listed variants are upserted, the others deleted."""
        store, shop = self.store, self.shop
        kept = []
        for spec in variants:
            options = [
                {"name": value.get("optionName") or "Title", "value": value.get("name") or ""}
                for value in spec.get("optionValues") or []
            ]
            title = " / ".join(option["value"] for option in options) or "Default Title"
            existing = None
            if spec.get("id"):
                existing = shop.variants[parse_gid(spec["id"], "ProductVariant")[1]]
            else:
                existing = next(
                    (
                        shop.variants[v]
                        for v in product["variant_ids"]
                        if shop.variants[v]["options"] == options and v not in kept
                    ),
                    None,
                )
            if existing is None:
                existing = store._new_variant(
                    shop, product, spec.get("sku"), spec.get("price") or 0, title, options
                )
                for level in spec.get("inventoryQuantities") or []:
                    location = parse_gid(level.get("locationId"), "Location")
                    if location and location[1] in shop.locations:
                        store.set_level(
                            shop,
                            existing["inventory_item_id"],
                            location[1],
                            int(level.get("quantity", 0)),
                        )
            else:
                if "sku" in spec:
                    existing["sku"] = spec["sku"] or ""
                if spec.get("price") is not None:
                    existing["price"] = money(spec["price"])
                existing["options"], existing["title"] = options or existing["options"], title
                existing["updated_at"] = store.now()
            kept.append(existing["id"])
        for variant_id in list(product["variant_ids"]):
            if variant_id not in kept:
                store._drop_variant(shop, shop.variants[variant_id])
        product["variant_ids"] = kept


class GraphQLEndpoint:
    """One POST to ``/admin/api/<version>/graphql.json`` of an authenticated shop."""

    def __init__(self, store, public_url=lambda: ""):
        self.store = store
        self.bulk_runner = bulk.BulkRunner(
            store,
            load_schema,
            lambda shop, version, schema: ShopGraph(store, shop, version, schema),
            public_url,
        )

    def execute(self, shop, version, body):
        """Answer (HTTP status, JSON body) for a parsed request body."""
        schema = load_schema(version)
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or not query.strip():
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        try:
            document = graphql.parse(query)
        except GraphQLError as error:
            formatted = error.formatted
            formatted["extensions"] = {"code": "syntaxError"}
            return 200, {"errors": [formatted]}
        validation = graphql.validate(schema, document)
        if validation:
            return 200, {"errors": [_format_validation_error(e) for e in validation]}
        requested = query_cost.query_cost(schema, document, operation_name, variables)
        with self.store.lock:
            bucket = shop.bucket
            available_before = bucket.available()
            call = {
                "at": time.time(),
                "operation": operation_name or _operation_name(document),
                "version": version,
                "requested": requested,
                "actual": None,
                "throttled": False,
                "available_before": available_before,
            }
            shop.calls.append(call)
            if requested > shop.max_query_cost:
                return 200, {
                    "errors": [
                        _error(
                            f"Query cost is {requested}, which exceeds the single query max cost "
                            f"limit ({shop.max_query_cost}).",
                            "MAX_COST_EXCEEDED",
                            cost=requested,
                            maxCost=shop.max_query_cost,
                            documentation=THROTTLE_DOC,
                        )
                    ],
                }
            forced = shop.faults.throttle_next > 0
            if forced:
                shop.faults.throttle_next -= 1
            else:
                forced = shop.faults.roll(shop.faults.throttle_rate)
            if forced or requested > available_before:
                call["throttled"] = True
                return 200, {
                    "errors": [_error("Throttled", "THROTTLED", documentation=THROTTLE_DOC)],
                    "extensions": {"cost": self._cost(requested, None, bucket)},
                }
            bucket.take(requested)
            graph = ShopGraph(self.store, shop, version, schema, self.bulk_runner)
            is_mutation = _is_mutation(document, operation_name)
            result = graphql.execute(
                schema,
                document,
                root_value=graph.mutation_root() if is_mutation else graph.query_root(),
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=resolve_field,
            )
            if result.data is None and result.errors:
                actual = 0
            else:
                actual = query_cost.query_cost(
                    schema, document, operation_name, variables, data=result.data or {}
                )
            bucket.give_back(max(requested - actual, 0))
            call["actual"] = actual
            # What was asked and refused, for tests and the control API's call log.
            call["variables"] = variables
            call["user_errors"] = [
                error
                for payload in (result.data or {}).values()
                if isinstance(payload, dict)
                for error in payload.get("userErrors") or []
            ]
            response = {}
            if result.errors:
                response["errors"] = [_format_execution_error(e) for e in result.errors]
            if result.data is not None or not result.errors:
                response["data"] = result.data
            response["extensions"] = {"cost": self._cost(requested, actual, bucket)}
            return 200, response

    @staticmethod
    def _cost(requested, actual, bucket):
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }


def _operations(document):
    return [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]


def _operation_name(document):
    operations = _operations(document)
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


def _is_mutation(document, operation_name):
    for operation in _operations(document):
        if operation_name is None or (operation.name and operation.name.value == operation_name):
            return operation.operation == graphql.OperationType.MUTATION
    return False
