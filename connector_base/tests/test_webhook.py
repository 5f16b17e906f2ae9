import json
from unittest.mock import patch

from .common import PipelineCase


class TestWebhookIntake(PipelineCase):
    def test_accepted_then_duplicate_stored_once(self):
        payload = self.order_payload(2001)
        first = self.post(payload, delivery="dup-1")
        self.assertEqual(first.status_code, 200)
        self.assertEqual(first.json()["status"], "accepted")
        again = self.post(payload, delivery="dup-1")
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["status"], "duplicate")
        events = self.events().filtered(lambda e: e.dedup_key == "dup-1")
        self.assertEqual(len(events), 1)
        self.assertEqual(events.state, "received")
        self.assertEqual(events.payload["name"], "#2001")
        self.assertRegex(events.trace_id, "^[0-9a-f]{32}$")
        drain = self.env["queue.job"].search(
            [("identity_key", "=", self.backend._drain_identity())]
        )
        self.assertEqual(len(drain), 1, "one drain job, whatever the number of deliveries")

    def test_a_delivery_reads_the_backend_in_the_routes_own_statement(self):
        # The first delivery makes the drain job; the next one is the steady state.
        self.assertEqual(self.post(self.order_payload(2020)).status_code, 200)
        token = self.backend.sudo().webhook_token
        with self.assertLogs("odoo.sql_db", level="DEBUG") as logged:
            response = self.post(self.order_payload(2021), token=token)
        self.assertEqual(response.json()["status"], "accepted")
        fetches = [
            line
            for line in logged.output
            if 'FROM "integration_backend"' in line or 'FROM "integration_system"' in line
        ]
        self.assertEqual(fetches, [], "the hooks' columns come with the route's SELECT")
        self.assertFalse(
            [line for line in logged.output if "webhook_token =" in line],
            "the backend's row is cached after the first delivery: no SELECT at all",
        )
        event = self.events().filtered(lambda e: e.external_id == "902021")
        self.assertEqual(
            event.trace_id,
            self.backend._event_trace_id({"topic": event.topic, "external_id": "902021"}),
            "the trace id from the route's columns is the one the ORM derives",
        )

    def test_a_column_listed_by_mistake_does_not_break_the_route(self):
        Backend = type(self.env["integration.backend"])
        listed = Backend._webhook_fields

        def with_mistakes(backend):
            # A computed field, a field that does not exist, and a repeat.
            return listed(backend) + ["job_channel", "no_such_field", "state"]

        with patch.object(Backend, "_webhook_fields", with_mistakes):
            response = self.post(self.order_payload(2030))
        self.assertEqual(response.json()["status"], "accepted")
        self.assertEqual(len(self.events().filtered(lambda e: e.external_id == "902030")), 1)

    def test_bad_signature_is_401_and_stores_nothing(self):
        before = len(self.events())
        response = self.post(self.order_payload(2002), secret="not-the-secret")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(len(self.events()), before)

    def test_a_changed_secret_is_read_anew_after_a_delivery(self):
        # The route reads the backend's ciphertexts with the backend; a secret
        # changed afterwards in the same transaction must not be verified
        # against the remembered one.
        self.assertEqual(self.post(self.order_payload(2010)).status_code, 200)
        self.env["integration.credential"]._store_secret(
            self.backend, "webhook_secret", "a-new-secret"
        )
        self.assertEqual(
            self.env["integration.backend"].browse(self.backend.id)._get_secret("webhook_secret"),
            "a-new-secret",
        )
        self.assertEqual(self.post(self.order_payload(2011)).status_code, 401)
        self.assertEqual(
            self.post(self.order_payload(2012), secret="a-new-secret").status_code, 200
        )

    def test_unknown_or_disabled_backend_is_404(self):
        self.assertEqual(self.post(self.order_payload(2003), token="nope").status_code, 404)
        self.backend.state = "disabled"
        self.env.flush_all()
        self.assertEqual(self.post(self.order_payload(2003)).status_code, 404)

    def test_the_cached_backend_follows_its_token_state_and_system(self):
        """What the route caches per token is dropped whenever it changes."""
        old_token = self.backend.sudo().webhook_token
        self.assertEqual(self.post(self.order_payload(2040)).status_code, 200)
        self.backend.action_regenerate_webhook_token()
        self.env.flush_all()
        self.assertEqual(self.post(self.order_payload(2041), token=old_token).status_code, 404)
        self.assertEqual(self.post(self.order_payload(2042)).status_code, 200)
        self.backend.system_id.code = "renamed_system"
        self.env.flush_all()
        self.assertEqual(self.post(self.order_payload(2043)).status_code, 200)
        event = self.events().filtered(lambda e: e.external_id == "902043")
        self.assertEqual(
            event.trace_id,
            self.backend._event_trace_id({"topic": event.topic, "external_id": "902043"}),
            "the trace id derives from the system's new code",
        )
        self.backend.state = "disabled"
        self.env.flush_all()
        self.assertEqual(self.post(self.order_payload(2044)).status_code, 404)

    def test_oversized_body_is_413(self):
        self.backend.max_payload_kb = 1
        self.env.flush_all()
        payload = self.order_payload(2004, lines=[{"sku": "TC-RED", "qty": 1, "price": 1.0}] * 60)
        self.assertGreater(len(json.dumps(payload)), 1024)
        self.assertEqual(self.post(payload).status_code, 413)

    def test_unparseable_body_is_400(self):
        response = self.post(None, body=b"{not json")
        self.assertEqual(response.status_code, 400)

    def test_paused_backend_stores_but_does_not_drain(self):
        self.backend.state = "paused"
        self.env.flush_all()
        response = self.post(self.order_payload(2005), delivery="paused-1")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.events().filtered(lambda e: e.dedup_key == "paused-1"))
        self.assertFalse(
            self.env["queue.job"].search([("identity_key", "=", self.backend._drain_identity())])
        )

    def test_drain_hands_every_event_to_the_queue_in_batches(self):
        for number in range(7):
            self.post(self.order_payload(2100 + number))
        received = self.events().filtered(lambda e: e.state == "received")
        self.assertEqual(len(received), 7)
        self.backend._drain_inbox(batch_size=3)
        received.invalidate_recordset()
        self.assertTrue(all(received.mapped("job_uuid")))
        jobs = self.env["queue.job"].search([("uuid", "in", received.mapped("job_uuid"))])
        # Drained 3 at a time: two micro-batches of 3 and the last event alone.
        self.assertEqual(len(jobs), 3)
        self.assertEqual(
            sorted(jobs.mapped("method_name")), ["_process", "_process_batch", "_process_batch"]
        )
        covered = [event_id for job in jobs for event_id in job.records.ids]
        self.assertEqual(sorted(covered), sorted(received.ids), "every event once, none twice")
