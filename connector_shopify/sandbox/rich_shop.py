"""A shop holding one of everything the sandbox serves (schema walks, the coverage table)."""

import time

from . import bulk

ADDRESS = {
    "first_name": "Ava",
    "last_name": "Miller",
    "address1": "1 Market St",
    "city": "San Francisco",
    "province_code": "CA",
    "zip": "94107",
    "country_code": "US",
    "phone": "+14155550100",
}
INVENTORY_SET = (
    "mutation($input: InventorySetQuantitiesInput!) {"
    ' inventorySetQuantities(input: $input) @idempotent(key: "rich-shop") {'
    " inventoryAdjustmentGroup { id } userErrors { message } } }"
)
SUBSCRIBE = (
    "mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {"
    " webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri})"
    " { userErrors { message } } }"
)
BULK_QUERY = (
    'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }")'
    " { bulkOperation { id } userErrors { message } } }"
)


def _graphql(sandbox, domain, token, query, variables=None):
    status, body, _ = sandbox.handle_graphql(
        domain, "2026-10", token, {"query": query, "variables": variables or {}}
    )
    if status != 200 or body.get("errors"):
        raise RuntimeError(f"rich shop seed failed: {status} {body}")
    return body["data"]


def seed_rich_shop(sandbox, domain, token):
    """Add to a shop with a location and a two-variant product everything else.

    Returns the ids a client needs to reach what has no list of its own.
    """
    store = sandbox.store
    shop = store.shop(domain)
    product = next(iter(shop.products.values()))
    location = store.first_location(shop)
    sandbox.update_product(
        domain, product["id"], description_html="<p>A <b>chair</b>.</p>", tags="office"
    )
    customer = sandbox.add_customer(
        domain, email="ava@example.com", first_name="Ava", last_name="Miller", address=ADDRESS
    )
    first_sku = shop.variants[product["variant_ids"][0]]["sku"]
    order = sandbox.create_order(
        domain,
        customer_id=customer["id"],
        lines=[
            {
                "sku": first_sku,
                "quantity": 2,
                "discount": "5.00",
                "tax_lines": [{"title": "CA State Tax", "rate": "0.0725"}],
            }
        ],
        shipping_lines=[{"title": "Standard", "price": "9.90"}],
        shipping_address=ADDRESS,
        billing_address=ADDRESS,
        discount_codes=[{"code": "WELCOME5", "amount": "5.00"}],
    )
    with store.lock:
        fulfillment_order_id = shop.orders[order["id"]]["fulfillment_order_ids"][0]
        fulfillment, errors = store.create_fulfillment(
            shop,
            [{"fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{fulfillment_order_id}"}],
            tracking={"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"},
        )
    if errors:
        raise RuntimeError(f"rich shop seed failed: {errors}")
    sandbox.update_fulfillment(domain, fulfillment["id"], shipment_status="in_transit")
    sandbox.create_return(domain, order["id"], lines=[{"sku": first_sku, "quantity": 1}])
    sandbox.refund_order(
        domain,
        order["id"],
        lines=[{"sku": first_sku, "quantity": 1, "restock_type": "return"}],
        shipping_amount="9.90",
        note="Returned",
    )
    second = shop.variants[product["variant_ids"][-1]]
    draft = sandbox.create_draft_order(
        domain,
        customer_id=customer["id"],
        lines=[{"variant_id": second["id"], "quantity": 1, "price": "99.00"}],
        shipping_line={"title": "Express", "price": "15.00"},
        shipping_address=ADDRESS,
        note="Phone order",
    )
    _graphql(
        sandbox,
        domain,
        token,
        SUBSCRIBE,
        {"topic": "ORDERS_CREATE", "uri": "https://example.com/hooks"},
    )
    adjustment = _graphql(
        sandbox,
        domain,
        token,
        INVENTORY_SET,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": f"gid://shopify/InventoryItem/{second['inventory_item_id']}",
                        "locationId": f"gid://shopify/Location/{location['id']}",
                        "quantity": 4,
                        "changeFromQuantity": shop.levels.get(
                            (second["inventory_item_id"], location["id"]), 0
                        ),
                    }
                ],
            }
        },
    )["inventorySetQuantities"]["inventoryAdjustmentGroup"]["id"]
    bulk_id = _graphql(sandbox, domain, token, BULK_QUERY)["bulkOperationRunQuery"][
        "bulkOperation"
    ]["id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with store.lock:
            ops = bulk.operations(shop)
            if all(op["status"] == "COMPLETED" for op in ops.values()):
                break
        time.sleep(0.02)
    return {
        "order": order,
        "customer": customer,
        "draft": draft,
        "adjustment": adjustment,
        "bulk": bulk_id,
    }
