"""Nothing fails silently: every event ends done, or as an exception someone owns."""

from datetime import timedelta

from odoo import fields
from odoo.addons.queue_job.job import Job
from odoo.tools import html2plaintext, mute_logger

from .common import PipelineCase


class TestNothingLost(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The channel's API answers a customer without its email: a KeyError in
        # the channel's mapper, an error nobody classified.
        cls.sandbox.customers[88] = {"id": 88, "first_name": "No", "last_name": "Mail"}

    def exceptions_of(self, event):
        return self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )

    def event_of(self, number):
        return self.events().filtered(lambda e: e.external_id == str(900000 + number))

    # The pipeline logs the unexpected error with its traceback, on purpose.
    @mute_logger("odoo.addons.connector_base.models.integration_event")
    def test_unexpected_error_is_retried_then_a_dead_letter_someone_owns(self):
        self.post(self.order_payload(4001, customer_id=88))
        self.run_jobs()
        event = self.event_of(4001)
        job = Job.load(self.env, event.job_uuid)
        self.assertEqual(job.state, "pending", "an unexpected error is tried again first")
        self.assertEqual(event.state, "received")
        self.assertIn("KeyError", job.result)
        self.run_jobs(include_future=True)
        self.assertEqual(event.state, "failed")
        self.assertEqual(Job.load(self.env, event.job_uuid).state, "done", "no failed job")
        exception = self.exceptions_of(event)
        self.assertEqual(len(exception), 1)
        self.assertTrue(exception.name.startswith("Dead letter"))
        self.assertEqual(exception.category, "internal")
        self.assertTrue(exception.team_id, "a dead letter has an owner team")
        self.assertEqual(Job.load(self.env, event.job_uuid).retry, 3, "three tries in all")
        self.assertIn("KeyError", exception.message)
        # Replayable once the channel answers properly.
        self.sandbox.customers[88]["email"] = "no.mail@example.com"
        exception.action_replay()
        self.assertEqual(exception.state, "replayed")
        self.assertEqual(event.state, "done")

    def test_redelivery_of_a_failed_event_processes_it_again(self):
        lines = [{"sku": "TC-LATE", "qty": 1, "price": 60.0}]
        payload = self.order_payload(4002, lines=lines)
        self.post(payload, delivery="late-sku")
        self.run_jobs()
        event = self.event_of(4002)
        self.assertEqual(event.state, "failed")
        exception = self.exceptions_of(event)
        self.assertEqual(exception.category, "mapping")
        self.env["product.product"].create(
            {"name": "Late", "default_code": "TC-LATE", "type": "consu"}
        )
        # The channel delivers the same event again: not folded away as a duplicate.
        response = self.post(payload, delivery="late-sku")
        self.assertEqual(response.json()["status"], "accepted")
        self.assertEqual(len(self.event_of(4002)), 1, "still stored once")
        event.invalidate_recordset()
        self.assertEqual(event.state, "received")
        self.run_jobs()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.env["sale.order"].browse(event.res_id).client_order_ref, "#4002")
        self.assertEqual(exception.state, "resolved", "the event's own exception is over")
        # A done event delivered again is a duplicate, and stays done.
        self.assertEqual(self.post(payload, delivery="late-sku").json()["status"], "duplicate")

    def test_sweep_hands_events_without_a_live_job_to_the_queue_again(self):
        self.post(self.order_payload(4003))
        self.run_jobs(max_rounds=1)  # the drain job enqueues the event's job
        event = self.event_of(4003)
        self.assertTrue(event.job_uuid)
        # Its job is lost (a killed worker, a database restored from before it).
        self.env["queue.job"].search([("uuid", "=", event.job_uuid)]).unlink()
        event.write({"state": "processing"})
        event.flush_recordset()
        self.env.cr.execute(
            "UPDATE integration_event SET write_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(hours=1), event.id],
        )
        event.invalidate_recordset()
        revived, _reported = self.env["integration.job.sweep"]._cron_sweep()
        self.assertGreaterEqual(revived, 1)
        event.invalidate_recordset()
        self.assertEqual((event.state, event.job_uuid), ("received", False))
        self.run_jobs()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(
            self.env["sale.order"].search_count([("client_order_ref", "=", "#4003")]), 1
        )

    def test_failed_connector_job_becomes_a_dead_letter_exception(self):
        job = self.backend.with_delay(channel=self.backend.job_channel)._drain_inbox()
        record = job.db_record()
        record.write({"state": "failed", "exc_name": "ValueError", "exc_message": "boom"})
        _revived, reported = self.env["integration.job.sweep"]._cron_sweep()
        self.assertGreaterEqual(reported, 1)
        exception = self.env["integration.exception"].search([("job_uuid", "=", job.uuid)])
        self.assertEqual(len(exception), 1)
        self.assertIn("boom", exception.message)
        self.assertEqual(exception.system_id, self.backend.system_id)
        # Reported once.
        self.env["integration.job.sweep"]._cron_sweep()
        self.assertEqual(
            self.env["integration.exception"].search_count([("job_uuid", "=", job.uuid)]), 1
        )

    def test_delivery_without_topic_is_an_exception_not_done(self):
        Event = self.env["integration.event"]
        event = Event.browse(
            Event._insert_received(
                self.backend, {"dedup_key": "no-topic-1"}, self.order_payload(4004), {}
            )
        )
        event._enqueue()
        self.run_jobs()
        self.assertEqual(event.state, "failed")
        self.assertEqual(self.exceptions_of(event).category, "contract")
        self.assertFalse(self.env["sale.order"].search([("client_order_ref", "=", "#4004")]))

    def test_customer_note_is_kept_as_text(self):
        note = "Ring twice <b>not</b> once & leave\nat the door"
        doc_values = self.env["integration.canonical.importer"]._order_values(
            self.backend,
            {
                "name": "#4005",
                "created_at": "2026-11-20T10:00:00Z",
                "currency": self.env.company.currency_id.name,
                "note": note,
            },
            self.env["res.partner"].create({"name": "Note buyer"}),
        )
        order = self.env["sale.order"].create(doc_values)
        self.assertIn("&lt;b&gt;not&lt;/b&gt;", str(order.note))
        self.assertIn("Ring twice <b>not</b> once & leave", html2plaintext(order.note))

    def test_job_failing_outside_the_pipeline_ends_as_a_dead_letter(self):
        self.post(self.order_payload(4006))
        self.run_jobs(max_rounds=1)
        event = self.event_of(4006)
        job = Job.load(self.env, event.job_uuid)
        # queue_job calls this hook when it gives a job up (its retries spent).
        self.assertEqual(job.on_fail_method_name, "_on_job_failed")
        job.on_fail({"exc_name": "FailedJobError", "exc_message": "Max. retries (5) reached"})
        self.assertEqual(event.state, "failed")
        exception = self.exceptions_of(event)
        self.assertTrue(exception.name.startswith("Dead letter"))
        self.assertIn("Max. retries", exception.message)

    def test_older_create_after_newer_update_never_undoes_it(self):
        # The chaos run's case: the update was applied, then the create's retry ran.
        newer = self.order_payload(
            4007,
            updated_at="2026-11-21T10:00:00Z",
            lines=[{"sku": "TC-RED", "qty": 4, "price": 10.0}],
        )
        self.post(newer, topic="orders/updated", delivery="updated")
        self.run_jobs()
        older = self.order_payload(
            4007,
            updated_at="2026-11-20T10:00:00Z",
            lines=[{"sku": "TC-RED", "qty": 3, "price": 10.0}],
        )
        self.post(older, topic="orders/create", delivery="create")
        self.run_jobs()
        create = self.events().filtered(lambda e: e.dedup_key == "create")
        self.assertEqual(create.state, "ignored")
        order = self.env["sale.order"].search([("client_order_ref", "=", "#4007")])
        self.assertEqual(len(order), 1)
        line = order.order_line.filtered(lambda line: not line.is_delivery)
        self.assertEqual(line.product_uom_qty, 4)

    def test_backend_job_given_up_by_queue_job_is_a_dead_letter_at_once(self):
        job = self.backend.with_delay(channel=self.backend.job_channel)._reconcile_orders()
        self.assertEqual(job.on_fail_method_name, "_on_job_failed")
        failure = {"exc_name": "FailedJobError", "exc_message": "Max. retries (5) reached: 502"}
        job.set_failed(exc_info="Traceback ...", **failure)
        job.store()
        job.on_fail(failure)
        exception = self.env["integration.exception"].search([("job_uuid", "=", job.uuid)])
        self.assertEqual(len(exception), 1)
        self.assertIn("Max. retries", exception.message)
        self.assertEqual(exception.system_id, self.backend.system_id)
