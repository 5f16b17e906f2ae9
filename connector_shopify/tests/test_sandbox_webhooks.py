"""Webhooks the sandbox sends: signature, headers, retries, faults, payload contracts."""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jsonschema

from ..lib import queries
from .sandbox_support import CLIENT_SECRET, DOMAIN, SandboxCase, WebhookSink

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
TOPIC_SCHEMAS = {
    "orders/create": "shopify_order",
    "orders/updated": "shopify_order",
    "orders/cancelled": "shopify_order",
    "refunds/create": "shopify_refund",
    "app/uninstalled": "shopify_shop",
    "inventory_levels/update": "shopify_inventory_level",
    "bulk_operations/finish": "shopify_bulk_operation",
}


def validator(name):
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


class WebhookCase(SandboxCase):
    fail_first = 0

    def setUp(self):
        super().setUp()
        self.sink = WebhookSink(fail_first=self.fail_first)
        self.addCleanup(self.sink.stop)

    def subscribe(self, *topics, include_fields=True):
        for topic in topics:
            webhook = {"uri": self.sink.url, "format": "JSON"}
            if include_fields:
                webhook["includeFields"] = queries.TOPIC_FIELDS[topic]
            created = self.data(queries.WEBHOOK_CREATE, {"topic": topic, "input": webhook})
            self.assertEqual(created["webhookSubscriptionCreate"]["userErrors"], [])

    def settle(self):
        self.assertTrue(self.sandbox.wait_for_deliveries(15.0), "deliveries did not settle")


class TestDelivery(WebhookCase):
    def test_signed_delivery_with_shopify_headers(self):
        self.subscribe("ORDERS_CREATE")
        order = self.order()
        self.settle()
        [request] = self.sink.accepted()
        headers, body = request["headers"], request["body"]
        expected = base64.b64encode(
            hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()
        ).decode()
        self.assertEqual(headers["X-Shopify-Hmac-Sha256"], expected)
        self.assertEqual(headers["X-Shopify-Topic"], "orders/create")
        self.assertEqual(headers["X-Shopify-Shop-Domain"], DOMAIN)
        self.assertEqual(headers["X-Shopify-API-Version"], "2026-10")
        self.assertEqual(headers["Content-Type"], "application/json")
        for name in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
            self.assertTrue(headers.get(name), name)
        payload = json.loads(body)
        self.assertEqual(payload["id"], order["id"])
        self.assertEqual(set(payload), set(queries.ORDER_WEBHOOK_FIELDS))

    def test_include_fields_restrict_the_payload(self):
        self.data(
            queries.WEBHOOK_CREATE,
            {
                "topic": "ORDERS_CREATE",
                "input": {"uri": self.sink.url, "includeFields": ["id", "name"], "format": "JSON"},
            },
        )
        self.order()
        self.settle()
        self.assertEqual(set(json.loads(self.sink.accepted()[0]["body"])), {"id", "name"})

    def test_duplicate_fault_keeps_the_event_id(self):
        self.subscribe("ORDERS_CREATE")
        self.sandbox.set_faults(DOMAIN, webhook_duplicate=True)
        self.order()
        self.settle()
        received = self.sink.accepted()
        self.assertEqual(len(received), 2)
        event_ids = {r["headers"]["X-Shopify-Event-Id"] for r in received}
        webhook_ids = {r["headers"]["X-Shopify-Webhook-Id"] for r in received}
        self.assertEqual((len(event_ids), len(webhook_ids)), (1, 2))
        self.assertEqual(received[0]["body"], received[1]["body"])

    def test_reorder_fault_delivers_newest_first(self):
        self.subscribe("ORDERS_CREATE")
        self.sandbox.set_faults(DOMAIN, webhook_reorder=True)
        ids = [self.order()["id"] for _ in range(3)]
        self.settle()
        delivered = [json.loads(r["body"])["id"] for r in self.sink.accepted()]
        self.assertEqual(delivered, list(reversed(ids)))

    def test_drop_first_attempt_is_retried(self):
        self.subscribe("ORDERS_CREATE")
        self.sandbox.set_faults(DOMAIN, drop_first_attempt=True)
        self.order()
        self.settle()
        self.assertEqual(len(self.sink.accepted()), 1)
        attempts = [(d["attempt"], d["delivered"]) for d in self.sandbox.deliveries(DOMAIN)]
        self.assertEqual(attempts, [(1, False), (2, True)])


class TestRetry(WebhookCase):
    fail_first = 1

    def test_retry_after_a_500_keeps_the_event_id(self):
        self.subscribe("ORDERS_CREATE")
        started = time.monotonic()
        self.order()
        self.settle()
        self.assertEqual(len(self.sink.received), 2)
        first, second = self.sink.received
        self.assertFalse(first["answered"])
        self.assertEqual(
            first["headers"]["X-Shopify-Event-Id"], second["headers"]["X-Shopify-Event-Id"]
        )
        self.assertEqual(first["body"], second["body"])
        log = self.sandbox.deliveries(DOMAIN)
        self.assertEqual([(d["attempt"], d["status"]) for d in log], [(1, 500), (2, 200)])
        self.assertGreaterEqual(time.monotonic() - started, self.retry_delays[0])


