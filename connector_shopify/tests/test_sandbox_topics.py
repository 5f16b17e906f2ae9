"""Every topic the sandbox lets a client subscribe to is delivered when its event happens."""

import json
import time

import requests

from ..sandbox.webhooks import EMITTED_TOPICS, TOPIC_NAMES
from .sandbox_support import DOMAIN, TIMEOUT
from .test_sandbox_webhooks import WebhookCase


class TestEveryTopic(WebhookCase):
    def control(self, path, body=None):
        response = requests.post(
            f"{self.sandbox.url}/_sandbox/shops/{DOMAIN}/{path}", json=body or {}, timeout=TIMEOUT
        )
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    def received(self):
        return [
            (r["headers"]["X-Shopify-Topic"], json.loads(r["body"])) for r in self.sink.accepted()
        ]

    def ship(self, fulfillment_order, quantity):
        line = fulfillment_order["line_items"][0]
        shipped = self.data(
            "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {"
            " fulfillment { legacyResourceId } userErrors { message } } }",
            {
                "f": {
                    "lineItemsByFulfillmentOrder": [
                        {
                            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/"
                            f"{fulfillment_order['id']}",
                            "fulfillmentOrderLineItems": [
                                {
                                    "id": f"gid://shopify/FulfillmentOrderLineItem/{line['id']}",
                                    "quantity": quantity,
                                }
                            ],
                        }
                    ]
                }
            },
        )["fulfillmentCreate"]
        self.assertEqual(shipped["userErrors"], [])
        return shipped["fulfillment"]["legacyResourceId"]

    def wait_bulk(self, bulk_id):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = self.data(
                "query($id: ID!) { node(id: $id) { ... on BulkOperation { status } } }",
                {"id": bulk_id},
            )
            if found["node"]["status"] == "COMPLETED":
                return
            time.sleep(0.05)
        self.fail("the bulk operation did not complete")

    def test_each_subscribable_topic_is_delivered_by_its_store_event(self):
        self.subscribe(*sorted(EMITTED_TOPICS), include_fields=False)
        # Everything that happens in a shop, through the control API and GraphQL.
        product = self.control("products", {"title": "Desk", "variants": [{"sku": "DESK-1"}]})
        self.control(f"products/{product['id']}/update", {"title": "Standing desk"})
        customer = self.control("customers", {"email": "noah@example.com", "first_name": "Noah"})
        self.control(f"customers/{customer['id']}/update", {"note": "VIP"})
        spare = self.control("customers", {"email": "spare@example.com"})
        self.control(f"customers/{spare['id']}/delete")
        draft = self.control("draft_orders", {"lines": [{"sku": "CHAIR-BLK", "quantity": 1}]})
        self.control(f"draft_orders/{draft['id']}/update", {"note": "Gift wrap"})
        completed = self.control(f"draft_orders/{draft['id']}/complete")
        other = self.control("draft_orders", {"lines": [{"sku": "CHAIR-BLK", "quantity": 1}]})
        self.control(f"draft_orders/{other['id']}/delete")
        order = self.order(lines=[{"sku": "CHAIR-BLK", "quantity": 2}])
        [fulfillment_order] = self.sandbox.fulfillment_orders(DOMAIN, order["id"])
        fulfillment_id = self.ship(fulfillment_order, 1)
        self.control(f"fulfillments/{fulfillment_id}/update", {"shipment_status": "in_transit"})
        self.ship(fulfillment_order, 1)
        self.control(f"orders/{order['id']}/refunds", {"shipping_amount": "1.00"})
        self.control(f"orders/{order['id']}/cancel")
        self.control(f"products/{product['id']}/delete")
        started = self.data(
            'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }")'
            " { bulkOperation { id } userErrors { message } } }"
        )["bulkOperationRunQuery"]
        self.assertEqual(started["userErrors"], [])
        self.wait_bulk(started["bulkOperation"]["id"])
        self.control("uninstall")
        self.settle()
        received = self.received()
        topics = {topic for topic, _ in received}
        self.assertEqual(topics, set(TOPIC_NAMES.values()))
        by_topic = {}
        for topic, payload in received:
            by_topic.setdefault(topic, []).append(payload)
        self.assertEqual(by_topic["products/delete"], [{"id": product["id"]}])
        self.assertEqual(
            [p["title"] for p in by_topic["products/update"] if p["id"] == product["id"]],
            ["Standing desk"],
        )
        self.assertEqual(by_topic["customers/update"][-1]["note"], "VIP")
        self.assertEqual(by_topic["customers/delete"][0]["id"], spare["id"])
        self.assertEqual(by_topic["draft_orders/delete"], [{"id": other["id"]}])
        self.assertEqual(by_topic["draft_orders/update"][-1]["status"], "completed")
        self.assertEqual(by_topic["draft_orders/update"][-1]["order_id"], completed["order_id"])
        self.assertEqual(by_topic["fulfillments/update"][0]["shipment_status"], "in_transit")
        self.assertEqual([p["id"] for p in by_topic["orders/partially_fulfilled"]], [order["id"]])
        self.assertEqual([p["id"] for p in by_topic["orders/fulfilled"]], [order["id"]])

    def test_a_topic_the_sandbox_never_emits_is_refused_at_subscription(self):
        created = self.data(
            "mutation($uri: String!) { webhookSubscriptionCreate(topic: THEMES_PUBLISH,"
            " webhookSubscription: {uri: $uri}) { webhookSubscription { id }"
            " userErrors { field message } } }",
            {"uri": self.sink.url},
        )["webhookSubscriptionCreate"]
        self.assertIsNone(created["webhookSubscription"])
        self.assertEqual(created["userErrors"][0]["field"], ["topic"])
        self.assertIn("THEMES_PUBLISH", created["userErrors"][0]["message"])
        self.assertEqual(self.sandbox.subscriptions(DOMAIN), [])
