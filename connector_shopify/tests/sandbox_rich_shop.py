"""A shop with one of everything the sandbox serves, for the tests that walk its schema."""

import time

from .sandbox_support import DOMAIN, SandboxCase

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


class RichShopCase(SandboxCase):
    """Every served object exists at least once, reached through the API as a client would."""

    def setUp(self):
        super().setUp()
        sandbox = self.sandbox
        self.sandbox.set_bucket(DOMAIN, maximum=100_000, available=100_000)
        sandbox.update_product(
            DOMAIN, self.product["id"], description_html="<p>A <b>chair</b>.</p>", tags="office"
        )
        self.customer = sandbox.add_customer(
            DOMAIN, email="ava@example.com", first_name="Ava", last_name="Miller", address=ADDRESS
        )
        self.order_info = self.order(
            customer_id=self.customer["id"],
            lines=[
                {
                    "sku": "CHAIR-BLK",
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
        shop = sandbox.store.shop(DOMAIN)
        with sandbox.store.lock:
            order = shop.orders[self.order_info["id"]]
            fulfillment_order = shop.fulfillment_orders[order["fulfillment_order_ids"][0]]
            fulfillment, errors = sandbox.store.create_fulfillment(
                shop,
                [
                    {
                        "fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{fulfillment_order['id']}"
                    }
                ],
                tracking={"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"},
            )
        self.assertEqual(errors, [])
        sandbox.update_fulfillment(DOMAIN, fulfillment["id"], shipment_status="in_transit")
        sandbox.create_return(DOMAIN, order["id"], lines=[{"sku": "CHAIR-BLK", "quantity": 1}])
        sandbox.refund_order(
            DOMAIN,
            order["id"],
            lines=[{"sku": "CHAIR-BLK", "quantity": 1, "restock_type": "return"}],
            shipping_amount="9.90",
            note="Returned",
        )
        self.draft = sandbox.create_draft_order(
            DOMAIN,
            customer_id=self.customer["id"],
            lines=[{"sku": "CHAIR-WHT", "quantity": 1, "price": "99.00"}],
            shipping_line={"title": "Express", "price": "15.00"},
            shipping_address=ADDRESS,
            note="Phone order",
        )
        self.data(
            "mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {"
            " webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri})"
            " { userErrors { message } } }",
            {"topic": "ORDERS_CREATE", "uri": "https://example.com/hooks"},
        )
        self.adjustment = self.data(
            "mutation($input: InventorySetQuantitiesInput!) {"
            ' inventorySetQuantities(input: $input) @idempotent(key: "rich-1") {'
            " inventoryAdjustmentGroup { id } userErrors { message } } }",
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": self.product["variants"][1]["inventory_item_gid"],
                            "locationId": self.location["admin_graphql_api_id"],
                            "quantity": 4,
                            "changeFromQuantity": 0,
                        }
                    ],
                },
            },
        )["inventorySetQuantities"]["inventoryAdjustmentGroup"]["id"]
        started = self.data(
            'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }")'
            " { bulkOperation { id } userErrors { message } } }"
        )["bulkOperationRunQuery"]
        self.bulk_id = started["bulkOperation"]["id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = self.data(
                "query($id: ID!) { bulkOperation(id: $id) { status } }", {"id": self.bulk_id}
            )
            if status["bulkOperation"]["status"] == "COMPLETED":
                break
            time.sleep(0.05)
