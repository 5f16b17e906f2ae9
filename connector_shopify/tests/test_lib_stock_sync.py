"""Reading a bulk operation's JSONL of stock levels (lib/stock_sync.py)."""

import json

import graphql

from odoo.addons.connector_shopify.lib import stock_sync


def test_bulk_levels_are_read_per_location_from_child_lines():
    lines = [
        {"id": "gid://shopify/Location/7"},
        {
            "item": {"id": "gid://shopify/InventoryItem/1"},
            "quantities": [{"name": "available", "quantity": 4}],
            "__parentId": "gid://shopify/Location/7",
        },
        {
            "item": {"id": "gid://shopify/InventoryItem/2"},
            "quantities": [{"name": "available", "quantity": 0}],
            "__parentId": "gid://shopify/Location/7",
        },
        {"id": "gid://shopify/Location/8"},
        {
            "item": {"id": "gid://shopify/InventoryItem/1"},
            "quantities": [{"name": "available", "quantity": 9}],
            "__parentId": "gid://shopify/Location/8",
        },
        {"id": "gid://shopify/Location/9"},  # stocks nothing: no level line
    ]
    jsonl = "\n".join(json.dumps(line) for line in lines) + "\n"
    assert stock_sync.bulk_levels(jsonl) == {
        "gid://shopify/Location/7": {
            "gid://shopify/InventoryItem/1": 4,
            "gid://shopify/InventoryItem/2": 0,
        },
        "gid://shopify/Location/8": {"gid://shopify/InventoryItem/1": 9},
    }
    assert stock_sync.bulk_levels("") == {}


def test_the_bulk_query_names_its_run_and_is_valid_graphql():
    query = stock_sync.bulk_levels_query("job-uuid-1")
    assert "job-uuid-1" in query
    assert stock_sync.bulk_levels_query("job-uuid-2") != query
    document = graphql.parse(query)  # the run id sits in a comment
    assert [d.operation.value for d in document.definitions] == ["query"]


def test_stale_indexes_name_only_the_refused_quantities():
    errors = [
        {"code": "CHANGE_FROM_QUANTITY_STALE", "field": ["input", "quantities", "2", "x"]},
        {"code": "COMPARE_QUANTITY_STALE", "field": ["input", "quantities", "0", "y"]},
        {"code": "INVALID_QUANTITY", "field": ["input", "quantities", "1", "quantity"]},
        {"code": "CHANGE_FROM_QUANTITY_STALE", "field": None},
    ]
    assert stock_sync.stale_indexes(errors) == {0, 2}
    assert stock_sync.stale_indexes([]) == set()
