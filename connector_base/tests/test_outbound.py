"""Outbound through the pipeline's hooks: the test channel fills only hooks
(no stock.move, stock.picking or reconciliation override of its own) and
gets coalesced, compare-and-set stock exports, healing reconciliations and
shipments sent once, with the failures ending as the inbound ones do."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.connector_base.lib.retry import PermanentError, TransientError
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PipelineCase, set_stock

TEST_CHANNEL = "odoo.addons.connector_test_channel"


@tagged("post_install", "-at_install")
class TestOutboundStock(PipelineCase):
    def setUp(self):
        super().setUp()
        self.sandbox.inventory.clear()
        self.warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        Binding = self.env["integration.binding"]
        for sku in ("TC-RED", "TC-BLUE"):
            Binding._bind(self.backend, self.products[sku], sku)

    def set_odoo_stock(self, sku, quantity):
        set_stock(self.products[sku], self.warehouse.lot_stock_id, quantity)

    def export_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", "_export_stock"), ("id", ">=", self.first_job_id)]
        )

    def synced_then_drifted(self, drift):
        """Odoo's stock (TC-RED 5, TC-BLUE 1) exported, then levels moved on
        the channel with no word to Odoo: ``drift`` is {sku: its new level}."""
        self.set_odoo_stock("TC-RED", 5)
        self.set_odoo_stock("TC-BLUE", 1)
        self.run_jobs(include_future=True)
        for sku, available in drift.items():
            self.sandbox.inventory[(sku, "WH1")] = available

    def inventory_posts(self):
        return [call for call in self.sandbox.calls if call[0] == "/inventory"]

    def test_a_burst_of_changes_is_one_export_through_the_hooks(self):
        self.set_odoo_stock("TC-RED", 7)
        self.set_odoo_stock("TC-BLUE", 3)
        self.set_odoo_stock("TC-GREEN", 9)  # not bound to the backend: not sent
        self.assertEqual(len(self.export_jobs()), 1, "one coalesced export job")
        self.run_jobs(include_future=True)
        self.assertEqual(self.sandbox.inventory, {("TC-RED", "WH1"): 7, ("TC-BLUE", "WH1"): 3})
        steps = self.env["integration.lineage"].search(
            [("system_id", "=", self.backend.system_id.id), ("step", "=", "exported")]
        )
        self.assertTrue(steps.filtered(lambda s: "stock: 2 level(s)" in (s.message or "")))

    def test_free_quantities_are_odoos_free_qty_reservations_included(self):
        self.set_odoo_stock("TC-RED", 7)
        self.set_odoo_stock("TC-BLUE", 3)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Reserving"}).id,
                "order_line": [
                    (0, 0, {"product_id": self.products["TC-RED"].id, "product_uom_qty": 2})
                ],
            }
        )
        order.action_confirm()
        products = self.products["TC-RED"] | self.products["TC-BLUE"] | self.products["TC-GREEN"]
        location = self.warehouse.lot_stock_id
        free = self.backend._stock_free_quantities(products, location)
        for product in products.with_context(location=location.id):
            self.assertEqual(free.get(product.id, 0.0), product.free_qty, product.default_code)
        self.assertEqual(free[self.products["TC-RED"].id], 5, "two of seven are reserved")

    def test_a_batch_flow_waits_for_its_window_and_an_off_flow_sends_nothing(self):
        flow = self.backend.flow_ids.filtered(lambda f: f.flow == "stock_out")
        flow.write({"mode": "batch", "batch_minutes": 15})
        self.set_odoo_stock("TC-RED", 3)
        job = self.export_jobs()
        self.assertEqual(len(job), 1)
        self.assertGreater(job.eta, fields.Datetime.now() + timedelta(minutes=14))
        job.unlink()
        self.env["integration.binding"].search([("backend_id", "=", self.backend.id)]).write(
            {"stock_dirty": False}
        )
        flow.mode = "off"
        self.set_odoo_stock("TC-RED", 4)
        self.assertFalse(self.export_jobs())

    def test_a_stale_compare_rereads_and_never_overwrites_a_channel_sale(self):
        self.set_odoo_stock("TC-RED", 10)
        self.run_jobs(include_future=True)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 10)
        # The channel sells 2 (8 left) before Odoo hears of it; Odoo receives more.
        self.sandbox.inventory[("TC-RED", "WH1")] = 8
        self.set_odoo_stock("TC-RED", 15)
        before = len(self.sandbox.calls)
        self.run_jobs(include_future=True)
        calls = [c[0] for c in self.sandbox.calls[before:]]
        self.assertEqual(calls.count("/inventory"), 2, "a refused set, then the one that held")
        self.assertTrue(any(c.startswith("/inventory?") for c in calls), "re-read the level")
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 15)

    def test_units_of_orders_waiting_in_the_inbox_are_held_back(self):
        self.set_odoo_stock("TC-RED", 10)
        self.run_jobs(include_future=True)
        self.post(self.order_payload(4101))  # 2 x TC-RED, in the inbox, not imported
        self.backend._export_stock(full=True)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 8)

    def test_reconciliation_heals_through_the_run_backend(self):
        self.synced_then_drifted({"TC-RED": 50})
        run = self.backend._reconcile_stock()
        self.assertEqual(run.compared_count, 2)
        self.assertEqual((run.mismatched_count, run.healed_count), (1, 1))
        self.assertEqual(run.line_ids.key, "TC-RED@Main warehouse")
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 5)

    def test_a_full_sync_reads_what_it_does_not_know_and_nothing_without_bindings(self):
        self.set_odoo_stock("TC-RED", 3)
        self.sandbox.calls.clear()
        self.backend._export_stock(full=True)
        paths = [path for path, _headers in self.sandbox.calls]
        self.assertTrue(paths[0].startswith("/inventory?"), paths)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 3)
        self.env["integration.binding"].search([("backend_id", "=", self.backend.id)]).unlink()
        self.sandbox.calls.clear()
        self.assertEqual(self.backend._export_stock(full=True), "nothing to export")
        self.assertFalse(self.sandbox.calls, "no read for a backend with nothing bound")

    def test_a_full_sync_knowing_every_level_reads_nothing(self):
        """What Odoo set on the channel is the compare of its next full sync:
        nothing is read, and only a level that differs is sent."""
        self.set_odoo_stock("TC-RED", 3)
        self.set_odoo_stock("TC-BLUE", 4)
        self.run_jobs(include_future=True)
        self.sandbox.calls.clear()
        self.assertIn("0 changed", self.backend._export_stock(full=True))
        self.assertFalse(self.sandbox.calls, "nothing read, nothing sent")
        self.sandbox.inventory[("TC-RED", "WH1")] = 1  # drift no webhook told
        self.set_odoo_stock("TC-RED", 6)
        self.backend._export_stock(full=True)
        paths = [path for path, _headers in self.sandbox.calls]
        self.assertEqual(paths.count("/inventory"), 2, "refused, then sent again")
        self.assertEqual(len([p for p in paths if p.startswith("/inventory?")]), 1)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 6)

    def test_the_sync_stock_button_queues_one_full_sync_that_reads_every_level(self):
        """The admin's sync corrects drift no webhook told (it reads every
        level first) and sends a product no change ever marked; clicking
        twice queues one sync; the coalesced export of a change stays its own."""
        self.set_odoo_stock("TC-RED", 3)
        self.run_jobs(include_future=True)
        self.sandbox.inventory[("TC-RED", "WH1")] = 1  # drift no webhook told
        self.set_odoo_stock("TC-BLUE", 4)
        self.env.flush_all()
        self.assertTrue(self.backend.stock_supported)
        action = self.backend.action_sync_stock()
        self.backend.action_sync_stock()
        self.assertIn("Full stock sync queued", action["params"]["message"])
        jobs = self.export_jobs().filtered(lambda job: job.state != "done")
        full = jobs.filtered(lambda job: job.kwargs.get("full"))
        self.assertEqual(len(full), 1, "one full sync for two clicks")
        self.assertEqual(full.kwargs, {"full": True, "read_all": True})
        self.assertEqual(len(jobs - full), 1, "the coalesced export of TC-BLUE's change")
        self.run_jobs(include_future=True)
        self.assertEqual(full.state, "done")
        self.assertEqual(self.sandbox.inventory, {("TC-RED", "WH1"): 3, ("TC-BLUE", "WH1"): 4})

    def test_the_sync_stock_button_refuses_a_backend_that_is_not_active(self):
        self.backend.action_pause()
        with self.assertRaises(UserError):
            self.backend.action_sync_stock()
        self.assertFalse(self.export_jobs())

    def test_a_channel_whose_stock_hooks_are_not_written_shows_no_sync_button(self):
        """A scaffolded channel's hooks raise until written: its form still opens."""
        Backend = type(self.env["integration.backend"])

        def not_written(backend):
            raise NotImplementedError("_stock_supported")

        with patch.object(Backend, "_stock_supported", not_written):
            self.backend.invalidate_recordset(["stock_supported"])
            self.assertFalse(self.backend.stock_supported)

    def test_a_reconciliation_heals_its_mismatches_in_one_export(self):
        """A drifted shop's mismatches are healed set-wise: one push of the
        channel's batch for all of them, not one export per line."""
        self.synced_then_drifted({"TC-RED": 50, "TC-BLUE": 40})
        pushed_before = len(self.inventory_posts())
        run = self.backend._reconcile_stock()
        self.assertEqual((run.mismatched_count, run.healed_count), (2, 2))
        self.assertEqual(set(run.line_ids.mapped("resolution")), {"healed"})
        self.assertFalse(run.line_ids.exception_id)
        self.assertEqual(len(self.inventory_posts()) - pushed_before, 1, "one push for both")
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 5)
        self.assertEqual(self.sandbox.inventory[("TC-BLUE", "WH1")], 1)

    def test_a_heal_the_channel_refuses_is_raised_not_healed(self):
        self.synced_then_drifted({"TC-RED": 50})
        self.sandbox.unstocked.add("TC-RED")  # the heal's push is refused
        self.addCleanup(self.sandbox.unstocked.clear)
        run = self.backend._reconcile_stock()
        self.assertEqual((run.mismatched_count, run.healed_count), (1, 0))
        self.assertEqual(run.line_ids.resolution, "exception")
        self.assertTrue(run.line_ids.exception_id)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 50)

    def test_a_channel_that_owns_stock_gets_none_of_odoos(self):
        rule = self.env.ref("integration_governance.sor_stock")
        rule.write({"owner_scope": "role", "owner_role": "sales_channel"})
        self.set_odoo_stock("TC-RED", 4)
        self.run_jobs(include_future=True)
        self.assertFalse(self.inventory_posts())
        self.assertNotIn(("TC-RED", "WH1"), self.sandbox.inventory)
        outcome = self.backend._export_stock(full=True)
        self.assertIn("owned by", outcome)

    def test_an_outage_postpones_the_export_and_spent_retries_are_a_dead_letter(self):
        self.set_odoo_stock("TC-RED", 6)
        self.sandbox.fail_next(1, status=503)
        jobs = self.run_jobs(include_future=True, max_rounds=1)
        self.assertEqual(self.export_jobs().state, "pending", "postponed, not failed")
        self.run_jobs(include_future=True)
        self.assertEqual(self.sandbox.inventory[("TC-RED", "WH1")], 6)
        self.assertTrue(jobs)
        # Once the job's retries are spent, a transient failure is a dead letter.
        self.set_odoo_stock("TC-RED", 2)
        job = self.export_jobs().filtered(lambda j: j.state == "pending")
        job.max_retries = 1
        self.sandbox.fail_next(5, status=503)
        self.run_jobs(include_future=True)
        self.assertEqual(job.state, "done")
        exception = self.env["integration.exception"].search([("job_uuid", "=", job.uuid)])
        self.assertEqual(len(exception), 1)
        self.assertIn("Retries exhausted", exception.message)
        self.sandbox.failures.clear()

    def test_a_failed_export_marks_again_only_what_it_found_marked(self):
        Binding = self.env["integration.binding"]
        bindings = {
            sku: Binding.search([("backend_id", "=", self.backend.id), ("external_id", "=", sku)])
            for sku in ("TC-RED", "TC-BLUE")
        }
        bindings["TC-RED"].stock_dirty = True
        bindings["TC-BLUE"].stock_dirty = False
        # The export marks in transactions of its own: they see what is written.
        self.env.flush_all()
        self.sandbox.fail_next(10, status=503)
        # Not assertRaises: its savepoint would undo the marks written meanwhile.
        try:
            self.backend._export_stock(full=True)
        except TransientError:
            pass
        else:
            self.fail("the channel's outage did not fail the export")
        self.sandbox.failures.clear()
        self.env.invalidate_all()
        self.assertTrue(bindings["TC-RED"].stock_dirty, "its change is not lost")
        self.assertFalse(bindings["TC-BLUE"].stock_dirty, "nothing of it was pending")


