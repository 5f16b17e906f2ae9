"""The schema walk: every field a served type must answer has a resolver, in every version."""

from ..sandbox import bulk, coverage, defaults
from ..sandbox.graphql_api import ShopGraph
from ..sandbox.schema_files import load_schema, supported_versions
from ..sandbox.store import gid
from .sandbox_rich_shop import RichShopCase
from .sandbox_support import DOMAIN


def sample_nodes(graph, shop):
    """One node dict per served type, built by the sandbox's own builders."""
    first = lambda table: next(iter(table.values()))  # noqa: E731
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


class TestSchemaWalk(RichShopCase):
    def test_every_required_field_of_every_served_type_resolves(self):
        shop = self.sandbox.store.shop(DOMAIN)
        unresolved, checked = [], 0
        for version in supported_versions():
            schema = load_schema(version)
            graph = ShopGraph(self.sandbox.store, shop, version, schema)
            with self.sandbox.store.lock:
                nodes = sample_nodes(graph, shop)
            self.assertEqual(set(nodes), set(coverage.SERVED_TYPES))
            for type_name, fields in coverage.required_fields(schema).items():
                node = nodes[type_name]
                self.assertEqual(node["__typename"], type_name)
                for field_name in fields:
                    checked += 1
                    field = schema.get_type(type_name).fields[field_name]
                    if field_name in node or defaults.has_default(
                        type_name, field_name, field, node
                    ):
                        continue
                    unresolved.append(f"{version} {type_name}.{field_name}")
        self.assertGreater(checked, 2500)  # six versions of about 560 fields each
        self.assertEqual(unresolved, [])

    def test_a_field_of_a_type_not_served_still_says_so(self):
        body = self.graphql(
            "query($id: ID!) { order(id: $id) { id app { name } } }",
            {"id": self.order_info["admin_graphql_api_id"]},
        ).json()
        self.assertEqual(body["data"]["order"]["app"], None)
        error = body["errors"][0]
        self.assertEqual(error["extensions"]["code"], "NOT_EMULATED_BY_SANDBOX")
        self.assertIn("Order.app", error["message"])

    def test_defaults_name_only_fields_of_the_schema(self):
        """A default for a field Shopify does not have would document a fiction."""
        known = {}
        for version in supported_versions():
            schema = load_schema(version)
            for type_name in defaults.DEFAULTS:
                known.setdefault(type_name, set()).update(schema.get_type(type_name).fields)
        stray = [
            f"{type_name}.{field}"
            for type_name, table in defaults.DEFAULTS.items()
            for field in table
            if field not in known[type_name]
        ]
        self.assertEqual(stray, [])
