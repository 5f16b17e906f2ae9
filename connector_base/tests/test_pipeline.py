from odoo import fields
from odoo.addons.connector_base.lib.retry import CircuitOpenError, ThrottledError, TransientError
from odoo.addons.queue_job.job import Job

from .common import PipelineCase


class TestPipeline(PipelineCase):
    def import_order(self, number, **overrides):
        response = self.post(self.order_payload(number, **overrides))
        self.assertEqual(response.status_code, 200)
        self.run_jobs()
        return self.events().filtered(lambda e: e.external_id == str(900000 + number))

    def test_webhook_to_confirmed_sale_order(self):
        event = self.import_order(3001)
        self.assertEqual(event.state, "done", event.last_error)
        order = self.env["sale.order"].browse(event.res_id)
        self.assertEqual(event.res_model, "sale.order")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.client_order_ref, "#3001")
        self.assertEqual(order.partner_id.email, "ann.buyer@example.com")
        products = order.order_line.filtered(lambda line: not line.is_delivery)
        self.assertEqual(
            sorted((line.product_id.default_code, line.product_uom_qty) for line in products),
            [("TC-BLUE", 1), ("TC-GREEN", 1), ("TC-RED", 2)],
        )
        shipping = order.order_line.filtered("is_delivery")
        self.assertEqual(shipping.price_unit, 4.5)
        binding = self.env["integration.binding"]._find(self.backend, "sale.order", "903001")
        self.assertEqual(binding.res_id, order.id)
        steps = (
            self.env["integration.lineage"]
            .search([("trace_id", "=", event.trace_id)], order="id")
            .mapped("step")
        )
        self.assertEqual(steps[:2], ["received", "validated"])
        self.assertIn("mapped", steps)
        self.assertEqual(steps[-1], "imported")
        self.assertEqual(order.integration_trace_count, 1)
        self.assertEqual(self.env["integration.lineage"].check_chain([event.trace_id]), [])
        # The outbound call to the channel's API was logged with the trace.
        message = self.env["integration.message"].search(
            [("trace_id", "=", event.trace_id), ("endpoint", "=", "/customers")]
        )
        self.assertEqual(message.status, 200)
        self.assertEqual(message.endpoint, "/customers")
        lookup = next(c for c in self.sandbox.calls if c[0] == "/customers/77")
        self.assertIn(event.trace_id, lookup[1]["traceparent"])
        # ...and the channel was told which Odoo order its order became.
        self.assertIn((903001, {"odoo_reference": order.name}), self.sandbox.acknowledged)

    def test_duplicate_delivery_never_processed_twice(self):
        payload = self.order_payload(3002)
        self.post(payload, delivery="same")
        self.post(payload, delivery="same")
        self.run_jobs()
        orders = self.env["sale.order"].search([("client_order_ref", "=", "#3002")])
        self.assertEqual(len(orders), 1)
        # Delivered again under a new delivery id (same order): the binding holds.
        self.post(payload, delivery="other")
        self.run_jobs()
        self.assertEqual(
            self.env["sale.order"].search_count([("client_order_ref", "=", "#3002")]), 1
        )

    def test_contract_violation_lists_paths(self):
        event = self.import_order(
            3003, name="3003", lines=[{"sku": "TC-RED", "qty": 0, "price": 1.0, "color": "red"}]
        )
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_id", "=", event.id), ("source_model", "=", "integration.event")]
        )
        self.assertEqual(exception.category, "contract")
        paths = {v["path"] for v in exception.violations}
        self.assertEqual(paths, {"$.name", "$.lines[0].qty", "$.lines[0].color"})
        self.assertEqual(exception.contract_version_id.contract_id.code, "test_channel.order")
        self.assertFalse(self.env["sale.order"].search([("client_order_ref", "=", "3003")]))

    def test_unknown_sku_becomes_catalog_exception_then_replays(self):
        lines = [{"sku": "TC-NEW", "qty": 1, "price": 60.0}]
        event = self.import_order(3004, lines=lines, total=64.5)
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )
        self.assertEqual(exception.category, "mapping")
        self.assertEqual(exception.team_id, self.env.ref("integration_governance.team_catalog"))
        self.assertEqual(exception.impact_amount, 64.5)
        self.assertIn("TC-NEW", exception.name)
        self.assertFalse(exception._replay(), "still unknown: replay fails and stays open")
        self.assertEqual(exception.state, "new")
        self.env["product.product"].create(
            {"name": "New", "default_code": "TC-NEW", "type": "consu"}
        )
        exception.action_replay()
        self.assertEqual(exception.state, "replayed")
        self.assertEqual(event.state, "done")
        order = self.env["sale.order"].browse(event.res_id)
        self.assertEqual(
            order.order_line.filtered(lambda line: not line.is_delivery).product_id.default_code,
            "TC-NEW",
        )

    def test_transient_failure_retried_with_backoff(self):
        self.sandbox.fail_next(1, status=503, retry_after=7)
        self.post(self.order_payload(3005))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903005")
        self.assertEqual(event.state, "received", "waiting for its retry")
        job = Job.load(self.env, event.job_uuid)
        self.assertEqual(job.retry, 1)
        self.assertEqual(job.state, "pending")
        self.assertTrue(job.eta, "postponed")
        self.run_jobs(include_future=True)
        self.assertEqual(event.state, "done", event.last_error)
        job = Job.load(self.env, event.job_uuid)
        self.assertEqual((job.state, job.retry), ("done", 2))
        self.assertEqual(len([c for c in self.sandbox.calls if c[0] == "/customers/77"]), 2)

    def test_retries_exhausted_become_dead_letter(self):
        self.sandbox.fail_next(50, status=503)
        self.post(self.order_payload(3006))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903006")
        job = self.env["queue.job"].search([("uuid", "=", event.job_uuid)])
        job.max_retries = 2
        self.run_jobs(include_future=True)
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )
        self.assertTrue(exception.name.startswith("Dead letter"))
        self.sandbox.failures.clear()

    def test_circuit_opens_and_closes(self):
        Circuit = self.env["integration.circuit"]
        self.sandbox.fail_next(3, status=503)
        client = self.backend._client()
        # Not assertRaises: it rolls back a savepoint, and with it the
        # breaker's own transaction, which tests share with the test cursor.
        failures = 0
        for _ in range(3):
            try:
                client.request("GET", "/customers/77", endpoint="/customers")
            except TransientError:
                failures += 1
        self.assertEqual(failures, 3)
        circuit = Circuit.search(
            [("backend_id", "=", self.backend.id), ("endpoint", "=", "/customers")]
        )
        self.assertEqual(circuit.state, "open")
        calls = len(self.sandbox.calls)
        try:
            client.request("GET", "/customers/77", endpoint="/customers")
        except CircuitOpenError as error:
            self.assertIn("circuit open", str(error))
        else:
            self.fail("the open circuit let a call through")
        self.assertEqual(len(self.sandbox.calls), calls, "nothing sent while open")
        # After the reset delay one probe goes through; its success closes it.
        self.env.cr.execute(
            "UPDATE integration_circuit SET opened_at = opened_at - 61 WHERE id = %s", [circuit.id]
        )
        response = client.request("GET", "/customers/77", endpoint="/customers")
        self.assertEqual(response.status_code, 200)
        circuit.invalidate_recordset()
        self.assertEqual((circuit.state, circuit.failures), ("closed", 0))

    def test_stale_update_ignored(self):
        newer = self.order_payload(3007, updated_at="2026-11-21T10:00:00Z")
        self.post(newer, delivery="newer")
        self.run_jobs()
        older = self.order_payload(3007, updated_at="2026-11-20T09:00:00Z", shipping=9.0)
        self.post(older, topic="orders/create", delivery="older")
        self.run_jobs()
        event = self.events().filtered(lambda e: e.dedup_key == "older")
        self.assertEqual(event.state, "ignored")
        steps = (
            self.env["integration.lineage"]
            .search([("trace_id", "=", event.trace_id)])
            .mapped("step")
        )
        self.assertIn("ignored", steps)

    def test_cancellation_cancels_unshipped_order(self):
        event = self.import_order(3008)
        order = self.env["sale.order"].browse(event.res_id)
        self.post(
            self.order_payload(
                3008, cancelled_at="2026-11-20T12:00:00Z", updated_at="2026-11-20T12:00:00Z"
            ),
            topic="orders/cancelled",
        )
        self.run_jobs()
        self.assertEqual(order.state, "cancel")


