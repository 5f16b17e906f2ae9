import time
import uuid
from unittest.mock import patch

from odoo.addons.connector_base.lib import stock_levels
from odoo.addons.connector_base.tests.common import set_stock
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import tagged

from .common import DOMAIN, SKUS, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyStock(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.connect()

    def set_odoo_stock(self, sku, quantity):
        set_stock(self.products[sku], self.warehouse.lot_stock_id, quantity)

    def sync_odoo_levels(self, quantities):
        """Odoo's stock of SKUS set to ``quantities`` and exported to Shopify."""
        for sku, quantity in zip(SKUS, quantities, strict=True):
            self.set_odoo_stock(sku, quantity)
        self.run_jobs(include_future=True)
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, quantities, strict=True)))

    def shopify_levels(self):
        levels = self.control("GET", f"/_sandbox/shops/{DOMAIN}/inventory")
        return {sku: sum(by_location.values()) for sku, by_location in levels.items()}

    def operations(self):
        return [c["operation"] for c in self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")]

    def full_sync(self, between_attempts=None):
        return self.as_job(lambda backend: backend._export_stock(full=True), between_attempts)

    def as_job(self, method, between_attempts=None):
        """Call a job method as the job runner runs it: retried (the job never
        sleeps) while Shopify's bulk read runs."""
        self.backend = self.backend.with_context(bulk_run_id=str(uuid.uuid4()))
        for _attempt in range(200):
            try:
                return method(self.backend)
            except RetryableJobError as error:
                self.assertTrue(error.ignore_retry, "waiting for Shopify spends no retry")
                if between_attempts:
                    between_attempts()
                time.sleep(0.02)
        self.fail("the bulk read never finished")

    def inventory_calls(self):
        return [
            call
            for call in self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")
            if call.get("operation") == "InventorySet"
        ]

    def test_stock_changes_coalesce_into_one_compare_and_set_call(self):
        before = len(self.inventory_calls())
        self.set_odoo_stock("SHOP-TEE-M", 7)
        self.set_odoo_stock("SHOP-MUG", 3)
        jobs = self.env["queue.job"].search(
            [("method_name", "=", "_export_stock"), ("id", ">=", self.first_job_id)]
        )
        self.assertEqual(len(jobs), 1, "a burst of changes makes one export job")
        self.run_jobs(include_future=True)
        levels = self.shopify_levels()
        self.assertEqual((levels["SHOP-TEE-M"], levels["SHOP-MUG"]), (7, 3))
        calls = self.inventory_calls()[before:]
        self.assertEqual(len(calls), 1)
        quantities = calls[0]["variables"]["input"]["quantities"]
        self.assertTrue(all("changeFromQuantity" in q for q in quantities))
        self.assertTrue(calls[0]["variables"].get("key"))

    def test_refused_compare_rereads_and_never_overwrites_a_shopify_sale(self):
        self.set_odoo_stock("SHOP-CAP", 10)
        self.run_jobs(include_future=True)
        self.assertEqual(self.shopify_levels()["SHOP-CAP"], 10)
        # Shopify sells 2 (its quantity moves to 8) before Odoo knows of it;
        # meanwhile Odoo receives 5 more.
        self.edit_on_shopify("SHOP-CAP", 8)
        self.set_odoo_stock("SHOP-CAP", 15)
        self.run_jobs(include_future=True)
        calls = self.inventory_calls()
        stale = [c for c in calls if "CHANGE_FROM_QUANTITY_STALE" in str(c.get("user_errors"))]
        self.assertTrue(stale, "the first set was refused by the compare")
        last = calls[-1]["variables"]["input"]["quantities"][0]
        self.assertEqual(last["changeFromQuantity"], 8, "re-read Shopify's quantity")
        self.assertEqual(self.shopify_levels()["SHOP-CAP"], 15)

    def test_a_refused_compare_in_a_known_levels_sync_rereads_only_that_item(self):
        self.sync_odoo_levels((10, 11, 12))
        # Shopify sells a mug meanwhile; Odoo then changes all three levels,
        # knowing them from its own writes: no read before writing.
        self.edit_on_shopify("SHOP-MUG", 9)
        before = len(self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls"))
        for sku, quantity in zip(SKUS, (20, 21, 22), strict=True):
            self.set_odoo_stock(sku, quantity)
        self.run_jobs(include_future=True)
        calls = self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")[before:]
        operations = [call["operation"] for call in calls]
        self.assertEqual(operations, ["InventorySet", "ItemLevels", "InventorySet"], operations)
        mug = self.env["integration.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "product.product"),
                ("external_id", "=", "SHOP-MUG"),
            ]
        )
        self.assertEqual(
            calls[1]["variables"]["ids"],
            [mug.extra["inventory_item_id"]],
            "only the refused item was read again",
        )
        # Shopify applied none of the first call: the two good compares go
        # again as they were, the mug's with Shopify's quantity read anew.
        resent = calls[2]["variables"]["input"]["quantities"]
        self.assertEqual(sorted(q["changeFromQuantity"] for q in resent), [9, 10, 12])
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, (20, 21, 22), strict=True)))

    def test_pending_inbox_orders_are_held_back(self):
        self.set_odoo_stock("SHOP-MUG", 10)
        self.run_jobs(include_future=True)
        shopify_order = self.create_order(lines=[{"sku": "SHOP-MUG", "quantity": 4}])
        self.wait_deliveries(1)
        # The order is in the inbox, not yet in Odoo: Odoo must not put the
        # 4 units back on sale.
        self.assertEqual(self.shopify_levels()["SHOP-MUG"], 6)
        self.full_sync()
        self.assertEqual(self.shopify_levels()["SHOP-MUG"], 6)
        self.run_jobs(include_future=True)
        self.assertEqual(self.order_of(shopify_order).state, "sale")
        self.assertEqual(self.shopify_levels()["SHOP-MUG"], 6)

    def knowing_nothing(self):
        """Odoo forgets what it knew of Shopify's levels (a first sync), and
        more than two unknown levels at a location are read whole."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE integration_binding SET extra = extra - 'levels' WHERE backend_id = %s",
            [self.backend.id],
        )
        self.env.invalidate_all()
        patcher = patch.object(stock_levels, "FULL_READ_ABOVE", 2)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_a_full_sync_knowing_no_level_reads_every_level_in_one_bulk_query(self):
        for sku, quantity in zip(SKUS, (4, 5, 6), strict=True):
            self.set_odoo_stock(sku, quantity)
        self.knowing_nothing()
        before = len(self.operations())
        outcome = self.full_sync()
        self.assertIn("3 changed", outcome)
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, (4, 5, 6), strict=True)))
        operations = self.operations()[before:]
        self.assertEqual(operations.count("BulkRunQuery"), 1)
        self.assertNotIn("InventoryLevels", operations, "no page of levels was read")
        self.assertNotIn("ItemLevels", operations)
        self.assertEqual(operations.count("InventorySet"), 1)

    def test_a_full_sync_knowing_every_level_reads_nothing_and_sends_what_changed(self):
        """The levels Odoo set are its compares: a full sync reads nothing
        (no query cost), sends the one level that differs, and a second one
        finds nothing to send and makes no call at all."""
        self.sync_odoo_levels((4, 5, 6))
        self.set_odoo_stock(SKUS[1], 9)
        before = len(self.operations())
        outcome = self.full_sync()
        self.assertIn(f"{len(SKUS)} levels compared, 1 changed", outcome)
        self.assertEqual(self.operations()[before:], ["InventorySet"])
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, (4, 9, 6), strict=True)))
        before = len(self.operations())
        self.assertIn("0 changed", self.full_sync())
        self.assertEqual(self.operations()[before:], [], "nothing read, nothing sent")

    def test_a_refused_compare_in_a_full_sync_rereads_only_that_item(self):
        """The full sync's compares are the levels Odoo knows: a sale Shopify
        made meanwhile is refused by its compare, and that item alone is read."""
        self.sync_odoo_levels((10, 11, 12))
        self.edit_on_shopify("SHOP-MUG", 9)
        for sku, quantity in zip(SKUS, (20, 21, 22), strict=True):
            self.set_odoo_stock(sku, quantity)
        before = len(self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls"))
        self.assertIn("3 changed", self.full_sync())
        calls = self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")[before:]
        operations = [call["operation"] for call in calls]
        self.assertEqual(operations, ["InventorySet", "ItemLevels", "InventorySet"], operations)
        mug = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", "SHOP-MUG")]
        )
        self.assertEqual(calls[1]["variables"]["ids"], [mug.extra["inventory_item_id"]])
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, (20, 21, 22), strict=True)))

    def test_drift_no_webhook_told_is_left_to_the_reconciliation(self):
        """Someone edits Shopify's quantity and no webhook tells Odoo: a full
        sync trusts what it knows (it reads nothing); the stock
        reconciliation, which reads every level, finds and heals it."""
        self.sync_odoo_levels((4, 5, 6))
        self.edit_on_shopify(SKUS[1], 1)
        before = len(self.operations())
        self.assertIn("0 changed", self.full_sync())
        self.assertEqual(self.operations()[before:], [])
        run = self.as_job(lambda backend: backend._reconcile_stock())
        self.assertEqual((run.mismatched_count, run.healed_count), (1, 1))
        self.assertEqual(self.shopify_levels(), dict(zip(SKUS, (4, 5, 6), strict=True)))

    def test_a_failed_bulk_read_falls_back_to_pages(self):
        def cancel():
            current = self.backend._shopify_call(
                "query Probe { currentBulkOperation { id status } }", operation="Probe"
            )["currentBulkOperation"]
            if current and current["status"] in ("CREATED", "RUNNING"):
                self.backend._shopify_call(
                    "mutation Probe($id: ID!) { bulkOperationCancel(id: $id) {"
                    " bulkOperation { id } userErrors { message } } }",
                    {"id": current["id"]},
                    operation="Probe",
                )

        self.set_odoo_stock(SKUS[0], 9)
        self.knowing_nothing()
        # Shopify takes its time to start: the cancel comes first, whatever the load.
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"bulk_seconds": 2.0})
        before = len(self.operations())
        self.full_sync(between_attempts=cancel)
        operations = self.operations()[before:]
        self.assertIn("BulkRunQuery", operations)
        self.assertIn("InventoryLevels", operations, "paged once the bulk read was canceled")
        self.assertEqual(self.shopify_levels()[SKUS[0]], 9)

    def test_no_call_is_sent_into_an_empty_bucket(self):
        location = self.backend.shopify_location_ids.shopify_id
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/bucket",
            {"maximum": 1000, "restore_rate": 500, "available": 1000},
        )
        # One read teaches the backend the bucket and what this query asks for.
        self.backend = self.backend.with_context(stock_read_pages=True)
        self.backend._stock_read_levels(location)
        self.assertEqual(self.backend.rate_capacity, 1000)
        self.assertEqual(self.backend.rate_per_second, 500)
        # Other workers emptied the bucket, and their answers said so.
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/bucket", {"available": 0})
        self.env["integration.throttle"]._observe(self.backend, 1000, 1000)
        levels = self.backend._stock_read_levels(location)
        self.assertEqual(len(levels), len(SKUS))
        last = self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")[-1]
        self.assertEqual(last["operation"], "InventoryLevels")
        self.assertFalse(last["throttled"], "the call waited for the bucket to refill")
        self.assertGreaterEqual(last["available_before"], last["requested"])

    def test_throttled_call_succeeds_later(self):
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"throttle_next": 1})
        shop = self.backend._shopify_call("query Shop { shop { name } }", operation="Shop")
        self.assertEqual(shop["shop"]["name"], "Odoo test store")
        calls = self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")
        self.assertTrue(calls[-2]["throttled"])
        self.assertFalse(calls[-1]["throttled"])

    def test_reconciliation_heals_every_mismatch(self):
        self.set_odoo_stock("SHOP-TEE-M", 5)
        self.run_jobs(include_future=True)
        self.edit_on_shopify("SHOP-TEE-M", 50)
        run = self.as_job(lambda backend: backend._reconcile_stock())
        self.assertEqual(run.compared_count, len(SKUS))
        self.assertEqual(run.mismatched_count, 1)
        self.assertEqual(run.healed_count, 1)
        self.assertEqual(run.line_ids.key, "SHOP-TEE-M@Main")
        self.assertEqual(self.shopify_levels()["SHOP-TEE-M"], 5)

    def test_a_location_shopify_no_longer_lists_takes_no_stock(self):
        """Deactivated or deleted on Shopify (its ``locations`` lists active
        ones only): the next location sync stops the stock sent there."""
        gone = self.env["shopify.location"].create(
            {
                "backend_id": self.backend.id,
                "shopify_id": "gid://shopify/Location/999999",
                "name": "Closed pop-up store",
                "warehouse_id": self.warehouse.id,
            }
        )
        self.assertIn(gone.shopify_id, [loc["id"] for loc in self.backend._stock_locations()])
        self.backend.action_shopify_sync_locations()
        self.assertFalse(gone.active_on_shopify)
        self.assertTrue(
            all(
                self.backend.shopify_location_ids.filtered(lambda loc: loc != gone).mapped(
                    "active_on_shopify"
                )
            )
        )
        self.assertEqual(
            [loc["id"] for loc in self.backend._stock_locations()],
            (self.backend.shopify_location_ids - gone).mapped("shopify_id"),
        )
        self.set_odoo_stock("SHOP-TEE-M", 4)
        self.run_jobs(include_future=True)
        self.assertEqual(self.shopify_levels()["SHOP-TEE-M"], 4)


@tagged("post_install", "-at_install")
class TestShopifyLevelsFollowed(ShopifyCase):
    """inventory_levels/update keeps what Odoo knows of Shopify's levels true:
    Odoo's own writes echo back as no change; a level moved on Shopify's side
    is sent back to Odoo's own at once, with no read before the write."""

    def setUp(self):
        super().setUp()
        self.backend.shopify_follow_levels = True
        self.connect()

    def answered(self):
        """The level deliveries Odoo answered 2xx."""
        return [d for d in self.level_deliveries() if 200 <= (d.get("status") or 0) < 300]

    def level_deliveries(self):
        return [d for d in self.deliveries() if d["topic"] == "inventory_levels/update"]

    def test_levels_moved_on_shopify_come_back_to_odoos_without_a_read(self):
        set_stock(self.products["SHOP-CAP"], self.warehouse.lot_stock_id, 10)
        self.run_jobs(include_future=True)
        self.wait_deliveries(1)
        echoes = self.level_deliveries()
        self.assertTrue(echoes, "Shopify told of the level Odoo set")
        self.run_jobs(include_future=True)
        exports = self.env["queue.job"].search(
            [("method_name", "=", "_export_stock"), ("id", ">=", self.first_job_id)]
        )
        self.assertEqual(len(exports), 1, "Odoo's own write echoing back sends nothing again")
        # Someone edits the cap's level in Shopify's admin.
        self.edit_on_shopify("SHOP-CAP", 3)
        before = len(self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls"))
        # Deliveries are at least once: a late duplicate of the echo may land
        # first, so wait for the delivery that tells of the edit itself.
        answered = self.answered()
        for count in range(len(answered) + 1, len(answered) + 5):
            self.wait_deliveries(count)
            if any(d["payload"].get("available") == 3 for d in self.answered()):
                break
        self.run_jobs(include_future=True)
        event = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "inventory_levels/update")],
            order="id desc",
            limit=1,
        )
        self.assertEqual(event.state, "done", event.last_error)
        job = self.env["queue.job"].search([("uuid", "=", event.job_uuid)])
        flows = {f.flow: f.priority for f in self.backend.flow_ids}
        self.assertEqual(job.priority, flows["stock_out"], "a level is of the stock flow")
        self.assertLess(flows["orders_in"], job.priority, "at peak, orders go first")
        operations = [
            c["operation"] for c in self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")[before:]
        ]
        self.assertEqual(operations, ["InventorySet"], "no read: the webhook said it all")
        levels = self.control("GET", f"/_sandbox/shops/{DOMAIN}/inventory")
        self.assertEqual(sum(levels["SHOP-CAP"].values()), 10, "Odoo owns stock: back to 10")

    def burst(self, available):
        """Every SKU's level edited on Shopify, its deliveries in the inbox."""
        for sku in SKUS:
            self.edit_on_shopify(sku, available)
        for count in range(len(SKUS), len(SKUS) + 5):
            self.wait_deliveries(count)
            told = [d for d in self.answered() if d["payload"].get("available") == available]
            if len(told) >= len(SKUS):
                break

    def imported_steps(self):
        events = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "inventory_levels/update")]
        )
        return self.env["integration.lineage"].search(
            [("trace_id", "in", events.mapped("trace_id")), ("step", "=", "imported")]
        )

    def test_a_burst_of_level_changes_is_one_batch_that_asks_for_one_export(self):
        self.burst(7)
        self.run_jobs()
        [batch] = self.env["queue.job"].search(
            [("method_name", "=", "_process_batch"), ("id", ">=", self.first_job_id)]
        )
        self.assertIn(f"{len(SKUS)} of {len(SKUS)} done", batch.result)
        exports = self.env["queue.job"].search(
            [("method_name", "=", "_export_stock"), ("id", ">=", self.first_job_id)]
        )
        self.assertEqual(len(exports), 1, "the batch asks for one export of its changes")
        self.assertEqual(exports.state, "pending", "it gathers the burst a few seconds")
        bindings = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "in", list(SKUS))]
        )
        self.assertEqual(len(bindings), len(SKUS))
        for binding in bindings:
            self.assertIn(7, binding.extra["levels"].values(), binding.external_id)
            self.assertTrue(binding.stock_dirty, "moved on Shopify: marked for the export")
        events = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "inventory_levels/update")]
        )
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(self.env["integration.lineage"].check_chain(events.mapped("trace_id")), [])
        messages = self.imported_steps().mapped("message")
        self.assertEqual(messages, [f"stock_level imported ({len(SKUS)} together)"] * len(SKUS))

    def test_a_batch_of_levels_that_cannot_be_imported_together_goes_one_by_one(self):
        self.burst(6)
        Importer = type(self.env["integration.canonical.importer"])
        with patch.object(Importer, "_import_many", side_effect=ValueError("set-wise failed")):
            self.run_jobs()
        events = self.env["integration.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "inventory_levels/update")]
        )
        self.assertEqual(set(events.mapped("state")), {"done"}, events.mapped("last_error"))
        self.assertEqual(self.imported_steps().mapped("message"), ["stock_level imported"] * 3)
        bindings = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "in", list(SKUS))]
        )
        self.assertTrue(all(6 in b.extra["levels"].values() for b in bindings))
