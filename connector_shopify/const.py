"""Shopify's constants for the ORM side: topics, contracts, costs, errors.

One per-topic table (``TOPICS``) says, for each webhook topic the connector
takes, which contract its payload meets, which business object it is about
and which mapper turns it into a canonical document: the inbound hooks read
it instead of branching on the topic.
"""

from pathlib import Path

from odoo.addons.connector_base.lib import retry

from .lib import queries, response_schema, stock_sync
from .lib.graphql_client import shopify_errors

SCHEMAS = Path(__file__).resolve().parent / "schemas"

# The Shopify errors in connector_base's taxonomy (PermanentError subclasses).
ERRORS = shopify_errors(retry)
ShopifyUserError = ERRORS.ShopifyUserError
ShopifyContractError = ERRORS.ShopifyContractError

TOPICS = {
    "orders/create": {"contract": "shopify.order", "object": "order", "mapper": "order"},
    "orders/updated": {"contract": "shopify.order", "object": "order", "mapper": "order"},
    "orders/cancelled": {"contract": "shopify.order", "object": "order", "mapper": "order"},
    "refunds/create": {
        "contract": "shopify.refund",
        "object": "return",
        "mapper": "refund",
        "flow": "returns_in",
    },
    "app/uninstalled": {"contract": "shopify.shop", "object": "order", "mapper": "uninstalled"},
    # Shopify's levels as they change: what Odoo knows of them stays true
    # without reading them (a stock sync's compare-and-set needs them).
    "inventory_levels/update": {
        "contract": "shopify.inventory_level",
        "object": "stock",
        "mapper": "inventory_level",
        # Echoes of its own sales at peak: after the orders (their priority).
        "flow": "stock_out",
    },
    # A bulk operation ended: the job waiting for it runs now, not at its
    # next look (nothing is imported). Before an orders backlog (10), as the
    # inbox's drain (5): the wake must not wait behind the orders.
    "bulk_operations/finish": {
        "contract": "shopify.bulk_operation",
        "object": "stock",
        "mapper": "bulk_finished",
        "flow": "stock_out",
        "priority": 5,
    },
}

# Units of these topics' orders still in the inbox are held back from stock.
PENDING_STOCK = {
    "topics": ["orders/create"],
    "lines": "line_items",
    "sku": "sku",
    "quantity": "quantity",
}

# What the bucket is asked for when an operation's cost is not known yet.
DEFAULT_COST = {"mutation": 10.0, "query": 100.0}
MUTATIONS = {
    "InventorySet",
    "FulfillmentCreate",
    "WebhookCreate",
    "WebhookUpdate",
    "WebhookDelete",
    "ProductSet",
    "BulkRunQuery",
    "StagedUploadsCreate",
    "BulkRunMutation",
}
# A bulk operation still running is looked at again (the job is retried,
# never put to sleep) after half its age, at least BULK_POLL_SECONDS (most
# finish within a second or two) and at most BULK_POLL_MAX_SECONDS: a look
# costs one point and one attempt of the job, a late look the whole delay.
BULK_POLL_SECONDS = 0.25
BULK_POLL_MAX_SECONDS = 10
# inventorySetQuantities takes up to 250 quantities.
STOCK_BATCH_SIZE = 250
STALE_CODES = stock_sync.STALE_CODES

SHOPIFY_CONTRACTS = [
    {
        "code": "shopify.order",
        "file": "shopify_order.json",
        "name": "Shopify order webhook (orders/create, updated, cancelled)",
        "business_object": "order",
        "direction": "inbound",
    },
    {
        "code": "shopify.refund",
        "file": "shopify_refund.json",
        "name": "Shopify refund webhook (refunds/create)",
        "business_object": "return",
        "direction": "inbound",
        "owner_team": "integration_governance.team_finance",
    },
    {
        "code": "shopify.inventory_level",
        "file": "shopify_inventory_level.json",
        "name": "Shopify inventory level webhook (inventory_levels/update)",
        "business_object": "stock",
        "direction": "inbound",
        "owner_team": "integration_governance.team_fulfilment",
    },
    {
        "code": "shopify.shop",
        "file": "shopify_shop.json",
        "name": "Shopify shop webhook (app/uninstalled)",
        "business_object": "order",
        "direction": "inbound",
    },
    {
        "code": "shopify.bulk_operation",
        "file": "shopify_bulk_operation.json",
        "name": "Shopify bulk operation webhook (bulk_operations/finish)",
        "business_object": "stock",
        "direction": "inbound",
        "owner_team": "integration_governance.team_fulfilment",
    },
]

# The response of every document the connector sends has a contract generated
# from the document and Shopify's schema (tools/generate_response_contracts.py).
RESPONSE_BUSINESS_OBJECTS = {
    "Shop": "order",
    "Locations": "stock",
    "Variants": "product",
    "InventoryLevels": "stock",
    "BulkRunQuery": "stock",
    "CurrentBulkOperation": "stock",
    "StagedUploadsCreate": "stock",
    "BulkRunMutation": "stock",
    "CurrentBulkMutation": "stock",
    "ItemLevels": "stock",
    "InventorySet": "stock",
    "Orders": "order",
    "FulfillmentOrders": "shipment",
    "FulfillmentCreate": "shipment",
    "Webhooks": "order",
    "WebhookCreate": "order",
    "WebhookUpdate": "order",
    "WebhookDelete": "order",
    "ProductSet": "product",
}
# Documents with the same selection as an operation's, for older API versions.
RESPONSE_VARIANTS = {"InventorySet": [queries.INVENTORY_SET_2025_10]}
RESPONSE_CONTRACTS = {
    operation: {
        "code": response_schema.contract_code(operation),
        "file": f"graphql/{operation}.json",
        "name": f"Shopify GraphQL {operation} response",
        "business_object": RESPONSE_BUSINESS_OBJECTS.get(operation, "order"),
        "direction": "inbound",
        "documents": frozenset([document, *RESPONSE_VARIANTS.get(operation, [])]),
    }
    for operation, document in queries.ALL.items()
}
SHOPIFY_CONTRACTS += [
    {key: value for key, value in spec.items() if key != "documents"}
    for spec in RESPONSE_CONTRACTS.values()
]
