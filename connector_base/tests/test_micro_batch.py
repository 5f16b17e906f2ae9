"""Micro-batched import: waiting events of one backend and topic in one job."""

from odoo.addons.queue_job.job import Job
from odoo.tests import tagged

from .common import PipelineCase, set_stock


@tagged("post_install", "-at_install")
class TestMicroBatch(PipelineCase):
    def queue(self, *payloads, topic="orders/create"):
        """Deliver while the inbox is not drained, as a burst arrives."""
        for payload in payloads:
            self.assertEqual(self.post(payload, topic=topic).status_code, 200)

    def jobs(self, method):
        return self.env["queue.job"].search(
            [("method_name", "=", method), ("id", ">=", self.first_job_id)]
        )

    def event(self, number):
        return self.events().filtered(lambda e: e.external_id == str(900000 + number))

    def test_a_burst_is_imported_in_one_job_with_orders_created_together(self):
        self.queue(*(self.order_payload(n) for n in range(4101, 4106)))
        self.run_jobs()
        [batch] = self.jobs("_process_batch")
        self.assertFalse(self.jobs("_process"), "no job per event")
        self.assertEqual(batch.state, "done", batch.exc_info)
        self.assertIn("5 of 5 done", batch.result)
        orders = self.env["sale.order"].search(
            [("client_order_ref", "in", [f"#{n}" for n in range(4101, 4106)])]
        )
        self.assertEqual(len(orders), 5)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        for number in range(4101, 4106):
            event = self.event(number)
            self.assertEqual(event.state, "done", event.last_error)
            steps = (
                self.env["integration.lineage"]
                .search([("trace_id", "=", event.trace_id)], order="id")
                .mapped("step")
            )
            self.assertEqual(steps[0], "received")
            self.assertEqual(steps[-1], "imported")
            self.assertEqual(self.env["integration.lineage"].check_chain([event.trace_id]), [])
        # Every order was acknowledged on the channel, each with its own name.
        acknowledged = {ref: body["odoo_reference"] for ref, body in self.sandbox.acknowledged}
        for order in orders:
            self.assertEqual(acknowledged[900000 + int(order.client_order_ref[1:])], order.name)

    def perform(self, method):
        """Run the pending jobs of one method only, as the runner would."""
        for record in self.jobs(method).filtered(lambda j: j.state == "pending"):
            job = Job.load(self.env, record.uuid)
            job.set_started()
            job.perform()
            job.set_done()
            job.store()

    def test_a_batch_reserves_in_one_job_after_it_and_its_units_are_held_back(self):
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        )
        red = self.env["product.product"].search([("default_code", "=", "TC-RED")])
        set_stock(red, warehouse.lot_stock_id, 10)
        self.queue(*(self.order_payload(n) for n in range(4201, 4204)))
        self.perform("_drain_inbox")
        self.perform("_process_batch")
        orders = self.env["sale.order"].search(
            [("client_order_ref", "in", ["#4201", "#4202", "#4203"])]
        )
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        pickings = orders.picking_ids
        self.assertTrue(all(pickings.mapped("integration_reserve_pending")))
        red_moves = pickings.move_ids.filtered(lambda m: m.product_id == red)
        self.assertEqual(set(red_moves.mapped("state")), {"confirmed"}, "not reserved yet")
        self.assertEqual(len(self.jobs("_reserve_deferred")), 1, "one job reserves the batch")
        free = self.backend._stock_free_quantities(red, warehouse.lot_stock_id)
        self.assertEqual(free[red.id], 4, "the six sold units are held back meanwhile")
        self.run_jobs()
        self.assertEqual(set(red_moves.mapped("state")), {"assigned"})
        self.assertFalse(any(pickings.mapped("integration_reserve_pending")))
        free = self.backend._stock_free_quantities(red, warehouse.lot_stock_id)
        self.assertEqual(free[red.id], 4)
        self.assertEqual(
            free[red.id], red.with_context(location=warehouse.lot_stock_id.id).free_qty
        )

    def test_a_bad_event_is_its_own_exception_and_the_others_go_on(self):
        bad = self.order_payload(4202, lines=[{"sku": "TC-RED", "qty": 0, "price": 1.0}])
        self.queue(self.order_payload(4201), bad, self.order_payload(4203))
        self.run_jobs()
        self.assertEqual(self.event(4201).state, "done")
        self.assertEqual(self.event(4203).state, "done")
        failed = self.event(4202)
        self.assertEqual(failed.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", failed.id)]
        )
        self.assertEqual(exception.category, "contract")
        self.assertEqual(
            self.env["sale.order"].search_count([("client_order_ref", "in", ["#4201", "#4203"])]),
            2,
        )

    def test_a_batch_resolves_the_exceptions_of_events_it_imports_at_last(self):
        late = self.order_payload(4401, lines=[{"sku": "TC-LATE2", "qty": 1, "price": 9.0}])
        self.post(late, delivery="late-4401")
        self.run_jobs()
        failed = self.event(4401)
        self.assertEqual(failed.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", failed.id)]
        )
        self.assertEqual(exception.state, "new")
        self.env["product.product"].create(
            {"name": "Late 2", "default_code": "TC-LATE2", "type": "consu"}
        )
        # Delivered again within a burst: the event is imported in a batch.
        self.queue(self.order_payload(4402))
        self.post(late, delivery="late-4401")
        self.run_jobs()
        [batch] = self.jobs("_process_batch")
        self.assertIn("2 of 2 done", batch.result)
        self.assertEqual(failed.state, "done", failed.last_error)
        self.assertEqual(exception.state, "resolved", "the event's own exception is over")
        transition = self.env["integration.exception.transition"].search(
            [("exception_id", "=", exception.id), ("to_state", "=", "resolved")]
        )
        self.assertIn("attempt 2", transition.reason)

    def test_a_failing_bulk_step_falls_back_to_one_by_one(self):
        # Odoo computes no tax on these lines: a channel total tax of 3.00 is a
        # mismatch found only once the order exists (in the bulk step).
        mismatch = self.order_payload(4302, total_tax=3.0)
        self.queue(self.order_payload(4301), mismatch, self.order_payload(4303))
        self.run_jobs()
        self.assertEqual(self.event(4301).state, "done")
        self.assertEqual(self.event(4303).state, "done")
        failed = self.event(4302)
        self.assertEqual(failed.state, "failed")
        self.assertIn("Tax mismatch", failed.last_error)
        refs = self.env["sale.order"].search([("client_order_ref", "like", "#430")])
        self.assertEqual(sorted(refs.mapped("client_order_ref")), ["#4301", "#4303"])
        # Lineage never says "imported" of an order the bulk step rolled back.
        imported = self.env["integration.lineage"].search(
            [
                ("trace_id", "in", (self.event(4301) | self.event(4303)).mapped("trace_id")),
                ("step", "=", "imported"),
            ]
        )
        self.assertEqual(len(imported), 2)
        self.assertTrue(all(imported.mapped("res_id")))

    def test_two_events_of_one_order_in_a_batch_make_one_order(self):
        created = self.order_payload(4401)
        lines = [{"sku": "TC-RED", "qty": 5, "price": 10.0}]
        updated = self.order_payload(4401, lines=lines, updated_at="2026-11-20T11:00:00Z")
        self.queue(created, self.order_payload(4402), updated, self.order_payload(4403))
        self.run_jobs()
        [batch] = self.jobs("_process_batch")
        self.assertIn("4 of 4 done", batch.result)
        orders = self.env["sale.order"].search([("client_order_ref", "=", "#4401")])
        self.assertEqual(len(orders), 1)
        quantities = {
            line.product_id.default_code: line.product_uom_qty
            for line in orders.order_line.filtered(lambda line: not line.is_delivery)
        }
        self.assertEqual(quantities["TC-RED"], 5, "the later event applied to the order")
        self.assertEqual(
            set(self.events().filtered(lambda e: e.external_id == "904401").mapped("state")),
            {"done"},
        )

    def test_reordered_and_duplicated_deliveries_in_a_batch_make_one_order_once(self):
        lines = [{"sku": "TC-RED", "qty": 7, "price": 10.0}]
        newer = self.order_payload(4501, lines=lines, updated_at="2026-11-20T11:00:00Z")
        older = self.order_payload(4501)
        # The newer update arrives first, the older creation after it, and the
        # channel sends the newer one again (same delivery id) in the same burst.
        self.queue(self.order_payload(4502), newer)
        again = self.post(newer, delivery="delivery-4501-newer")
        self.assertEqual(again.status_code, 200)
        duplicate = self.post(newer, delivery="delivery-4501-newer")
        self.assertEqual(duplicate.json()["status"], "duplicate")
        self.queue(older, self.order_payload(4503))
        self.run_jobs()
        [batch] = self.jobs("_process_batch")
        self.assertEqual(batch.state, "done", batch.exc_info)
        orders = self.env["sale.order"].search([("client_order_ref", "=", "#4501")])
        self.assertEqual(len(orders), 1, "one order, whatever the order and count of deliveries")
        quantities = {
            line.product_id.default_code: line.product_uom_qty
            for line in orders.order_line.filtered(lambda line: not line.is_delivery)
        }
        self.assertEqual(quantities, {"TC-RED": 7}, "the newer content stays; the older is stale")
        events = self.events().filtered(lambda e: e.external_id == "904501")
        self.assertEqual(len(events), 3, "a redelivery with the same id is stored once")
        self.assertEqual(sorted(events.mapped("state")), ["done", "done", "ignored"])
        self.assertEqual(
            events.filtered(lambda e: e.state == "ignored").external_updated_at.hour,
            10,
            "the older creation is the one ignored",
        )
        others = self.env["sale.order"].search([("client_order_ref", "in", ["#4502", "#4503"])])
        self.assertEqual(len(others), 2)

    def test_a_trickle_goes_through_at_once_without_a_batch(self):
        self.queue(self.order_payload(4501))
        self.run_jobs()
        self.assertFalse(self.jobs("_process_batch"))
        self.assertEqual(len(self.jobs("_process")), 1)
        self.assertEqual(self.event(4501).state, "done")

    def test_an_event_that_must_wait_leaves_the_batch_for_a_job_of_its_own(self):
        # The channel's customer API fails once: that event's lookup is transient.
        self.queue(self.order_payload(4601), self.order_payload(4602))
        self.sandbox.fail_next(1)
        self.run_jobs(include_future=True)
        self.assertEqual({self.event(4601).state, self.event(4602).state}, {"done"})
        self.assertEqual(len(self.jobs("_process_batch")), 1)
        self.assertEqual(len(self.jobs("_process")), 1, "the waiting event got its own job")


