from datetime import datetime, timedelta

from odoo import fields

from .common import PipelineCase

START = datetime(2026, 11, 20, 9, 0)
END = datetime(2026, 11, 20, 11, 0)


class TestReconcileOrders(PipelineCase):
    """Every order the channel has is bound once in Odoo, or raised with its reason."""

    def setUp(self):
        super().setUp()
        self.sandbox.orders.clear()
        self.addCleanup(self.sandbox.orders.clear)
        self.Binding = self.env["integration.binding"]

    def on_channel(self, number, **overrides):
        payload = self.order_payload(number, **overrides)
        self.sandbox.orders[payload["id"]] = payload
        return payload

    def imported(self, number, **overrides):
        """An order the channel has and its webhook delivered."""
        payload = self.on_channel(number, **overrides)
        self.assertEqual(self.post(payload).status_code, 200)
        self.run_jobs()
        return payload

    def sale_order(self, number):
        return self.Binding._record(self.backend, "sale.order", str(900000 + number))

    def test_nothing_missing(self):
        self.imported(4001)
        self.imported(4002)
        self.on_channel(4003, updated_at="2026-11-21T10:00:00Z")  # outside the window
        run = self.backend._reconcile_orders(START, END)
        self.assertEqual(run.kind, "orders")
        self.assertEqual(run.system_id, self.backend.system_id)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.compared_count, run.matched_count, run.mismatched_count), (2, 2, 0))
        self.assertEqual((run.window_start, run.window_end), (START, END))
        lineage = self.env["integration.lineage"].search(
            [("trace_id", "=", run.trace_id), ("step", "=", "reconciled")]
        )
        self.assertEqual(lineage.outcome, "success")
        self.assertEqual(len(self.events()), 2, "nothing re-imported")

    def test_missing_order_reimported_through_the_inbox(self):
        self.imported(4011)
        self.on_channel(4012)  # its webhook never came
        run = self.backend._reconcile_orders(START, END)
        self.assertEqual((run.compared_count, run.mismatched_count, run.healed_count), (2, 1, 1))
        line = run.line_ids
        self.assertEqual(
            (line.key, line.odoo_value, line.external_value), ("904012", "missing", "#4012")
        )
        self.assertEqual(line.resolution, "healed")
        self.assertFalse(line.exception_id)
        event = self.events().filtered(lambda e: e.external_id == "904012")
        self.assertEqual((event.source, event.state), ("poll", "received"))
        # The same description as the channel's webhook: its dedup key, its contract.
        self.assertEqual(event.dedup_key, "orders/create:904012:2026-11-20T10:00:00Z")
        self.assertIn(f"event {event.id}", line.note)
        drain = self.env["queue.job"].search(
            [("identity_key", "=", self.backend._drain_identity()), ("state", "=", "pending")]
        )
        self.assertTrue(drain)
        self.run_jobs()
        self.assertEqual(event.state, "done", event.last_error)
        order = self.sale_order(4012)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.client_order_ref, "#4012")
        # The next run finds it bound: nothing to heal.
        again = self.backend._reconcile_orders(START, END)
        self.assertEqual((again.compared_count, again.mismatched_count), (2, 0))

    def test_a_later_heal_of_many_lines_reads_the_window_once(self):
        """A manager heals a run's lines after the run (its snapshot gone):
        the channel's window is read once for all of them, not once a line."""
        self.on_channel(4051)
        self.on_channel(4052)
        run = self.env["integration.reconciliation.run"].start(
            "orders", self.backend.system_id, START, END
        )
        for number in (4051, 4052):
            run.add_mismatch(str(900000 + number), "order", "missing", f"#{number}", heal=False)
        run.finish(2)
        self.assertEqual(set(run.line_ids.mapped("resolution")), {"exception"})
        self.sandbox.calls.clear()
        run.line_ids.action_heal()
        self.assertEqual(set(run.line_ids.mapped("resolution")), {"healed"})
        reads = [path for path, _headers in self.sandbox.calls if path.startswith("/orders?")]
        self.assertEqual(len(reads), 1, self.sandbox.calls)
        self.run_jobs()
        self.assertTrue(self.sale_order(4051))
        self.assertTrue(self.sale_order(4052))

    def test_failed_event_raised_with_its_exception(self):
        payload = self.imported(4021, lines=[{"sku": "TC-UNKNOWN", "qty": 1, "price": 60.0}])
        event = self.events()
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )
        self.assertTrue(exception)
        exceptions_before = self.env["integration.exception"].search_count([])
        run = self.backend._reconcile_orders(START, END)
        line = run.line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual(line.key, str(payload["id"]))
        self.assertEqual(line.resolution, "exception")
        self.assertEqual(line.exception_id, exception, "the open exception is the reason")
        self.assertIn(exception.name, line.odoo_value)
        self.assertIn(f"event {event.id} failed", line.odoo_value)
        self.assertEqual(self.events(), event, "not re-imported while its exception is open")
        self.assertEqual(self.env["integration.exception"].search_count([]), exceptions_before)

    def test_done_event_without_binding_raised(self):
        self.imported(4031)
        event = self.events()
        self.assertEqual(event.state, "done")
        self.Binding._find(self.backend, "sale.order", "904031").unlink()
        run = self.backend._reconcile_orders(START, END)
        line = run.line_ids
        self.assertEqual(line.resolution, "exception")
        self.assertIn(f"event {event.id} done", line.odoo_value)
        self.assertIn("no sale order bound", line.odoo_value)
        self.assertEqual(line.exception_id.external_ref, "904031")
        self.assertEqual(line.exception_id.business_object, "order")
        self.assertEqual(len(self.events()), 1, "not imported a second time")

    def test_order_bound_twice_raised(self):
        self.imported(4041)
        self.on_channel(4042)
        first = self.sale_order(4041)
        # A sale order bound to a second order's id as well.
        self.Binding._bind(self.backend, first, "904042")
        run = self.backend._reconcile_orders(START, END)
        self.assertEqual((run.compared_count, run.mismatched_count), (2, 2))
        for line in run.line_ids:
            self.assertEqual(line.resolution, "exception")
            self.assertIn(f"{first.name} bound to 2 external ids", line.odoo_value)
            self.assertEqual((line.res_model, line.res_id), ("sale.order", first.id))
            self.assertTrue(line.exception_id)
        self.assertEqual(len(self.events()), 1, "a bound order is not re-imported")

    def test_scheduled_run_windows(self):
        others = self.env["integration.backend"].search(
            [("id", "!=", self.backend.id), ("state", "=", "active")]
        )
        others.write({"state": "paused"})
        recent = (fields.Datetime.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.on_channel(4051, updated_at=recent, created_at=recent)
        self.on_channel(4052, updated_at="2026-01-01T00:00:00Z")  # long ago: not compared
        self.env["integration.backend"]._cron_reconcile_orders()
        job = self.env["queue.job"].search(
            [
                (
                    "identity_key",
                    "=",
                    f"integration.backend:{self.backend.id}:reconciliation:_reconcile_orders",
                )
            ]
        )
        self.assertEqual(len(job), 1)
        self.run_jobs()
        Run = self.env["integration.reconciliation.run"]
        run = Run.search([("kind", "=", "orders"), ("system_id", "=", self.backend.system_id.id)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.window_end - run.window_start, timedelta(hours=24))
        self.assertEqual((run.compared_count, run.healed_count), (1, 1))
        self.assertEqual(self.sale_order(4051).state, "sale")
        # The next run starts at the end of this one, minus the overlap.
        self.backend.reconcile_orders_overlap = 30
        second = self.backend._reconcile_orders()
        self.assertEqual(second.window_start, run.window_end - timedelta(minutes=30))
        self.assertEqual(second.mismatched_count, 0)