class TestOrderWorkflow(PipelineCase):
    def setUp(self):
        super().setUp()
        for product in self.products.values():
            product.invoice_policy = "order"

    def test_paid_order_is_invoiced_and_paid_when_configured(self):
        self.backend.auto_invoice = True
        self.post(self.order_payload(3101))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903101")
        self.assertEqual(event.state, "done", event.last_error)
        order = self.env["sale.order"].browse(event.res_id)
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertAlmostEqual(invoice.amount_total, order.amount_total)

    def test_pending_payment_leaves_a_quotation(self):
        self.post(self.order_payload(3102, financial_status="pending"))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903102")
        order = self.env["sale.order"].browse(event.res_id)
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.invoice_ids)

    def test_cancellation_after_shipping_raises_an_exception(self):
        self.post(self.order_payload(3103))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903103")
        order = self.env["sale.order"].browse(event.res_id)
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
        self.post(
            self.order_payload(
                3103, cancelled_at="2026-11-20T12:00:00Z", updated_at="2026-11-20T12:00:00Z"
            ),
            topic="orders/cancelled",
        )
        self.run_jobs()
        cancel = self.events().filtered(
            lambda e: e.external_id == "903103" and e.topic == "orders/cancelled"
        )
        self.assertEqual(cancel.state, "failed")
        self.assertEqual(order.state, "sale")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", cancel.id)]
        )
        self.assertEqual(exception.category, "business_rule")
        self.assertIn("has shipped", exception.name)
        self.assertEqual(exception.related_record, order)