@tagged("post_install", "-at_install")
class TestOutboundShipment(PipelineCase):
    def setUp(self):
        super().setUp()
        self.sandbox.shipments.clear()
        self.carrier = self.env["delivery.carrier"].create(
            {
                "name": "Test Post",
                "product_id": self.backend.shipping_product_id.id,
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )

    def import_order(self, number):
        self.post(self.order_payload(number))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == str(900000 + number))
        self.assertEqual(event.state, "done", event.last_error)
        return self.env["sale.order"].browse(event.res_id)

    def ship(self, order, tracking="TRACK-1"):
        picking = order.picking_ids
        picking.carrier_id = self.carrier
        picking.carrier_tracking_ref = tracking
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
        return picking

    def test_a_validated_delivery_is_one_canonical_shipment_sent_once(self):
        order = self.import_order(4201)
        picking = self.ship(order)
        jobs = self.env["queue.job"].search(
            [("method_name", "=", "_export_shipment"), ("id", ">=", self.first_job_id)]
        )
        self.assertEqual(len(jobs), 1)
        action = jobs.open_related_action()
        self.assertEqual((action["res_model"], action["res_id"]), ("stock.picking", picking.id))
        self.run_jobs(include_future=True)
        self.assertEqual(len(self.sandbox.shipments), 1)
        order_id, document, shipment_id = self.sandbox.shipments[0]
        self.assertEqual(order_id, 904201)
        self.assertEqual(document["order_name"], "#4201")
        self.assertEqual(document["tracking_number"], "TRACK-1")
        self.assertEqual(document["tracking_url"], "https://track.example.com/TRACK-1")
        self.assertEqual(document["carrier"], "Test Post")
        self.assertEqual(
            document["lines"],
            [
                {"sku": "TC-BLUE", "quantity": 1},
                {"sku": "TC-GREEN", "quantity": 1},
                {"sku": "TC-RED", "quantity": 2},
            ],
        )
        self.assertEqual(self.backend._export_shipment(picking), "already sent")
        self.assertEqual(len(self.sandbox.shipments), 1)
        exported = self.env["integration.lineage"].search(
            [("trace_id", "=", self.backend._trace_of(order)), ("step", "=", "exported")]
        )
        self.assertEqual(exported.external_ref, shipment_id, "the shipment joins the order's trace")

    def test_a_refused_shipment_is_an_exception_for_the_fulfilment_team(self):
        order = self.import_order(4202)
        self.sandbox.fulfilled_elsewhere.add(904202)
        picking = self.ship(order)
        self.run_jobs(include_future=True)
        exception = self.env["integration.exception"].search(
            [("business_object", "=", "shipment"), ("name", "ilike", picking.name)]
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.team_id, self.env.ref("integration_governance.team_fulfilment"))
        self.assertEqual(exception.related_record, picking)
        self.assertFalse(self.sandbox.shipments)

    def test_a_shipment_breaking_its_contract_is_not_sent(self):
        order = self.import_order(4203)
        self.carrier.tracking_url = "not a url/<shipmenttrackingnumber>"
        self.ship(order)
        self.run_jobs(include_future=True)
        self.assertFalse(self.sandbox.shipments)
        exception = self.env["integration.exception"].search(
            [("category", "=", "contract"), ("business_object", "=", "shipment")]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("tracking_url", exception.message)

    def test_a_logged_shipment_call_replays_from_the_picking(self):
        order = self.import_order(4204)
        picking = self.ship(order)
        self.sandbox.fail_next(1, status=400)  # refused once: nothing bound
        # Called in-process, not as a job: the job's savepoint would roll back
        # the test cursor's log row, which a real worker keeps (own transaction).
        try:
            self.backend._export_shipment(picking)
        except PermanentError:  # pylint: disable=except-pass
            pass  # the refusal is what this test expects
        else:
            self.fail("the refused call raised nothing")
        self.assertFalse(self.sandbox.shipments)
        message = self.env["integration.message"].search(
            [("backend_id", "=", self.backend.id), ("endpoint", "=", "/orders/shipments")],
            limit=1,
        )
        self.assertEqual(
            (message.replay_model, message.replay_res_id, message.replay_method),
            ("stock.picking", picking.id, "_integration_send_shipments"),
        )
        exception = self.env["integration.exception"].raise_exception(
            "transport", "resend", system=self.backend.system_id, source=message
        )
        exception.action_replay()
        self.assertEqual(exception.state, "replayed")
        self.assertEqual(len(self.sandbox.shipments), 1)
        self.assertEqual(picking._integration_send_shipments(), ["already sent"])
        self.assertEqual(len(self.sandbox.shipments), 1)


@tagged("post_install", "-at_install")
class TestChannelIsHooksOnly(PipelineCase):
    def test_the_test_channel_overrides_no_stock_or_picking_model(self):
        for model in ("stock.move", "stock.picking", "integration.reconciliation.run"):
            modules = {cls.__module__ for cls in type(self.env[model]).__mro__}
            self.assertFalse(
                [m for m in modules if m.startswith(TEST_CHANNEL)],
                f"the test channel overrides {model}",
            )


@tagged("post_install", "-at_install")
class TestOrderUpdateOwnership(PipelineCase):
    def test_an_update_writes_only_what_the_channel_owns_of_an_order(self):
        self.post(self.order_payload(4301))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "904301")
        order = self.env["sale.order"].browse(event.res_id)
        lines_before = order.order_line.filtered(lambda line: not line.is_delivery).mapped(
            "product_uom_qty"
        )
        self.env["integration.sor.rule"].create(
            {
                "business_object": "order",
                "field_name": "order_line",
                "owner_scope": "odoo",
                "policy": "ignore",
            }
        )
        changed = self.order_payload(4301, updated_at="2026-11-20T11:00:00Z")
        changed["lines"][0]["qty"] = 5
        self.post(changed, topic="orders/updated")
        self.run_jobs()
        self.assertEqual(
            order.order_line.filtered(lambda line: not line.is_delivery).mapped("product_uom_qty"),
            lines_before,
            "Odoo owns the lines now: the channel's change is filtered",
        )
        steps = self.env["integration.lineage"].search(
            [("step", "=", "filtered"), ("system_id", "=", self.backend.system_id.id)]
        )
        self.assertTrue(steps, "the refusal is noted in the lineage")