@tagged("post_install", "-at_install")
class TestBatchWindow(PipelineCase):
    """Under steady traffic the drain waits out the backend's batch window, so
    deliveries gather into micro-batches; a lone delivery drains at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.inbox_batch_window = 30  # wide enough for any machine's pace

    def drains(self):
        return self.env["queue.job"].search(
            [("method_name", "=", "_drain_inbox"), ("id", ">=", self.first_job_id)],
            order="id",
        )

    def test_a_lone_delivery_drains_at_once_and_steady_traffic_waits_for_the_window(self):
        self.assertEqual(self.post(self.order_payload(4601)).status_code, 200)
        first = self.drains()
        self.assertEqual(len(first), 1)
        self.assertFalse(first.eta, "a lone delivery is drained at once")
        self.run_jobs()
        self.assertEqual(self.events().filtered(lambda e: e.external_id == "904601").state, "done")
        # The drain found an event: it asked for a follow-up after the window.
        follow_up = self.drains() - first
        self.assertEqual(len(follow_up), 1)
        self.assertTrue(follow_up.eta, "the follow-up waits for the window")
        for number in (4602, 4603, 4604):
            self.assertEqual(self.post(self.order_payload(number)).status_code, 200)
        self.assertEqual(self.drains() - first, follow_up, "one pending drain takes them all")
        received = self.events().filtered(lambda e: e.external_id in ("904602", "904603", "904604"))
        self.assertEqual(
            set(received.mapped("state")), {"received"}, "nothing ran before the window"
        )
        self.run_jobs(include_future=True)
        self.assertEqual(set(received.mapped("state")), {"done"}, received.mapped("last_error"))
        batch = self.env["queue.job"].search(
            [("method_name", "=", "_process_batch"), ("id", ">=", self.first_job_id)]
        )
        self.assertEqual(len(batch), 1, "the three gathered deliveries went in one micro-batch")
        self.assertIn("3 of 3 done", batch.result)

    def test_a_window_of_zero_drains_every_delivery_at_once(self):
        self.backend.inbox_batch_window = 0
        for number in (4611, 4612):
            self.assertEqual(self.post(self.order_payload(number)).status_code, 200)
            self.run_jobs()
        self.assertFalse(self.drains().filtered("eta"))
        self.assertEqual(
            set(
                self.events()
                .filtered(lambda e: e.external_id in ("904611", "904612"))
                .mapped("state")
            ),
            {"done"},
        )
