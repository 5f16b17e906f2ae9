"""The schema walk: every field a served type must answer has a resolver, in every version."""

from ..sandbox import coverage, defaults
from ..sandbox.graphql_api import ShopGraph
from ..sandbox.schema_files import load_schema, supported_versions
from .sandbox_rich_shop import RichShopCase
from .sandbox_support import DOMAIN


class TestSchemaWalk(RichShopCase):
    def test_every_required_field_of_every_served_type_resolves(self):
        shop = self.sandbox.store.shop(DOMAIN)
        unresolved, checked = [], 0
        for version in supported_versions():
            schema = load_schema(version)
            graph = ShopGraph(self.sandbox.store, shop, version, schema)
            with self.sandbox.store.lock:
                nodes = coverage.sample_nodes(graph, shop)
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

    def test_protocol_lists_per_type_what_is_emulated_and_what_is_a_default(self):
        """PROTOCOL.md's coverage table is the one the code gives (regenerate:
        ``python3 -m sandbox.coverage`` from connector_shopify/)."""
        text = coverage.PROTOCOL.read_text()
        self.assertIn(coverage.BEGIN, text)
        self.assertEqual(coverage.protocol_section(coverage.build_table()), text)
