"""A full stock sync of more levels than one inventorySetQuantities takes goes
out in one bulk mutation; a sale on Shopify meanwhile is never overwritten."""

import json
import re
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.connector_base.lib import stock_levels
from odoo.tests import tagged

from . import test_shopify_stock
from .common import DOMAIN, SKUS, ShopifyCase

# More than one call's worth (250): two lines of the bulk import.
MANY = 300


@tagged("post_install", "-at_install")
class TestShopifyStockBulkPush(ShopifyCase):
    # The stock tests' helpers: a sync run as queue_job runs it, Shopify's levels.
    as_job = test_shopify_stock.TestShopifyStock.as_job
    full_sync = test_shopify_stock.TestShopifyStock.full_sync
    shopify_levels = test_shopify_stock.TestShopifyStock.shopify_levels

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bulk_skus = [f"BULK-{index:03d}" for index in range(MANY)]
        created = cls.env["product.product"].create(
            [
                {
                    "name": f"Bulk product {sku}",
                    "default_code": sku,
                    "type": "consu",
                    "is_storable": True,
                    "taxes_id": [(6, 0, [])],
                }
                for sku in cls.bulk_skus
            ]
        )
        cls.targets = {sku: 1 + index % 7 for index, sku in enumerate(cls.bulk_skus)}
        cls.env["stock.quant"].create(
            [
                {
                    "product_id": product.id,
                    "location_id": cls.warehouse.lot_stock_id.id,
                    "quantity": cls.targets[product.default_code],
                }
                for product in created
            ]
        )
        cls.targets.update(dict.fromkeys(SKUS, 0))

    def setUp(self):
        super().setUp()
        for sku in self.bulk_skus:
            self.sandbox.add_product(
                DOMAIN, f"Product {sku}", [{"sku": sku, "price": "1.00", "inventory": {"Main": 0}}]
            )
        self.connect()
        # A first sync knows none of these levels: more than a hundred unknown
        # at a location are read whole, in one bulk query.
        patcher = patch.object(stock_levels, "FULL_READ_ABOVE", 100)
        patcher.start()
        self.addCleanup(patcher.stop)

    def calls(self, since=0):
        return self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")[since:]

    def item_of(self, sku):
        binding = self.env["integration.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "product.product"),
                ("external_id", "=", sku),
            ]
        )
        return binding.extra["inventory_item_id"]

    def test_item_ids_read_in_one_query_are_the_hooks_own(self):
        bindings = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "product.product")]
        )
        self.assertGreater(len(bindings), MANY)
        expected = {b.id: self.backend._stock_item_id(b) for b in bindings}
        self.assertTrue(all(expected.values()))
        self.env.invalidate_all()
        self.assertEqual(self.backend._stock_item_map(bindings), expected)

    def test_a_full_sync_of_many_levels_is_one_bulk_mutation(self):
        before = len(self.calls())
        outcome = self.full_sync()
        self.assertIn(f"{MANY} changed", outcome)
        self.assertEqual(self.shopify_levels(), self.targets)
        operations = [call["operation"] for call in self.calls(before)]
        self.assertEqual(operations.count("BulkRunQuery"), 1)
        self.assertEqual(operations.count("StagedUploadsCreate"), 1)
        self.assertEqual(operations.count("BulkRunMutation"), 1)
        self.assertNotIn("InventorySet", operations, "no level went through a plain call")
        self.assertNotIn("ItemLevels", operations)
        # One line per batch, each with its compares and its idempotency key.
        run = next(c for c in self.calls(before) if c["operation"] == "BulkRunMutation")
        self.assertIn("@idempotent(key: $key)", run["variables"]["mutation"])
        with self.sandbox.store.lock:
            shop = self.sandbox.store.shops[DOMAIN]
            uploaded = shop.staged_uploads[run["variables"]["stagedUploadPath"]]["data"]
        lines = [json.loads(line) for line in uploaded.decode().splitlines()]
        self.assertEqual([len(line["input"]["quantities"]) for line in lines], [250, MANY - 250])
        self.assertEqual(len({line["key"] for line in lines}), 2)
        self.assertTrue(
            all(q["changeFromQuantity"] == 0 for line in lines for q in line["input"]["quantities"])
        )
        # What Odoo knows of Shopify's levels is what it set there.
        binding_levels = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", self.bulk_skus[-1])]
        )
        self.assertEqual(
            list(binding_levels.extra["levels"].values()), [self.targets[self.bulk_skus[-1]]]
        )

    def test_a_reconciliation_heals_hundreds_of_drifted_levels_in_one_bulk_write(self):
        """Levels moved on Shopify without a webhook reaching Odoo: the daily
        reconciliation reads them (one bulk query) and heals every mismatch
        at once (one bulk write compared against what it read), not one
        inventorySetQuantities per line."""
        self.full_sync()
        drifted = self.bulk_skus[:260]
        for sku in drifted:
            self.edit_on_shopify(sku, self.targets[sku] + 3)
        before = len(self.calls())
        run = self.as_job(lambda backend: backend._reconcile_stock())
        self.assertEqual((run.mismatched_count, run.healed_count), (len(drifted), len(drifted)))
        self.assertFalse(run.line_ids.exception_id)
        self.assertEqual(self.shopify_levels(), self.targets)
        operations = [call["operation"] for call in self.calls(before)]
        self.assertEqual(operations.count("BulkRunMutation"), 1)
        self.assertNotIn("InventorySet", operations)
        mutation = next(c for c in self.calls(before) if c["operation"] == "BulkRunMutation")
        with self.sandbox.store.lock:
            shop = self.sandbox.store.shops[DOMAIN]
            uploaded = shop.staged_uploads[mutation["variables"]["stagedUploadPath"]]["data"]
        quantities = [
            q
            for line in uploaded.decode().splitlines()
            for q in json.loads(line)["input"]["quantities"]
        ]
        self.assertEqual(len(quantities), len(drifted), "only the mismatches are written")

    def test_a_sale_during_the_bulk_mutation_rereads_and_resends_only_that_line(self):
        sold = self.bulk_skus[-1]  # on the second line (quantities 250-299)
        state = {"sold": False}

        def sell_while_the_import_waits():
            if state["sold"]:
                return
            current = self.backend._shopify_call(
                "query Probe { currentBulkOperation(type: MUTATION) { status } }",
                operation="Probe",
            )["currentBulkOperation"]
            if current and current["status"] == "CREATED":
                # Shopify sells one before the import reaches that line.
                self.edit_on_shopify(sold, 5)
                state["sold"] = True

        # Shopify queues each bulk operation a while before running it.
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"bulk_seconds": 1.0})
        before = len(self.calls())
        self.full_sync(between_attempts=sell_while_the_import_waits)
        self.assertTrue(state["sold"], "the sale happened while the import waited")
        calls = [c for c in self.calls(before) if c["operation"] != "Probe"]
        operations = [call["operation"] for call in calls]
        self.assertEqual(operations.count("BulkRunMutation"), 1)
        rereads = [call for call in calls if call["operation"] == "ItemLevels"]
        self.assertEqual(len(rereads), 1)
        self.assertEqual(rereads[0]["variables"]["ids"], [self.item_of(sold)], "only that item")
        # Shopify refused that whole line: its 50 levels go again in one plain
        # call, the sold item's compare from Shopify's new quantity.
        resent = [call for call in calls if call["operation"] == "InventorySet"]
        self.assertEqual(len(resent), 1)
        quantities = resent[0]["variables"]["input"]["quantities"]
        self.assertEqual(len(quantities), MANY - 250)
        compares = {q["inventoryItemId"]: q["changeFromQuantity"] for q in quantities}
        self.assertEqual(compares.pop(self.item_of(sold)), 5)
        self.assertEqual(set(compares.values()), {0})
        self.assertEqual(self.shopify_levels(), self.targets)

    def finish_event(self, operation_id):
        return self.events().filtered(
            lambda e: e.topic == "bulk_operations/finish" and e.external_id == operation_id
        )

    def test_the_finish_webhook_wakes_the_sync_waiting_for_its_operation(self):
        """Shopify's ``bulk_operations/finish``: the job waiting for that
        operation runs at once, not at its next look."""
        # Shopify keeps the operation queued a while: the job waits for it.
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"bulk_seconds": 0.5})
        self.backend._flow_job("stock_out", "_export_stock", "full stock sync", full=True)
        job = self.env["queue.job"].search(
            [("method_name", "=", "_export_stock"), ("id", ">=", self.first_job_id)]
        )
        self.run_jobs(max_rounds=1, include_future=True)
        self.assertEqual(job.state, "pending")
        mark = re.search(
            rf"\[bulk {self.backend.id} (gid://shopify/BulkOperation/\d+)\]", job.result
        )
        self.assertTrue(mark, job.result)
        # A big shop's read: the job's next look would be long after it ends.
        job.eta = fields.Datetime.now() + timedelta(hours=1)
        # (Earlier tests' finish webhooks, refused outside their windows, may
        # come first: wait for this operation's.)
        deadline = time.time() + 20
        while time.time() < deadline and not self.finish_event(mark[1]):
            delivered = [d for d in self.deliveries() if 200 <= (d.get("status") or 0) < 300]
            self.wait_deliveries(len(delivered) + 1)
        # Only jobs due now: the inbox's, whose finish event wakes the sync.
        self.run_jobs()
        finished = self.finish_event(mark[1])
        self.assertEqual(finished.state, "done", finished.last_error)
        # At peak the wake does not queue behind the orders (nor the stock levels).
        wake = self.env["queue.job"].search([("uuid", "=", finished.job_uuid)])
        orders = self.backend.flow_ids.filtered(lambda flow: flow.flow == "orders_in")
        self.assertLess(wake.priority, orders.priority)
        self.assertNotIn(mark[1], job.result or "", "ran again within the hour: no longer waits")
        # The sync goes on: its bulk write, waited for as queue_job retries it.
        deadline = time.time() + 20
        while job.state == "pending" and time.time() < deadline:
            self.run_jobs(max_rounds=1, include_future=True)
            time.sleep(0.1)
        self.assertEqual(job.state, "done", job.exc_info)
        self.assertEqual(self.shopify_levels(), self.targets)

    def test_the_method_before_bulk_operations_stays_runnable(self):
        """``stock_read_pages``: pages of levels and plain calls of 250 (the
        bench's baseline), with the same outcome."""
        self.backend = self.backend.with_context(stock_read_pages=True)
        before = len(self.calls())
        self.full_sync()
        self.assertEqual(self.shopify_levels(), self.targets)
        operations = [call["operation"] for call in self.calls(before)]
        self.assertEqual(operations.count("InventorySet"), 2)
        self.assertIn("InventoryLevels", operations)
        self.assertNotIn("BulkRunQuery", operations)
        self.assertNotIn("BulkRunMutation", operations)
