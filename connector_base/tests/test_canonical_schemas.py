"""The canonical documents' JSON Schemas (``connector_base/schemas/``).

Plain pytest, no database. Each schema must be a valid, closed Draft 2020-12
document, accept its example in ``schemas/examples/`` and reject a broken
copy of that example at the JSON path the contract check would report.
"""

import copy
import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from odoo.addons.integration_governance.lib.payload import json_path, violations
from odoo.addons.integration_governance.lib.schema_compat import open_object_paths

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
EXAMPLES = SCHEMAS / "examples"
NAMES = ("customer", "order", "product", "stock_level", "shipment", "return", "settlement_line")
ID_PREFIX = "https://integration-suite.example/schemas/canonical/"

# "internal" is the default and is left implicit; "secret" never belongs in
# a canonical document.
CLASSIFICATIONS = {"public", "personal", "financial"}
MONEY_NAME = re.compile(r"price|amount|tax|total|fee|refund|rate")
PERSONAL_NAMES = {
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "street",
    "street2",
    "city",
    "zip",
    "note",
}

# Keywords whose value is a schema, a list of schemas or a map of schemas.
_ONE = ("items", "additionalProperties", "unevaluatedProperties", "not", "if", "then", "else")
_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "dependentSchemas", "$defs")


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _schema(name):
    return _load(SCHEMAS / f"{name}.json")


def _example(name):
    return _load(EXAMPLES / f"{name}.json")


def _validator(schema):
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _violations(name, document):
    return violations(_validator(_schema(name)), document)


