import time
from datetime import timezone

from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from .common import PipelineCase

TOKEN = "metrics-secret"


class TestMetrics(PipelineCase):
    def setUp(self):
        super().setUp()
        self.backend.metrics_token = TOKEN
        self.env.flush_all()

    def scrape(self, token=TOKEN, authorization=None):
        self.env.flush_all()
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.url_open("/integration/metrics", headers=headers)

    def families(self, token=TOKEN):
        response = self.scrape(token)
        self.assertEqual(response.status_code, 200, response.text)
        return {f.name: f for f in text_string_to_metric_families(response.text)}

    def values(self, families, name, **labels):
        return [
            sample.value
            for sample in families[name].samples
            if all(sample.labels.get(key) == value for key, value in labels.items())
        ]

    def value(self, families, name, **labels):
        values = self.values(families, name, **labels)
        self.assertEqual(len(values), 1, f"one {name} sample for {labels}: {values}")
        return values[0]

    def test_requires_a_backend_metrics_token(self):
        for response in (
            self.scrape(token=None),
            self.scrape(token="wrong"),
            self.scrape(authorization="Basic bWV0cmljcy1zZWNyZXQ="),
            self.scrape(authorization=TOKEN),
            self.scrape(authorization="Bearer "),
        ):
            self.assertEqual(response.status_code, 401)
            self.assertTrue(response.headers.get("WWW-Authenticate", "").startswith("Bearer"))
            self.assertNotIn("integration_events", response.text)
        # No backend has a token at all: nothing opens the route.
        self.backend.metrics_token = False
        self.env.flush_all()
        self.assertEqual(self.scrape().status_code, 401)

    def test_openmetrics_of_an_imported_order(self):
        response = self.scrape()
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            response.headers["Content-Type"].startswith("application/openmetrics-text"),
            response.headers["Content-Type"],
        )
        self.assertEqual(response.headers["Content-Type"], CONTENT_TYPE_LATEST)
        self.assertTrue(response.text.endswith("# EOF\n"))

        self.assertEqual(self.post(self.order_payload(4001)).status_code, 200)
        self.run_jobs()
        Event = self.env["integration.event"]
        done = Event.search_count([("backend_id", "=", self.backend.id), ("state", "=", "done")])
        self.assertGreaterEqual(done, 1)
        families = self.families()
        self.assertEqual(families["integration_events"].type, "gauge")
        self.assertEqual(
            self.value(families, "integration_events", backend="test_shop", state="done"), done
        )
        for state in ("received", "processing", "failed", "ignored"):
            expected = Event.search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", state)]
            )
            self.assertEqual(
                self.value(families, "integration_events", backend="test_shop", state=state),
                expected,
            )
        backlog = Event.search_count(
            [("backend_id", "=", self.backend.id), ("state", "in", ("received", "processing"))]
        )
        self.assertEqual(self.value(families, "integration_backlog", backend="test_shop"), backlog)
        latency = self.value(families, "integration_job_latency_seconds", backend="test_shop")
        self.assertGreater(latency, -1.0)
        # The import called the channel's API: the calls are counted by status class.
        messages = self.env["integration.message"].search_count(
            [("backend_id", "=", self.backend.id), ("status", ">=", 200), ("status", "<", 300)]
        )
        self.assertGreaterEqual(messages, 1)
        self.assertEqual(families["integration_outbound_calls"].type, "counter")
        self.assertEqual(
            self.value(families, "integration_outbound_calls", backend="test_shop", status="2xx"),
            messages,
        )
        flow = self.backend.flow_ids.filtered(lambda f: f.flow == "orders_in")
        self.assertTrue(flow.last_success_at)
        self.assertEqual(
            self.value(
                families,
                "integration_flow_last_success_timestamp_seconds",
                backend="test_shop",
                flow="orders_in",
            ),
            flow.last_success_at.replace(tzinfo=timezone.utc).timestamp(),
        )

    def test_open_exceptions_by_severity(self):
        self.post(self.order_payload(4002, name="bad"))
        self.run_jobs()
        event = self.events().filtered(lambda e: e.external_id == "904002")
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )
        self.assertEqual(exception.category, "contract")
        expected = dict(
            self.env["integration.exception"]._read_group(
                [
                    ("system_id", "=", self.backend.system_id.id),
                    ("state", "in", ("new", "in_progress")),
                ],
                ["severity"],
                ["__count"],
            )
        )
        families = self.families()
        self.assertGreaterEqual(
            self.value(
                families,
                "integration_open_exceptions",
                backend="test_shop",
                severity=exception.severity,
            ),
            1,
        )
        for severity in ("low", "medium", "high", "critical"):
            self.assertEqual(
                self.value(
                    families, "integration_open_exceptions", backend="test_shop", severity=severity
                ),
                expected.get(severity, 0),
            )
        self.assertEqual(
            self.value(families, "integration_events", backend="test_shop", state="failed"),
            self.env["integration.event"].search_count(
                [("backend_id", "=", self.backend.id), ("state", "=", "failed")]
            ),
        )
        # Resolved, it no longer counts.
        exception.sudo().state = "resolved"
        families = self.families()
        self.assertEqual(
            self.value(
                families,
                "integration_open_exceptions",
                backend="test_shop",
                severity=exception.severity,
            ),
            expected[exception.severity] - 1,
        )

    def test_circuit_state_gauge(self):
        Circuit = self.env["integration.circuit"]
        for endpoint, state in (
            ("/metrics-closed", "closed"),
            ("/metrics-half", "half_open"),
            ("/metrics-open", "open"),
        ):
            Circuit.create(
                {
                    "backend_id": self.backend.id,
                    "endpoint": endpoint,
                    "state": state,
                    "opened_at": time.time() if state != "closed" else 0.0,
                }
            )
        families = self.families()
        expected = {"/metrics-closed": 0, "/metrics-half": 1, "/metrics-open": 2}
        for endpoint, value in expected.items():
            self.assertEqual(
                self.value(
                    families, "integration_circuit_state", backend="test_shop", endpoint=endpoint
                ),
                value,
            )

    def test_a_token_exposes_its_own_backends_only(self):
        other = self.env["integration.backend"].create(
            {
                "name": "Other shop",
                "code": "other_shop",
                "channel_type": "test_channel",
                "metrics_token": "other-secret",
            }
        )
        mine = self.families()
        backends = {s.labels["backend"] for f in mine.values() for s in f.samples}
        self.assertEqual(backends, {"test_shop"})
        theirs = self.families("other-secret")
        backends = {s.labels["backend"] for f in theirs.values() for s in f.samples}
        self.assertEqual(backends, {"other_shop"})
        self.assertEqual(
            self.value(theirs, "integration_events", backend="other_shop", state="done"), 0
        )
        # One token shared by two backends exposes both.
        other.metrics_token = TOKEN
        both = self.families()
        backends = {s.labels["backend"] for f in both.values() for s in f.samples}
        self.assertEqual(backends, {"test_shop", "other_shop"})
