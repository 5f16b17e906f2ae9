"""Bulk operations in the sandbox, as a client written against Shopify uses them."""

import json
import time

import requests

from odoo.addons.connector_shopify.lib import stock_sync

from .sandbox_support import DOMAIN, TIMEOUT
from .test_sandbox_webhooks import WebhookCase

RUN = """
mutation Run($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: false) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""
CURRENT = "{ currentBulkOperation { id status errorCode objectCount rootObjectCount fileSize url query } }"
VARIANTS = "{ productVariants { edges { node { id sku inventoryItem { id } } } } }"
NESTED = "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"


class TestBulkOperations(WebhookCase):
    def run_bulk(self, query, version="2026-10"):
        data = self.data(RUN, {"query": query}, version=version)["bulkOperationRunQuery"]
        self.assertEqual(data["userErrors"], [])
        self.assertEqual(data["bulkOperation"]["status"], "CREATED")
        return data["bulkOperation"]["id"]

    def wait_done(self, version="2026-10"):
        deadline = time.time() + 10
        while time.time() < deadline:
            current = self.data(CURRENT, version=version)["currentBulkOperation"]
            if current["status"] not in ("CREATED", "RUNNING"):
                return current
            time.sleep(0.05)
        self.fail("the bulk operation never finished")

    def lines(self, url):
        response = requests.get(url, timeout=TIMEOUT)
        self.assertEqual(response.status_code, 200)
        return [json.loads(line) for line in response.text.splitlines()]

    def test_a_bulk_query_reads_whole_connections_into_jsonl(self):
        for index in range(3):
            self.sandbox.add_product(DOMAIN, f"Mug {index}", [{"sku": f"MUG-{index}"}])
        op_id = self.run_bulk(VARIANTS)
        current = self.wait_done()
        self.assertEqual((current["id"], current["status"]), (op_id, "COMPLETED"))
        self.assertIsNone(current["errorCode"])
        lines = self.lines(current["url"])
        self.assertEqual(
            sorted(line["sku"] for line in lines),
            ["CHAIR-BLK", "CHAIR-WHT", "MUG-0", "MUG-1", "MUG-2"],
        )
        self.assertTrue(all(line["inventoryItem"]["id"] for line in lines))
        self.assertEqual(current["objectCount"], "5")
        self.assertEqual(
            int(current["fileSize"]), len(requests.get(current["url"], timeout=TIMEOUT).content)
        )
        by_id = self.data(
            f'{{ node(id: "{op_id}") {{ ... on BulkOperation {{ status query }} }} }}'
        )
        self.assertEqual(by_id["node"], {"status": "COMPLETED", "query": VARIANTS})

    def test_a_bulk_query_has_no_page_size_limit(self):
        """Bulk queries read whole connections: more objects than a page (250) allows."""
        for index in range(300):
            self.sandbox.add_product(DOMAIN, f"Pen {index}", [{"sku": f"PEN-{index:03d}"}])
        self.run_bulk(VARIANTS)
        current = self.wait_done()
        self.assertEqual(current["status"], "COMPLETED", current)
        self.assertEqual(current["objectCount"], "302")
        self.assertEqual(len(self.lines(current["url"])), 302)

    def test_the_shop_answers_while_its_bulk_query_runs(self):
        """Shopify runs a bulk query in the background: a poll answers at once,
        RUNNING with the objects written so far; every object once in the file."""
        for index in range(600):
            self.sandbox.add_product(DOMAIN, f"Pen {index}", [{"sku": f"PEN-{index:03d}"}])
        self.sandbox.set_faults(DOMAIN, bulk_page_seconds=0.3)
        self.run_bulk(VARIANTS)
        seen = []
        deadline = time.time() + 20
        while time.time() < deadline:
            current = self.data(CURRENT)["currentBulkOperation"]
            seen.append((current["status"], int(current["objectCount"])))
            if current["status"] not in ("CREATED", "RUNNING"):
                break
            time.sleep(0.05)
        self.assertEqual(seen[-1], ("COMPLETED", 602))
        self.assertTrue(
            [count for status, count in seen if status == "RUNNING" and 0 < count < 602],
            f"no poll saw it running part-way: {seen}",
        )
        skus = [line["sku"] for line in self.lines(current["url"])]
        self.assertEqual(len(skus), 602)
        self.assertEqual(len(set(skus)), 602, "no object twice across its pages")

    def test_nested_connections_become_lines_with_their_parent_id(self):
        op_id = self.run_bulk(NESTED)
        current = self.wait_done()
        self.assertEqual(current["id"], op_id)
        lines = self.lines(current["url"])
        products = [line for line in lines if "__parentId" not in line]
        variants = [line for line in lines if "__parentId" in line]
        self.assertEqual(len(products), 1)
        self.assertNotIn("variants", products[0])
        self.assertEqual({v["sku"] for v in variants}, {"CHAIR-BLK", "CHAIR-WHT"})
        self.assertEqual({v["__parentId"] for v in variants}, {products[0]["id"]})
        self.assertEqual((current["rootObjectCount"], current["objectCount"]), ("1", "3"))

    def test_every_location_s_levels_in_one_bulk_query(self):
        """The connector's whole read of the stock levels: one line per
        location, one per level with its location's id as parent."""
        store = self.sandbox.add_location(DOMAIN, "Store")
        self.sandbox.set_inventory(DOMAIN, "CHAIR-WHT", "Store", 4)
        self.run_bulk(stock_sync.bulk_levels_query("run-1"))
        current = self.wait_done()
        self.assertEqual(current["status"], "COMPLETED", current)
        text = requests.get(current["url"], timeout=TIMEOUT).text
        items = {
            variant["sku"]: variant["inventory_item_gid"] for variant in self.product["variants"]
        }
        main = self.location["admin_graphql_api_id"]
        self.assertEqual(
            stock_sync.bulk_levels(text),
            {
                main: {items["CHAIR-BLK"]: 10, items["CHAIR-WHT"]: 0},
                store["admin_graphql_api_id"]: {items["CHAIR-WHT"]: 4},
            },
        )
        self.assertEqual((current["rootObjectCount"], current["objectCount"]), ("2", "5"))

    def test_a_location_answers_what_its_levels_and_orders_say(self):
        """Asked only when a query names them (a bulk query names each level's
        location thousands of times): still the shop's state when asked."""
        query = """query($id: ID!) { location(id: $id) {
            hasActiveInventory hasUnfulfilledOrders deactivatable deletable } }"""
        main = self.location["admin_graphql_api_id"]
        self.assertEqual(
            self.data(query, {"id": main})["location"],
            {
                "hasActiveInventory": True,
                "hasUnfulfilledOrders": False,
                "deactivatable": True,
                "deletable": False,
            },
        )
        self.order()  # a fulfilment order opens at the main location
        self.assertEqual(
            self.data(query, {"id": main})["location"],
            {
                "hasActiveInventory": True,
                "hasUnfulfilledOrders": True,
                "deactivatable": False,
                "deletable": False,
            },
        )
        empty = self.sandbox.add_location(DOMAIN, "Closed", active=False)
        self.assertEqual(
            self.data(query, {"id": empty["admin_graphql_api_id"]})["location"],
            {
                "hasActiveInventory": False,
                "hasUnfulfilledOrders": False,
                "deactivatable": False,
                "deletable": True,
            },
        )

    def test_one_bulk_query_at_a_time_before_2026_01(self):
        # The first operation is still waiting to run when the second is asked for.
        self.sandbox.set_faults(DOMAIN, bulk_seconds=1.0)
        self.run_bulk(VARIANTS, version="2025-10")
        refused = self.data(RUN, {"query": VARIANTS}, version="2025-10")["bulkOperationRunQuery"]
        self.assertIsNone(refused["bulkOperation"])
        self.assertEqual(refused["userErrors"][0]["code"], "OPERATION_IN_PROGRESS")
        self.wait_done(version="2025-10")

    def test_an_invalid_query_is_a_user_error(self):
        refused = self.data(RUN, {"query": "{ productVariants { nope } }"})["bulkOperationRunQuery"]
        self.assertIsNone(refused["bulkOperation"])
        self.assertEqual(refused["userErrors"][0]["code"], "INVALID")

    def test_the_finish_webhook_is_delivered(self):
        self.subscribe("BULK_OPERATIONS_FINISH", include_fields=False)
        op_id = self.run_bulk(VARIANTS)
        self.wait_done()
        self.settle()
        deliveries = self.sink.accepted()
        self.assertEqual(len(deliveries), 1)
        self.assertEqual(deliveries[0]["headers"]["X-Shopify-Topic"], "bulk_operations/finish")
        payload = json.loads(deliveries[0]["body"])
        self.assertEqual(
            (payload["admin_graphql_api_id"], payload["status"], payload["type"]),
            (op_id, "completed", "query"),
        )