def _subschemas(schema, where="#"):
    """Every schema in the document, with its JSON pointer, $defs included."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for keyword in _ONE:
        yield from _subschemas(schema.get(keyword), f"{where}/{keyword}")
    for keyword in _LIST:
        for index, sub in enumerate(schema.get(keyword) or ()):
            yield from _subschemas(sub, f"{where}/{keyword}/{index}")
    for keyword in _MAP:
        for name, sub in (schema.get(keyword) or {}).items():
            yield from _subschemas(sub, f"{where}/{keyword}/{name}")


def _properties(schema):
    """(pointer, name, property schema) for every declared property, $defs included."""
    for where, sub in _subschemas(schema):
        for name, prop in (sub.get("properties") or {}).items():
            yield f"{where}/properties/{name}", name, prop


def _objects(document, parts=()):
    """(path parts, dict) for every object of a document, the root first."""
    if isinstance(document, dict):
        yield parts, document
        for key, value in document.items():
            yield from _objects(value, (*parts, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _objects(value, (*parts, index))


def _at(document, parts):
    for part in parts:
        document = document[part]
    return document


# ------------------------------------------------------------- the files


def test_every_schema_has_one_example():
    assert sorted(p.stem for p in SCHEMAS.glob("*.json")) == sorted(NAMES)
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name):
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{ID_PREFIX}{name}/1.0.0"
    assert schema["title"].strip()
    assert schema["description"].strip()
    assert schema["type"] == "object"


@pytest.mark.parametrize("name", NAMES)
def test_example_is_valid(name):
    errors = list(_validator(_schema(name)).iter_errors(_example(name)))
    assert [(json_path(e.absolute_path), e.message) for e in errors] == []


def test_format_checker_enforces_date_time():
    """Without it a wrong timestamp would pass silently."""
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers
    order = _example("order")
    order["created_at"] = "14/03/2025 09:21"
    assert [(v["path"], v["validator"]) for v in _violations("order", order)] == [
        ("$.created_at", "format")
    ]


# ------------------------------------------------------------ closedness


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_closed(name):
    schema = _schema(name)
    assert open_object_paths(schema) == []
    # open_object_paths only follows what the root reaches: check every
    # object schema of the file, unreferenced $defs included.
    for where, sub in _subschemas(schema):
        declared = sub.get("type")
        declared = [declared] if isinstance(declared, str) else declared or []
        if "properties" in sub:
            assert declared == ["object"], where
        if "object" in declared:
            assert sub.get("additionalProperties") is False, where


@pytest.mark.parametrize("name", NAMES)
def test_every_object_of_the_example_rejects_an_unexpected_property(name):
    example = _example(name)
    for parts, _obj in _objects(example):
        broken = copy.deepcopy(example)
        _at(broken, parts)["x_unexpected"] = "surprise"
        assert _violations(name, broken) == [
            {
                "path": json_path([*parts, "x_unexpected"]),
                "validator": "additionalProperties",
                "message": "unexpected property 'x_unexpected'",
            }
        ]


@pytest.mark.parametrize(
    ("name", "parts", "key", "path"),
    [
        ("customer", (), "loyalty_points", "$.loyalty_points"),
        ("customer", ("addresses", 0), "province", "$.addresses[0].province"),
        ("order", (), "total_discounts", "$.total_discounts"),
        ("order", ("customer",), "orders_count", "$.customer.orders_count"),
        ("order", ("shipping_address",), "latitude", "$.shipping_address.latitude"),
        ("order", ("lines", 1), "gift_wrap", "$.lines[1].gift_wrap"),
        ("order", ("lines", 0, "tax_lines", 0), "price", "$.lines[0].tax_lines[0].price"),
        ("product", (), "body_html", "$.body_html"),
        ("product", ("variant_options", 1), "position", "$.variant_options[1].position"),
        ("stock_level", (), "quantity_reserved", "$.quantity_reserved"),
        ("shipment", ("lines", 1), "lot", "$.lines[1].lot"),
        ("return", ("transactions", 0), "status", "$.transactions[0].status"),
        ("settlement_line", (), "marketplace", "$.marketplace"),
    ],
)
def test_unexpected_property_is_rejected_at_its_path(name, parts, key, path):
    broken = _example(name)
    target = _at(broken, parts)
    assert key not in target
    target[key] = 1
    assert _violations(name, broken) == [
        {
            "path": path,
            "validator": "additionalProperties",
            "message": f"unexpected property '{key}'",
        }
    ]


# -------------------------------------------------------------- required


@pytest.mark.parametrize(
    ("name", "parts", "key", "path"),
    [
        ("customer", (), "external_id", "$"),
        ("order", (), "total_price", "$"),
        ("order", ("lines", 1), "sku", "$.lines[1]"),
        ("order", ("lines", 0, "tax_lines", 0), "amount", "$.lines[0].tax_lines[0]"),
        ("product", (), "sku", "$"),
        ("product", ("variant_options", 0), "value", "$.variant_options[0]"),
        ("stock_level", (), "updated_at", "$"),
        ("shipment", ("lines", 0), "quantity", "$.lines[0]"),
        ("return", (), "total_refund", "$"),
        ("return", ("transactions", 0), "kind", "$.transactions[0]"),
        ("settlement_line", (), "type", "$"),
    ],
)
def test_missing_required_field_is_rejected_at_its_path(name, parts, key, path):
    broken = _example(name)
    del _at(broken, parts)[key]
    assert _violations(name, broken) == [
        {"path": path, "validator": "required", "message": f"'{key}' is a required property"}
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_top_level_required_field_is_in_the_example_and_enforced(name):
    schema = _schema(name)
    example = _example(name)
    assert schema["required"]
    for key in schema["required"]:
        broken = copy.deepcopy(example)
        del broken[key]
        assert _violations(name, broken) == [
            {"path": "$", "validator": "required", "message": f"'{key}' is a required property"}
        ]


# -------------------------------------------------------- classification


@pytest.mark.parametrize("name", NAMES)
def test_classifications(name):
    schema = _schema(name)
    for where, key, prop in _properties(schema):
        classification = prop.get("x-classification")
        assert classification in (CLASSIFICATIONS | {None}), where
        is_money = prop.get("type") == "number" and MONEY_NAME.search(key)
        assert (classification == "financial") == bool(is_money), where
        if key in PERSONAL_NAMES:
            assert classification == "personal", where
    for key, prop in schema.get("$defs", {}).get("address", {}).get("properties", {}).items():
        assert prop.get("x-classification") == "personal", key
    for where, _key, prop in _properties(schema):
        ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
        if ref == "#/$defs/address":
            assert prop.get("x-classification") == "personal", where


def test_classified_fields_of_the_order():
    classified = {
        where: prop.get("x-classification") for where, _, prop in _properties(_schema("order"))
    }
    assert classified["#/properties/total_price"] == "financial"
    assert classified["#/$defs/line/properties/unit_price"] == "financial"
    assert classified["#/$defs/customer/properties/email"] == "personal"
    assert classified["#/properties/billing_address"] == "personal"
    assert classified["#/properties/external_id"] is None


# ------------------------------------------------------- particular rules


def test_order_allows_null_fulfillment_status_and_cancelled_at_only():
    order = _example("order")
    assert order["fulfillment_status"] is None and order["cancelled_at"] is None
    order["fulfillment_status"] = "partial"
    order["cancelled_at"] = "2025-03-15T08:00:00Z"
    order["cancel_reason"] = "customer"
    assert _violations("order", order) == []
    order["fulfillment_status"] = "shipped"
    order["note"] = None
    assert [(v["path"], v["validator"]) for v in _violations("order", order)] == [
        ("$.fulfillment_status", "enum"),
        ("$.note", "type"),
    ]


@pytest.mark.parametrize(
    ("name", "parts", "key", "value", "path", "validator"),
    [
        ("order", (), "currency", "usd", "$.currency", "pattern"),
        (
            "order",
            ("shipping_address",),
            "country_code",
            "USA",
            "$.shipping_address.country_code",
            "pattern",
        ),
        ("order", (), "lines", [], "$.lines", "minItems"),
        ("order", ("lines", 0), "quantity", 0, "$.lines[0].quantity", "minimum"),
        ("order", ("lines", 0), "quantity", 1.5, "$.lines[0].quantity", "type"),
        ("order", ("lines", 0), "sku", "", "$.lines[0].sku", "minLength"),
        ("order", ("lines", 0), "unit_price", -1, "$.lines[0].unit_price", "minimum"),
        ("order", (), "financial_status", "settled", "$.financial_status", "enum"),
        ("customer", (), "email", "not-an-address", "$.email", "format"),
        ("shipment", (), "status", "lost", "$.status", "enum"),
        ("shipment", (), "tracking_url", "ups.com/track", "$.tracking_url", "pattern"),
        ("return", ("transactions", 0), "kind", "capture", "$.transactions[0].kind", "enum"),
        ("settlement_line", (), "type", "chargeback", "$.type", "enum"),
        ("stock_level", (), "quantity_available", "42", "$.quantity_available", "type"),
    ],
)
def test_wrong_value_is_rejected_at_its_path(name, parts, key, value, path, validator):
    broken = _example(name)
    _at(broken, parts)[key] = value
    assert [(v["path"], v["validator"]) for v in _violations(name, broken)] == [(path, validator)]


def test_product_list_price_needs_its_currency():
    product = _example("product")
    del product["currency"]
    assert [(v["path"], v["validator"]) for v in _violations("product", product)] == [
        ("$", "dependentRequired")
    ]
    del product["list_price"]
    assert _violations("product", product) == []


def test_settlement_amounts_are_signed():
    line = _example("settlement_line")
    line.update(type="commission", amount=-8.85, fee_amount=-1.2)
    assert _violations("settlement_line", line) == []