class TestOutbound(PipelineCase):
    def test_changes_coalesce_into_one_job(self):
        for _change in range(5):
            self.backend._coalesce("_drain_inbox", flow="stock_out", delay=30)
        jobs = self.env["queue.job"].search(
            [("identity_key", "=", f"integration.backend:{self.backend.id}:stock_out:_drain_inbox")]
        )
        self.assertEqual(len(jobs), 1)
        self.assertTrue(jobs.eta, "a short delay gathers the burst")
        self.assertEqual(jobs.priority, 20, "the flow's priority")

    def test_changes_inside_coalescing_ask_for_the_job_once_when_it_ends(self):
        identity = f"integration.backend:{self.backend.id}:stock_out:_drain_inbox"
        Job = self.env["queue.job"]
        with self.backend._coalescing():
            for _change in range(5):
                self.assertIsNone(self.backend._coalesce("_drain_inbox", flow="stock_out"))
            self.assertFalse(Job.search([("identity_key", "=", identity)]), "not yet")
        self.assertEqual(len(Job.search([("identity_key", "=", identity)])), 1)

    def test_coalescing_that_raises_asks_for_nothing(self):
        identity = f"integration.backend:{self.backend.id}:stock_out:_drain_inbox"
        with self.assertRaises(ValueError), self.backend._coalescing():
            self.backend._coalesce("_drain_inbox", flow="stock_out")
            raise ValueError("the block failed")
        self.assertFalse(self.env["queue.job"].search([("identity_key", "=", identity)]))

    def test_flow_off_sends_nothing(self):
        self.backend.flow_ids.filtered(lambda f: f.flow == "catalog").mode = "off"
        self.assertIsNone(self.backend._coalesce("_drain_inbox", flow="catalog"))

    def test_outbound_message_replays_through_its_flow(self):
        client = self.backend.with_context(
            integration_replay=("integration.backend", self.backend.id, "_drain_inbox")
        )._client()
        client.request("GET", "/customers/77", endpoint="/customers")
        message = self.env["integration.message"].search(
            [("backend_id", "=", self.backend.id)], limit=1
        )
        self.assertEqual(message.replay_method, "_drain_inbox")
        exception = self.env["integration.exception"].raise_exception(
            "transport", "resend", system=self.backend.system_id, source=message
        )
        exception.action_replay()
        self.assertEqual(exception.state, "replayed")


class TestOrderUpdates(PipelineCase):
    def test_quantities_follow_the_channel_before_shipping(self):
        self.post(self.order_payload(3201))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "903201")
        order = self.env["sale.order"].browse(event.res_id)
        lines = [
            {"sku": "TC-RED", "qty": 5, "price": 10.0},
            {"sku": "TC-GREEN", "qty": 1, "price": 20.0},
        ]
        self.post(
            self.order_payload(3201, lines=lines, updated_at="2026-11-20T11:00:00Z"),
            topic="orders/updated",
        )
        self.run_jobs()
        quantities = {
            line.product_id.default_code: line.product_uom_qty
            for line in order.order_line.filtered(lambda line: not line.is_delivery)
        }
        self.assertEqual(quantities, {"TC-RED": 5, "TC-BLUE": 0, "TC-GREEN": 1})
        moves = order.picking_ids.move_ids.filtered(lambda m: m.state != "cancel")
        self.assertEqual(
            sum(
                moves.filtered(lambda m: m.product_id.default_code == "TC-RED").mapped(
                    "product_uom_qty"
                )
            ),
            5,
            "the delivery follows the order",
        )


