"""Every GraphQL document the connector sends to the Shopify Admin API.

One place, so the sandbox, the contracts and the tests all know the exact
selection sets: the sandbox validates each document against Shopify's
published schema of the backend's API version, and every response the
connector reads has a contract derived from its selection.
"""

MONEY = "shopMoney { amount currencyCode }"

SHOP = """
query Shop {
  shop { id name myshopifyDomain currencyCode taxesIncluded }
}
"""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    nodes { id legacyResourceId name isActive fulfillsOnlineOrders }
    pageInfo { hasNextPage endCursor }
  }
}
"""

VARIANTS = """
query Variants($first: Int!, $after: String, $query: String) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id legacyResourceId sku title price
      inventoryItem { id tracked }
      product { id title }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

BULK_RUN_QUERY = """
mutation BulkRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

CURRENT_BULK_OPERATION = """
query CurrentBulkOperation {
  currentBulkOperation(type: QUERY) {
    id status errorCode objectCount url createdAt query
  }
}
"""

# A bulk import: a staged target for the JSONL of variables, the run of one
# mutation over its lines, and the state of the shop's latest one.
STAGED_UPLOADS_CREATE = """
mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

BULK_RUN_MUTATION = """
mutation BulkRunMutation($mutation: String!, $stagedUploadPath: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

CURRENT_BULK_MUTATION = """
query CurrentBulkMutation {
  currentBulkOperation(type: MUTATION) {
    id status errorCode objectCount url createdAt query
  }
}
"""

INVENTORY_LEVELS = """
query InventoryLevels($locationId: ID!, $first: Int!, $after: String) {
  location(id: $locationId) {
    id
    inventoryLevels(first: $first, after: $after) {
      nodes {
        item { id sku }
        quantities(names: ["available"]) { name quantity }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

ITEM_LEVELS = """
query ItemLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

INVENTORY_SET = """
mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
"""

# API 2025-10: no @idempotent directive, compare-and-set by compareQuantity.
INVENTORY_SET_2025_10 = """
mutation InventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}
"""

ORDER_FIELDS = f"""
fragment OrderFields on Order {{
  id legacyResourceId name email phone createdAt updatedAt cancelledAt
  currencyCode displayFinancialStatus taxesIncluded note tags discountCodes
  totalPriceSet {{ {MONEY} }}
  subtotalPriceSet {{ {MONEY} }}
  totalTaxSet {{ {MONEY} }}
  totalDiscountsSet {{ {MONEY} }}
  customer {{ id legacyResourceId email firstName lastName phone }}
  billingAddress {{ firstName lastName company address1 address2 city zip provinceCode countryCodeV2 phone }}
  shippingAddress {{ firstName lastName company address1 address2 city zip provinceCode countryCodeV2 phone }}
  lineItems(first: 50) {{
    nodes {{
      id sku name quantity requiresShipping
      variant {{ id legacyResourceId }}
      originalUnitPriceSet {{ {MONEY} }}
      discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
      taxLines {{ title rate priceSet {{ {MONEY} }} }}
    }}
  }}
  shippingLines(first: 5) {{
    nodes {{
      code title
      originalPriceSet {{ {MONEY} }}
      taxLines {{ title rate priceSet {{ {MONEY} }} }}
    }}
  }}
}}
"""

ORDERS = (
    """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + ORDER_FIELDS
)

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 50) { nodes { id sku remainingQuantity } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo { company number url } }
    userErrors { field message }
  }
}
"""

WEBHOOK_FIELDS = "id topic uri includeFields format"

WEBHOOKS = f"""
query Webhooks($first: Int!, $after: String) {{
  webhookSubscriptions(first: $first, after: $after) {{
    nodes {{ {WEBHOOK_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

WEBHOOK_CREATE = f"""
mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $input: WebhookSubscriptionInput!) {{
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $input) {{
    webhookSubscription {{ {WEBHOOK_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

WEBHOOK_UPDATE = f"""
mutation WebhookUpdate($id: ID!, $input: WebhookSubscriptionInput!) {{
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $input) {{
    webhookSubscription {{ {WEBHOOK_FIELDS} }}
    userErrors {{ field message }}
  }}
}}
"""

WEBHOOK_DELETE = """
mutation WebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id
      variants(first: 100) { nodes { id sku inventoryItem { id } } }
    }
    userErrors { code field message }
  }
}
"""

ALL = {
    "Shop": SHOP,
    "Locations": LOCATIONS,
    "Variants": VARIANTS,
    "BulkRunQuery": BULK_RUN_QUERY,
    "CurrentBulkOperation": CURRENT_BULK_OPERATION,
    "StagedUploadsCreate": STAGED_UPLOADS_CREATE,
    "BulkRunMutation": BULK_RUN_MUTATION,
    "CurrentBulkMutation": CURRENT_BULK_MUTATION,
    "InventoryLevels": INVENTORY_LEVELS,
    "ItemLevels": ITEM_LEVELS,
    "InventorySet": INVENTORY_SET,
    "Orders": ORDERS,
    "FulfillmentOrders": FULFILLMENT_ORDERS,
    "FulfillmentCreate": FULFILLMENT_CREATE,
    "Webhooks": WEBHOOKS,
    "WebhookCreate": WEBHOOK_CREATE,
    "WebhookUpdate": WEBHOOK_UPDATE,
    "WebhookDelete": WEBHOOK_DELETE,
    "ProductSet": PRODUCT_SET,
}

# Webhook topics the connector subscribes to, with the REST-format top-level
# fields it asks for (``includeFields``): its contracts list exactly these.
WEBHOOK_TOPICS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "REFUNDS_CREATE": "refunds/create",
    "APP_UNINSTALLED": "app/uninstalled",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
}
ORDER_WEBHOOK_FIELDS = [
    "id",
    "admin_graphql_api_id",
    "name",
    "email",
    "phone",
    "created_at",
    "updated_at",
    "cancelled_at",
    "cancel_reason",
    "currency",
    "financial_status",
    "taxes_included",
    "total_price",
    "subtotal_price",
    "total_tax",
    "total_discounts",
    "note",
    "tags",
    "discount_codes",
    "customer",
    "billing_address",
    "shipping_address",
    "line_items",
    "shipping_lines",
]
REFUND_WEBHOOK_FIELDS = [
    "id",
    "admin_graphql_api_id",
    "order_id",
    "created_at",
    "note",
    "restock",
    "refund_line_items",
    "transactions",
    "order_adjustments",
]
SHOP_WEBHOOK_FIELDS = ["id", "name", "domain", "myshopify_domain"]
INVENTORY_LEVEL_WEBHOOK_FIELDS = [
    "inventory_item_id",
    "location_id",
    "available",
    "updated_at",
    "admin_graphql_api_id",
]
BULK_OPERATION_WEBHOOK_FIELDS = [
    "admin_graphql_api_id",
    "completed_at",
    "created_at",
    "error_code",
    "status",
    "type",
]
TOPIC_FIELDS = {
    "ORDERS_CREATE": ORDER_WEBHOOK_FIELDS,
    "ORDERS_UPDATED": ORDER_WEBHOOK_FIELDS,
    "ORDERS_CANCELLED": ORDER_WEBHOOK_FIELDS,
    "REFUNDS_CREATE": REFUND_WEBHOOK_FIELDS,
    "APP_UNINSTALLED": SHOP_WEBHOOK_FIELDS,
    "INVENTORY_LEVELS_UPDATE": INVENTORY_LEVEL_WEBHOOK_FIELDS,
    "BULK_OPERATIONS_FINISH": BULK_OPERATION_WEBHOOK_FIELDS,
}


def include_fields(schema):
    """Every property path of a closed contract schema, nested ones joined by a
    period: the ``includeFields`` of a webhook subscription, so Shopify sends
    exactly what the contract lists
    (https://shopify.dev/docs/apps/build/webhooks/customize/modify-payloads)."""
    definitions = schema.get("$defs") or {}

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def object_of(node):
        node = resolve(node)
        if not isinstance(node, dict):
            return None
        if node.get("type") == "array" or "items" in node:
            return object_of(node.get("items"))
        for branch in node.get("anyOf") or node.get("oneOf") or []:
            found = object_of(branch)
            if found:
                return found
        return node if node.get("properties") else None

    paths = []

    def walk(node, prefix):
        for name, child in node["properties"].items():
            nested = object_of(child)
            if nested:
                walk(nested, f"{prefix}{name}.")
            else:
                paths.append(f"{prefix}{name}")

    walk(schema, "")
    return paths