class TestResetDropsRetries(WebhookCase):
    fail_first = 100
    retry_delays = (1.0, 1.0, 1.0)

    def test_a_reset_drops_the_retries_still_to_come(self):
        self.subscribe("ORDERS_CREATE")
        self.order()
        deadline = time.monotonic() + 5
        while not self.sink.received and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(len(self.sink.received), 1, "the first attempt was refused")
        self.sandbox.reset()  # its retry was due a second later
        time.sleep(1.5)
        self.assertEqual(len(self.sink.received), 1, "no retry for a shop that is gone")


class TestPayloadContracts(WebhookCase):
    def test_every_emitted_payload_validates(self):
        self.subscribe(*queries.TOPIC_FIELDS)
        customer = {"email": "ava@example.com", "first_name": "Ava", "last_name": "Miller"}
        address = {
            "first_name": "Ava",
            "last_name": "Miller",
            "address1": "1 Main St",
            "city": "Austin",
            "province_code": "TX",
            "zip": "78701",
            "country_code": "US",
        }
        order = self.order(
            customer=customer,
            billing_address=address,
            shipping_address=address,
            lines=[
                {"sku": "CHAIR-BLK", "quantity": 2, "tax_lines": [{"title": "Tax", "rate": 0.08}]},
                {"sku": "UNKNOWN-SKU", "quantity": 1, "price": "3.00"},
            ],
            shipping_lines=[{"code": "STD", "title": "Standard", "price": "5.00"}],
            discount_codes=[{"code": "X", "amount": "1.00"}],
            tags="web, vip",
        )
        self.sandbox.update_order(DOMAIN, order["id"], note="Ring twice")
        self.sandbox.refund_order(
            DOMAIN,
            order["id"],
            lines=[{"sku": "CHAIR-BLK", "quantity": 1, "restock_type": "return"}],
            shipping_amount="5.00",
        )
        bare = self.order()
        self.sandbox.cancel_order(DOMAIN, bare["id"], reason="customer")
        bulk = self.data(
            "mutation { bulkOperationRunQuery(query: "
            '"{ products { edges { node { id } } } }") { bulkOperation { id } } }'
        )["bulkOperationRunQuery"]["bulkOperation"]
        deadline = time.time() + 10
        while time.time() < deadline:
            if (
                self.data(
                    f'{{ node(id: "{bulk["id"]}") {{ ... on BulkOperation {{ status }} }} }}'
                )["node"]["status"]
                == "COMPLETED"
            ):
                break
            time.sleep(0.05)
        self.sandbox.uninstall(DOMAIN)
        self.settle()
        topics = [r["headers"]["X-Shopify-Topic"] for r in self.sink.accepted()]
        self.assertEqual(set(topics), set(TOPIC_SCHEMAS))
        for request in self.sink.accepted():
            topic = request["headers"]["X-Shopify-Topic"]
            payload = json.loads(request["body"])
            with self.subTest(topic=topic):
                errors = list(validator(TOPIC_SCHEMAS[topic]).iter_errors(payload))
                self.assertEqual(errors, [], [e.message for e in errors])

    def test_full_payloads_validate_without_include_fields(self):
        self.subscribe("ORDERS_CREATE", "REFUNDS_CREATE", include_fields=False)
        order = self.order()
        self.sandbox.refund_order(DOMAIN, order["id"], lines=[{"sku": "CHAIR-BLK", "quantity": 3}])
        self.settle()
        for request in self.sink.accepted():
            topic = request["headers"]["X-Shopify-Topic"]
            validator(TOPIC_SCHEMAS[topic]).validate(json.loads(request["body"]))
        self.assertEqual(self.sandbox.orders(DOMAIN)[0]["financial_status"], "refunded")


class TestSchemas(SandboxCase):
    def test_examples_validate_and_schemas_are_closed(self):
        for name in ("shopify_order", "shopify_refund", "shopify_shop", "shopify_bulk_operation"):
            with self.subTest(schema=name):
                schema = json.loads((SCHEMAS / f"{name}.json").read_text())
                jsonschema.Draft202012Validator.check_schema(schema)
                example = json.loads((SCHEMAS / "examples" / f"{name}.json").read_text())
                validator(name).validate(example)
                properties = set(schema["properties"])
                self.assertLessEqual(set(schema["required"]), properties)
                topic = {
                    "shopify_order": "ORDERS_CREATE",
                    "shopify_refund": "REFUNDS_CREATE",
                    "shopify_shop": "APP_UNINSTALLED",
                    "shopify_bulk_operation": "BULK_OPERATIONS_FINISH",
                }[name]
                self.assertLessEqual(properties, set(queries.TOPIC_FIELDS[topic]))
                self.assert_closed(schema, name)

    def assert_closed(self, node, path):
        if isinstance(node, dict):
            if node.get("type") == "object":
                self.assertIs(node.get("additionalProperties"), False, path)
            for key, value in node.items():
                self.assert_closed(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.assert_closed(value, f"{path}/{index}")
