"""A second, independent GraphQL client: not the connector's, generated from the schema.

For each served type it asks every scalar, enum and money field (those with
no required argument) through the API's own entry points over HTTP, and
checks every answer against the schema's declared type. The sandbox cannot
pass by answering only what ``connector_shopify`` asks.
"""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

import requests
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)

from ..sandbox.coverage import MONEY_TYPES, SERVED_TYPES
from ..sandbox.schema_files import load_schema, supported_versions
from .sandbox_rich_shop import RichShopCase
from .sandbox_support import DOMAIN, TIMEOUT, TOKEN

MONEY_V2 = "{ amount currencyCode }"
MONEY_SELECTION = {
    "MoneyV2": MONEY_V2,
    "MoneyBag": f"{{ shopMoney {MONEY_V2} presentmentMoney {MONEY_V2} }}",
}
# How a client reaches each type: a path with one ``SELECTION`` placeholder.
PATHS = {
    "Shop": "shop { SELECTION }",
    "AppInstallation": "currentAppInstallation { SELECTION }",
    "Location": "locations(first: 5) { nodes { SELECTION } }",
    "Product": "products(first: 5) { nodes { SELECTION } }",
    "ProductVariant": "productVariants(first: 5) { nodes { SELECTION } }",
    "InventoryItem": "inventoryItems(first: 5) { nodes { SELECTION } }",
    "InventoryLevel": "locations(first: 1) { nodes { inventoryLevels(first: 5) { nodes { SELECTION } } } }",
    "InventoryAdjustmentGroup": "node(id: $adjustment) { ... on InventoryAdjustmentGroup { SELECTION } }",
    "Order": "orders(first: 5) { nodes { SELECTION } }",
    "LineItem": "orders(first: 5) { nodes { lineItems(first: 5) { nodes { SELECTION } } } }",
    "ShippingLine": "orders(first: 5) { nodes { shippingLines(first: 5) { nodes { SELECTION } } } }",
    "TaxLine": "orders(first: 5) { nodes { taxLines { SELECTION } } }",
    "Refund": "orders(first: 5) { nodes { refunds { SELECTION } } }",
    "Return": "orders(first: 5) { nodes { returns(first: 5) { nodes { SELECTION } } } }",
    "OrderTransaction": "orders(first: 5) { nodes { transactions { SELECTION } } }",
    "Customer": "customers(first: 5) { nodes { SELECTION } }",
    "MailingAddress": "orders(first: 5) { nodes { shippingAddress { SELECTION } } }",
    "FulfillmentOrder": "orders(first: 5) { nodes { fulfillmentOrders(first: 5) { nodes { SELECTION } } } }",
    "Fulfillment": "orders(first: 5) { nodes { fulfillments { SELECTION } } }",
    "WebhookSubscription": "webhookSubscriptions(first: 5) { nodes { SELECTION } }",
    "BulkOperation": "node(id: $bulk) { ... on BulkOperation { SELECTION } }",
    "DraftOrder": "draftOrders(first: 5) { nodes { SELECTION } }",
}
SCALAR_CHECKS = {
    "Int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "ID": lambda v: isinstance(v, str) and v != "",
    "DateTime": lambda v: isinstance(v, str) and _is_datetime(v),
    "Decimal": lambda v: isinstance(v, str) and _is_decimal(v),
    "Money": lambda v: isinstance(v, str) and _is_decimal(v),
    "UnsignedInt64": lambda v: isinstance(v, str) and v.isdigit(),
    "URL": lambda v: isinstance(v, str) and re.match(r"^https?://", v) is not None,
    "HTML": lambda v: isinstance(v, str),
    "FormattedString": lambda v: isinstance(v, str),
    "StorefrontID": lambda v: isinstance(v, str) and v != "",
    "JSON": lambda v: True,
}


def _is_datetime(value):
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_decimal(value):
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True


def selection(graphql_type):
    """(names, text) of every scalar, enum and money field of a type that needs no argument."""
    names, parts = [], []
    for name, field in graphql_type.fields.items():
        if any(
            isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
            for arg in field.args.values()
        ):
            continue
        named = get_named_type(field.type)
        if isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(name)
        elif named.name in MONEY_TYPES:
            parts.append(f"{name} {MONEY_SELECTION[named.name]}")
        else:
            continue
        names.append(name)
    return names, " ".join(parts)


def type_errors(value, output_type, path):
    """Every place where ``value`` does not fit the schema's ``output_type``."""
    if isinstance(output_type, GraphQLNonNull):
        if value is None:
            return [f"{path}: null for a non-null {output_type}"]
        return type_errors(value, output_type.of_type, path)
    if value is None:
        return []
    if isinstance(output_type, GraphQLList):
        if not isinstance(value, list):
            return [f"{path}: {value!r} is not a list"]
        return [
            e
            for i, item in enumerate(value)
            for e in type_errors(item, output_type.of_type, f"{path}[{i}]")
        ]
    if isinstance(output_type, GraphQLEnumType):
        return (
            []
            if value in output_type.values
            else [f"{path}: {value!r} is not a {output_type.name}"]
        )
    if isinstance(output_type, GraphQLScalarType):
        check = SCALAR_CHECKS.get(output_type.name, lambda v: isinstance(v, str))
        return [] if check(value) else [f"{path}: {value!r} is not a {output_type.name}"]
    if isinstance(output_type, GraphQLObjectType):
        if not isinstance(value, dict):
            return [f"{path}: {value!r} is not an object"]
        return [
            e
            for key, item in value.items()
            if key != "__typename"
            for e in type_errors(item, output_type.fields[key].type, f"{path}.{key}")
        ]
    return []


def objects_at(data, type_name):
    """The objects of ``type_name`` in an answer, found by their __typename marker."""
    found = []
    if isinstance(data, dict):
        if data.get("__typename") == type_name:
            found.append(data)
        for value in data.values():
            found.extend(objects_at(value, type_name))
    elif isinstance(data, list):
        for value in data:
            found.extend(objects_at(value, type_name))
    return found


class TestSecondClient(RichShopCase):
    def ask(self, version, document, variables):
        response = requests.post(
            self.sandbox.graphql_url(DOMAIN, version),
            json={"query": document, "variables": variables},
            headers={"X-Shopify-Access-Token": TOKEN, "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.json()

    def test_every_served_type_answers_all_its_fields_as_the_schema_types_them(self):
        self.assertEqual(set(PATHS), set(SERVED_TYPES))
        variables = {"adjustment": self.adjustment, "bulk": self.bulk_id}
        asked = 0
        for version in supported_versions():
            schema = load_schema(version)
            for type_name, path in PATHS.items():
                with self.subTest(version=version, type=type_name):
                    graphql_type = schema.get_type(type_name)
                    names, fields = selection(graphql_type)
                    used = [name for name in ("adjustment", "bulk") if f"${name}" in path]
                    header = "".join(f"${name}: ID!" for name in used)
                    document = (
                        f"query{'(' + header + ')' if header else ''} "
                        f"{{ {path.replace('SELECTION', '__typename ' + fields)} }}"
                    )
                    body = self.ask(version, document, {n: variables[n] for n in used})
                    self.assertNotIn("errors", body, str(body.get("errors"))[:1500])
                    objects = objects_at(body["data"], type_name)
                    self.assertTrue(objects, f"no {type_name} reached by {path}")
                    for obj in objects:
                        # Every field asked is answered, with a value of its declared type.
                        self.assertEqual(set(obj), {"__typename", *names})
                        self.assertEqual(type_errors(obj, graphql_type, type_name), [])
                    asked += 1
        self.assertEqual(asked, len(PATHS) * len(supported_versions()))