class TestBackendHealth(PipelineCase):
    def test_degraded_backend_slows_low_priority_flows(self):
        catalog = self.backend.flow_ids.filtered(lambda f: f.flow == "catalog")
        orders = self.backend.flow_ids.filtered(lambda f: f.flow == "orders_in")
        self.assertNotIn("eta", catalog._job_options())
        self.backend.backlog_threshold = 0
        self.post(self.order_payload(3301))  # one event in the backlog
        self.backend.invalidate_recordset()
        self.assertTrue(self.backend.degraded)
        self.assertEqual(catalog._job_options()["eta"], catalog.degraded_delay_seconds)
        self.assertNotIn("eta", orders._job_options(), "orders keep flowing")

    def test_webhook_token_hidden_from_integration_users(self):
        from odoo.exceptions import AccessError
        from odoo.tests.common import new_test_user

        user = new_test_user(
            self.env, "hook_user", groups="integration_governance.group_integration_user"
        )
        backend = self.backend.with_user(user)
        self.assertEqual(backend.read(["name"])[0]["name"], "Test shop")
        for field in ("webhook_token", "webhook_url", "metrics_token"):
            with self.assertRaises(AccessError):
                backend.read([field])

    def test_throttle_follows_the_channel_rate_limit_headers(self):
        client = self.backend._client()
        for _call in range(4):
            client.request("GET", "/customers/77", endpoint="/customers")
        throttle = self.env["integration.throttle"].search([("backend_id", "=", self.backend.id)])
        # The sandbox reported 4 of 40 calls used: a tenth of our bucket.
        self.assertAlmostEqual(throttle.level, self.backend.rate_capacity * 4 / 40, places=3)

    def test_a_long_wait_for_the_bucket_retries_the_job_instead_of_sleeping(self):
        # The bucket is full and refills at a call every five seconds: the
        # next call must wait about that long.
        self.backend.write({"rate_capacity": 10, "rate_per_second": 0.2})
        self.env["integration.throttle"]._observe(self.backend, 10, 10)
        in_job = self.backend.with_context(job_uuid="a-job")
        started = fields.Datetime.now()
        with self.assertRaises(ThrottledError) as caught:
            in_job._client().request("GET", "/customers/77", endpoint="/customers")
        self.assertGreater(caught.exception.retry_after, 1.0)
        self.assertLess((fields.Datetime.now() - started).total_seconds(), 2, "nobody slept")
        # A short pacing wait is taken in place, in a job or not.
        in_job._pace(0.01)

    def test_message_excerpts_masked_by_contract_classification(self):
        client = self.backend.with_context(integration_contract="canonical.customer")._client()
        client.request(
            "POST",
            "/orders/1/acknowledge",
            json={"external_id": "C-1", "email": "ann@example.com", "tags": ["vip"]},
            endpoint="/orders/acknowledge",
        )
        message = self.env["integration.message"].search(
            [("backend_id", "=", self.backend.id)], limit=1
        )
        self.assertNotIn("ann@example.com", message.request_excerpt)
        self.assertIn('"email": "***"', message.request_excerpt)
        self.assertIn("C-1", message.request_excerpt)


class TestFlowPolicy(PipelineCase):
    def drain_job(self):
        return self.env["queue.job"].search([("identity_key", "=", self.backend._drain_identity())])

    def test_batch_flow_processes_the_inbox_every_n_minutes(self):
        flow = self.backend.flow_ids.filtered(lambda f: f.flow == "orders_in")
        flow.write({"mode": "batch", "batch_minutes": 15})
        self.env.flush_all()
        self.post(self.order_payload(3401))
        job = self.drain_job()
        self.assertEqual(len(job), 1)
        delay = (job.eta - fields.Datetime.now()).total_seconds()
        self.assertGreater(delay, 14 * 60)

    def test_flow_off_keeps_events_in_the_inbox(self):
        flow = self.backend.flow_ids.filtered(lambda f: f.flow == "orders_in")
        flow.mode = "off"
        self.env.flush_all()
        self.assertEqual(self.post(self.order_payload(3402)).status_code, 200)
        self.assertFalse(self.drain_job())
        self.assertEqual(
            self.events().filtered(lambda e: e.external_id == "903402").state, "received"
        )
