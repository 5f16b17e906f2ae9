"""Which types the sandbox serves, and which of their fields it must answer.

A served type answers every scalar, enum and money field of Shopify's
published schema (of any supported version), every link to another served
type, and the value objects named in ``REQUIRED_OBJECTS``: from the store's
state where the store has the notion, else from a documented default
(``defaults.py``). Fields of other types keep answering "not emulated".
"""

import json
import re
import sys
from pathlib import Path

from graphql import get_named_type, is_enum_type, is_scalar_type

from . import bulk, defaults
from .store import gid

PROTOCOL = Path(__file__).resolve().parent / "PROTOCOL.md"
BEGIN, END = "<!-- coverage:begin -->", "<!-- coverage:end -->"

SERVED_TYPES = (
    "Shop",
    "Location",
    "Product",
    "ProductVariant",
    "InventoryItem",
    "InventoryLevel",
    "InventoryAdjustmentGroup",
    "Order",
    "LineItem",
    "ShippingLine",
    "TaxLine",
    "Refund",
    "Return",
    "OrderTransaction",
    "Customer",
    "MailingAddress",
    "FulfillmentOrder",
    "Fulfillment",
    "WebhookSubscription",
    "AppInstallation",
    "BulkOperation",
    "DraftOrder",
)
MONEY_TYPES = {"MoneyV2", "MoneyBag"}
# Value objects a Shopify client commonly reads, answered although their type is not served.
REQUIRED_OBJECTS = {
    ("Shop", "shopAddress"),
    ("Location", "address"),
    ("Product", "options"),
    ("Product", "media"),
    ("ProductVariant", "media"),
    ("Order", "risk"),
    ("FulfillmentOrder", "supportedActions"),
    ("FulfillmentOrder", "fulfillmentHolds"),
    ("FulfillmentOrder", "destination"),
    ("AppInstallation", "accessScopes"),
}


def field_kind(type_name, field_name, field):
    """``scalar``, ``money``, ``link``, ``object`` (required value object) or None."""
    named = get_named_type(field.type)
    if is_scalar_type(named) or is_enum_type(named):
        return "scalar"
    if named.name in MONEY_TYPES:
        return "money"
    base = named.name.removesuffix("Connection")
    if base in SERVED_TYPES:
        return "link"
    if (type_name, field_name) in REQUIRED_OBJECTS:
        return "object"
    return None


def required_fields(schema):
    """``{type: {field: kind}}`` the sandbox must answer for one schema version."""
    required = {}
    for type_name in SERVED_TYPES:
        graphql_type = schema.get_type(type_name)
        if graphql_type is None:
            continue
        for field_name, field in graphql_type.fields.items():
            kind = field_kind(type_name, field_name, field)
            if kind:
                required.setdefault(type_name, {})[field_name] = kind
    return required


def sample_nodes(graph, shop):
    """One node dict per served type, built by the sandbox's own builders (lock held)."""

    def first(table):
        return next(iter(table.values()))

    order = first(shop.orders)
    line, shipping = order["line_items"][0], order["shipping_lines"][0]
    nodes = {
        "Shop": graph.shop_node(),
        "AppInstallation": graph.app_installation_node(),
        "InventoryLevel": graph.level_node(*next(iter(shop.levels))),
        "LineItem": graph.line_item_node(order, line, 0),
        "ShippingLine": graph.shipping_line_node(order, shipping),
        "TaxLine": graph.tax_nodes(line["tax_lines"], order["currency"])[0],
        "MailingAddress": graph.address_node(order["shipping_address"]),
        "OrderTransaction": graph.transaction_node(order["transactions"][0]),
        "BulkOperation": bulk.node(first(bulk.operations(shop))),
    }
    for kind, table in (
        ("Location", shop.locations),
        ("Product", shop.products),
        ("ProductVariant", shop.variants),
        ("InventoryItem", shop.items),
        ("InventoryAdjustmentGroup", shop.adjustment_groups),
        ("Order", shop.orders),
        ("Refund", shop.refunds),
        ("Return", shop.returns),
        ("Customer", shop.customers),
        ("FulfillmentOrder", shop.fulfillment_orders),
        ("Fulfillment", shop.fulfillments),
        ("WebhookSubscription", shop.subscriptions),
        ("DraftOrder", shop.draft_orders),
    ):
        nodes[kind] = graph.lookup(gid(kind, first(table)["id"]))
    return nodes


def _shown(value):
    if callable(value):
        return {"zero_bag": "zero MoneyBag", "zero_money": "zero MoneyV2"}.get(
            value.__name__, "empty connection"
        )
    return json.dumps(value, sort_keys=True)


def coverage_table(schema, nodes):
    """Markdown: per served type, what comes from the store and what is a default."""
    rows = [
        "| Type | Fields | From the store | Documented defaults |",
        "| --- | --- | --- | --- |",
    ]
    for type_name, fields in required_fields(schema).items():
        node = nodes[type_name]
        graphql_type = schema.get_type(type_name)
        built = [name for name in fields if name in node]
        table = defaults.DEFAULTS.get(type_name, {})
        shown = [
            f"`{name}` {_shown(table[name])}"
            for name in fields
            if name not in node and name in table
        ]
        derived = [
            name
            for name in fields
            if name not in node
            and name not in table
            and defaults.has_default(type_name, name, graphql_type.fields[name], node)
        ]
        if derived:
            shown.append(
                "deprecated money "
                + ", ".join(f"`{name}`" for name in derived)
                + " from their `*Set`"
            )
        rows.append(f"| {type_name} | {len(fields)} | {len(built)} | {'; '.join(shown) or '-'} |")
    return "\n".join(rows)


def protocol_section(table):
    text = PROTOCOL.read_text()
    return re.sub(
        re.escape(BEGIN) + ".*?" + re.escape(END),
        lambda _: f"{BEGIN}\n{table}\n{END}",
        text,
        flags=re.S,
    )


def build_table(version="2026-10"):
    """The coverage table of a freshly seeded sandbox (no network: in-process calls)."""
    from .graphql_api import ShopGraph
    from .rich_shop import seed_rich_shop
    from .schema_files import load_schema
    from .server import ShopifySandbox

    sandbox = ShopifySandbox()
    domain, token = "coverage.myshopify.com", "shpat_coverage"
    sandbox.create_shop(domain, access_token=token)
    sandbox.add_location(domain, "Main warehouse")
    sandbox.add_product(
        domain,
        "Office Chair",
        [{"sku": "CHAIR-BLK", "price": "120.50"}, {"sku": "CHAIR-WHT", "title": "White"}],
    )
    seed_rich_shop(sandbox, domain, token)
    schema = load_schema(version)
    shop = sandbox.store.shop(domain)
    with sandbox.store.lock:
        nodes = sample_nodes(ShopGraph(sandbox.store, shop, version, schema), shop)
    return coverage_table(schema, nodes)


if __name__ == "__main__":  # python3 -m sandbox.coverage (from connector_shopify/)
    PROTOCOL.write_text(protocol_section(build_table()))
    sys.exit(0)
