"""Every GraphQL answer the connector reads has a contract generated from its
document and Shopify's schema, loaded into governance and enforced per call."""

import copy
import importlib.util
import json
from pathlib import Path
from unittest.mock import patch

import graphql

from odoo.addons.connector_base.lib import retry
from odoo.addons.integration_governance.lib import schema_compat
from odoo.tests import BaseCase, TransactionCase, tagged

from ..const import RESPONSE_CONTRACTS
from ..lib import queries, response_schema
from ..lib.graphql_client import API_VERSIONS, shopify_errors
from ..sandbox.schema_files import load_schema
from .common import ShopifyCase

ADDON = Path(__file__).resolve().parent.parent
GRAPHQL_SCHEMAS = ADDON / "schemas" / "graphql"
ShopifyContractError = shopify_errors(retry).ShopifyContractError


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_response_contracts", ADDON / "tools" / "generate_response_contracts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shape(node):
    """A schema without descriptions and enum values: its structure only."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k not in ("description", "enum")}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


@tagged("post_install", "-at_install")
class TestGeneratedFiles(BaseCase):
    """The committed contracts are exactly what the generator writes now."""

    def test_committed_files_match_the_generator(self):
        generated = _generator().generate(load_schema)
        self.assertEqual(set(generated), {f"{op}.json" for op in queries.ALL})
        self.assertEqual(
            {p.name for p in GRAPHQL_SCHEMAS.glob("*.json")},
            set(generated),
            "a contract file without a document, or a document without its file",
        )
        for name, text in generated.items():
            with self.subTest(name):
                self.assertEqual(
                    (GRAPHQL_SCHEMAS / name).read_text(encoding="utf-8"),
                    text,
                    f"{name} drifted: run python3 connector_shopify/tools/"
                    "generate_response_contracts.py",
                )

    def test_generator_covers_every_api_version(self):
        generator = _generator()
        self.assertEqual([*generator.OLDER_VERSIONS, generator.API_VERSION], API_VERSIONS)

    def test_every_api_version_answers_within_the_contract(self):
        """Older versions the connector speaks answer the same shape, and every
        enum value they may send is in the contract."""
        for version in API_VERSIONS:
            schema = load_schema(version)
            for operation, document in queries.ALL.items():
                if operation == "InventorySet" and version == "2025-10":
                    document = queries.INVENTORY_SET_2025_10
                contract = json.loads((GRAPHQL_SCHEMAS / f"{operation}.json").read_text())
                found = response_schema.response_schema(schema, document, operation)
                with self.subTest(version=version, operation=operation):
                    self.assertEqual(_shape(found["properties"]), _shape(contract["properties"]))
                    for name, definition in (found.get("$defs") or {}).items():
                        self.assertLessEqual(
                            set(definition["enum"]), set(contract["$defs"][name]["enum"])
                        )

    def test_inventory_set_2025_10_has_the_same_answer(self):
        schema = load_schema("2026-10")
        self.assertEqual(
            response_schema.response_schema(schema, queries.INVENTORY_SET_2025_10),
            response_schema.response_schema(schema, queries.INVENTORY_SET),
        )

    def test_generated_schemas_are_closed_draft_2020_12(self):
        for path in GRAPHQL_SCHEMAS.glob("*.json"):
            schema = json.loads(path.read_text())
            with self.subTest(path.name):
                self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
                self.assertEqual(
                    schema["$id"],
                    f"https://integration-suite.example/schemas/shopify/graphql/{path.stem}/1.0.0",
                )
                self.assertIn("2026-10", schema["description"])
                self.assertIn("do not edit by hand", schema["description"])
                self.assertEqual(schema_compat.open_object_paths(schema), [])


@tagged("post_install", "-at_install")
class TestResponseSchema(BaseCase):
    """The walk itself, on a small schema with every construct."""

    SDL = """
    interface Node { id: ID! }
    enum Status { OPEN CLOSED }
    scalar DateTime
    scalar JSON
    type MoneyV2 { amount: Decimal! currencyCode: String! }
    scalar Decimal
    type MailingAddress { name: String city: String company: String }
    type Item implements Node { id: ID! sku: String status: Status price: MoneyV2! }
    type Other implements Node { id: ID! label: String! }
    type Query {
      "The item. More text here."
      item(id: ID!): Item
      nodes(ids: [ID!]!): [Node]!
      address: MailingAddress!
      tags: [String!]
      meta: JSON
      at: DateTime!
      count: Int!
      ratio: Float
    }
    """

    def setUp(self):
        super().setUp()
        self.schema = graphql.build_schema(self.SDL)

    def test_construct_by_construct(self):
        data = response_schema.response_schema(
            self.schema,
            """
            query Q {
              first: item(id: "1") { ...F __typename }
              nodes(ids: ["1"]) { __typename id ... on Item { sku } ... on Other { label } }
              address { name city company }
              tags meta at count ratio
            }
            fragment F on Item { id status price { amount } }
            """,
        )
        self.assertEqual(data["additionalProperties"], False)
        self.assertEqual(data["required"], ["nodes", "address", "at", "count"])
        first = data["properties"]["first"]
        self.assertEqual(first["type"], ["object", "null"])
        self.assertEqual(first["description"], "The item.")
        self.assertEqual(first["required"], ["id", "price", "__typename"])
        self.assertEqual(
            first["properties"]["status"],
            {"anyOf": [{"$ref": "#/$defs/Status"}, {"type": "null"}]},
        )
        self.assertEqual(data["$defs"]["Status"], {"type": "string", "enum": ["OPEN", "CLOSED"]})
        self.assertEqual(first["properties"]["__typename"]["enum"], ["Item"])
        amount = first["properties"]["price"]["properties"]["amount"]
        self.assertEqual((amount["type"], amount["x-classification"]), ("string", "financial"))
        nodes = data["properties"]["nodes"]
        self.assertEqual(nodes["type"], "array")
        item = nodes["items"]
        self.assertEqual(item["type"], ["object", "null"])
        # Interface fields are always there; a type's own ones only for that type.
        self.assertEqual(item["required"], ["__typename", "id"])
        self.assertEqual(set(item["properties"]), {"__typename", "id", "sku", "label"})
        self.assertEqual(item["properties"]["__typename"]["enum"], ["Item", "Other"])
        address = data["properties"]["address"]["properties"]
        self.assertEqual(address["name"]["x-classification"], "personal")
        self.assertEqual(address["city"]["x-classification"], "personal")
        self.assertNotIn("x-classification", address["company"])
        props = data["properties"]
        self.assertEqual(props["tags"], {"type": ["array", "null"], "items": {"type": "string"}})
        self.assertIs(props["meta"], True)
        self.assertEqual(props["at"], {"type": "string"})
        self.assertEqual(props["count"], {"type": "integer"})
        self.assertEqual(props["ratio"], {"type": ["number", "null"]})
        self.assertEqual(schema_compat.open_object_paths(data), [])

    def test_snake_case_codes(self):
        self.assertEqual(response_schema.contract_code("Shop"), "shopify.graphql.shop")
        self.assertEqual(
            response_schema.contract_code("InventoryLevels"), "shopify.graphql.inventory_levels"
        )


@tagged("post_install", "-at_install")
class TestContractsInstalled(TransactionCase):
    def test_every_response_contract_is_active(self):
        Contract = self.env["integration.contract"]
        for operation, spec in RESPONSE_CONTRACTS.items():
            with self.subTest(operation):
                contract = Contract.search([("code", "=", spec["code"])])
                self.assertEqual(len(contract), 1)
                self.assertEqual(contract.direction, "inbound")
                self.assertEqual(
                    contract.owner_team_id,
                    self.env.ref("integration_governance.team_integration_ops"),
                )
                version = contract.active_version_id
                self.assertEqual((version.version, version.state), ("1.0.0", "active"))
                self.assertEqual(
                    version._schema(),
                    json.loads((GRAPHQL_SCHEMAS / f"{operation}.json").read_text()),
                )

    def test_classifications_reach_the_fields(self):
        version = self.env["integration.contract"]._get("shopify.graphql.orders").active_version_id
        self.assertEqual(version.classification_of("$.orders.nodes[3].email"), "personal")
        self.assertEqual(
            version.classification_of("$.orders.nodes[0].shippingAddress.zip"), "personal"
        )
        self.assertEqual(
            version.classification_of("$.orders.nodes[0].totalPriceSet.shopMoney.amount"),
            "financial",
        )
        self.assertEqual(version.classification_of("$.orders.nodes[0].name"), "internal")

    def test_closed_schema_check_refuses_an_open_copy(self):
        """The governance check the generated files pass is a real one."""
        schema = json.loads((GRAPHQL_SCHEMAS / "Shop.json").read_text())
        del schema["properties"]["shop"]["additionalProperties"]
        contract = self.env["integration.contract"]._get("shopify.graphql.shop")
        with self.assertRaisesRegex(Exception, r"closed.*\$\.shop"):
            self.env["integration.contract.version"].create(
                {"contract_id": contract.id, "version": "1.1.0", "schema_json": json.dumps(schema)}
            )


@tagged("post_install", "-at_install")
class TestResponsesAgainstContracts(ShopifyCase):
    def contract_exceptions(self):
        return self.env["integration.exception"].search(
            [("category", "=", "contract"), ("contract_id.code", "=like", "shopify.graphql.%")]
        )

    def assert_valid(self, operation, data):
        result = self.env["integration.contract"].validate_payload(
            RESPONSE_CONTRACTS[operation]["code"], data
        )
        self.assertEqual(result["violations"], [], operation)
        self.assertEqual(result["version"].contract_id.code, RESPONSE_CONTRACTS[operation]["code"])

    def test_sandbox_answers_validate(self):
        self.create_order()
        api = self.backend._shopify()
        calls = {
            "Shop": (queries.SHOP, {}),
            "Locations": (queries.LOCATIONS, {"first": 10}),
            "Variants": (queries.VARIANTS, {"first": 10}),
            "InventoryLevels": (
                queries.INVENTORY_LEVELS,
                {"locationId": self.location_gid, "first": 10},
            ),
            "Orders": (queries.ORDERS, {"first": 5}),
        }
        for operation, (document, variables) in calls.items():
            with self.subTest(operation):
                # The client validates on the way in (it raises on a breach) ...
                data = api.execute(document, variables, operation=operation)
                # ... and the data is valid on its own too.
                self.assert_valid(operation, data)
        orders = api.execute(queries.ORDERS, {"first": 5}, operation="Orders")
        self.assertTrue(orders["orders"]["nodes"], "an order to check")
        self.assertFalse(self.contract_exceptions())

    def test_tampered_answers_give_violations_with_paths(self):
        api = self.backend._shopify()
        Contract = self.env["integration.contract"]
        shop = copy.deepcopy(api.execute(queries.SHOP, operation="Shop"))
        shop["shop"]["taxesIncluded"] = "no"
        shop["shop"]["plan"] = "basic"
        del shop["shop"]["name"]
        violations = Contract.validate_payload("shopify.graphql.shop", shop)["violations"]
        self.assertEqual(
            [(v["path"], v["validator"]) for v in violations],
            [
                ("$.shop", "required"),
                ("$.shop.plan", "additionalProperties"),
                ("$.shop.taxesIncluded", "type"),
            ],
        )
        self.create_order()
        orders = copy.deepcopy(api.execute(queries.ORDERS, {"first": 5}, operation="Orders"))
        order = orders["orders"]["nodes"][0]
        order["lineItems"]["nodes"][0]["quantity"] = "2"
        order["currencyCode"] = "XYZ"
        order["shippingAddress"]["planet"] = "Mars"
        paths = {
            v["path"]
            for v in Contract.validate_payload("shopify.graphql.orders", orders)["violations"]
        }
        self.assertEqual(
            paths,
            {
                "$.orders.nodes[0].lineItems.nodes[0].quantity",
                "$.orders.nodes[0].currencyCode",
                "$.orders.nodes[0].shippingAddress.planet",
            },
        )

    def tamper(self, operation, change):
        """Let the sandbox answer ``operation`` with its data changed by ``change``."""
        original = self.sandbox.handle_graphql

        def handle(domain, version, token, body):
            status, payload, headers = original(domain, version, token, body)
            if (body or {}).get("operationName") == operation and payload.get("data"):
                change(payload["data"])
            return status, payload, headers

        return patch.object(self.sandbox, "handle_graphql", handle)

    def test_breach_fails_the_call_and_raises_a_contract_exception(self):
        def change(data):
            data["shop"]["taxesIncluded"] = "no"
            data["shop"]["extra"] = 1

        # Not assertRaises: Odoo's rolls back a savepoint, and the exception
        # must stay when the call fails.
        with self.tamper("Shop", change):
            try:
                self.backend._shopify_call(queries.SHOP, operation="Shop")
            except ShopifyContractError as caught:
                error = caught
            else:
                self.fail("a tampered answer passed")
        self.assertEqual(error.kind, "contract")
        self.assertIn("$.shop.extra unexpected property 'extra'", str(error))
        self.assertIn("$.shop.taxesIncluded 'no' is not of type 'boolean'", str(error))
        exception = self.contract_exceptions()
        self.assertEqual(len(exception), 1)
        version = self.env["integration.contract"]._get("shopify.graphql.shop").active_version_id
        self.assertEqual(exception.contract_version_id, version)
        self.assertEqual(exception.contract_id.code, "shopify.graphql.shop")
        self.assertEqual(exception.system_id, self.backend.system_id)
        self.assertEqual(
            [v["path"] for v in exception.violations], ["$.shop.extra", "$.shop.taxesIncluded"]
        )
        self.assertEqual(exception.payload["shop"]["taxesIncluded"], "no")
        self.assertEqual(exception.payload["shop"]["extra"], 1)

    def test_paginated_reads_are_checked_too(self):
        def change(data):
            data["locations"]["nodes"][0]["isActive"] = None

        with self.tamper("Locations", change), self.assertRaises(ShopifyContractError) as caught:
            self.backend._shopify_fetch_locations()
        self.assertEqual(
            [v["path"] for v in caught.exception.violations], ["$.locations.nodes[0].isActive"]
        )

    def test_other_documents_are_not_judged(self):
        """An ad hoc selection (even under one of our names) has no contract."""
        data = self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        self.assertEqual(set(data["shop"]), {"name"})
        self.backend._shopify().execute("query { shop { id } }", operation=None)
        self.assertFalse(self.contract_exceptions())
