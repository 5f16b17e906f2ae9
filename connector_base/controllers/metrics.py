"""OpenMetrics exposition of the integration pipeline's health.

``GET /integration/metrics`` with ``Authorization: Bearer <token>``: the token
is the ``metrics_token`` of one or more backends, and the answer covers those
backends only. Each metric family is one SQL query (a GROUP BY where rows must
be counted); the rendering is a plain function of the rows, kept apart from
the SQL so it can be checked without a database.
"""

import hmac
import logging

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)

# Series that always appear (at 0) for every exposed backend, so that an alert
# on "> 0" needs no absent(). Values found in the database but not listed here
# are exposed too.
EVENT_STATES = ("received", "processing", "done", "failed", "ignored")
BACKLOG_STATES = ("received", "processing")
STATUS_CLASSES = ("2xx", "4xx", "5xx", "none")
SEVERITIES = ("low", "medium", "high", "critical")
OPEN_EXCEPTION_STATES = ("new", "in_progress")
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
LATENCY_WINDOW = "1 hour"


# ------------------------------------------------------------------ SQL
def _collect(env, backend_ids):
    """The rows of every metric family for ``backend_ids``: one query each.

    Returns plain tuples (no records), keyed by family::

        backends:   {backend_id: code}
        events:     [(backend_id, state, count)]
        latency:    [(backend_id, average seconds)]
        outbound:   [(backend_id, status class, count)]
        circuits:   [(backend_id, endpoint, state)]
        exceptions: [(backend_id, severity, count)]
        flows:      [(backend_id, flow, last success as epoch seconds)]
    """
    ids = list(backend_ids)
    cr = env.cr
    rows = {}

    cr.execute("SELECT id, code FROM integration_backend WHERE id = ANY(%s)", [ids])
    rows["backends"] = dict(cr.fetchall())

    cr.execute(
        """
        SELECT backend_id, state, count(*)
          FROM integration_event
         WHERE backend_id = ANY(%s)
      GROUP BY backend_id, state
        """,
        [ids],
    )
    rows["events"] = cr.fetchall()

    cr.execute(
        """
        SELECT backend_id, avg(EXTRACT(EPOCH FROM processed_at - received_at))
          FROM integration_event
         WHERE backend_id = ANY(%s)
           AND state = 'done'
           AND received_at IS NOT NULL
           AND processed_at >= (now() AT TIME ZONE 'UTC') - %s::interval
      GROUP BY backend_id
        """,
        [ids, LATENCY_WINDOW],
    )
    rows["latency"] = cr.fetchall()

    cr.execute(
        """
        SELECT backend_id,
               CASE WHEN status BETWEEN 100 AND 599 THEN (status / 100)::text || 'xx'
                    ELSE 'none' END AS status_class,
               count(*)
          FROM integration_message
         WHERE backend_id = ANY(%s)
      GROUP BY 1, 2
        """,
        [ids],
    )
    rows["outbound"] = cr.fetchall()

    cr.execute(
        "SELECT backend_id, endpoint, state FROM integration_circuit WHERE backend_id = ANY(%s)",
        [ids],
    )
    rows["circuits"] = cr.fetchall()

    cr.execute(
        """
        SELECT b.id, e.severity, count(*)
          FROM integration_exception e
          JOIN integration_backend b ON b.system_id = e.system_id
         WHERE b.id = ANY(%s)
           AND e.state IN %s
      GROUP BY b.id, e.severity
        """,
        [ids, OPEN_EXCEPTION_STATES],
    )
    rows["exceptions"] = cr.fetchall()

    cr.execute(
        """
        SELECT backend_id, flow, EXTRACT(EPOCH FROM last_success_at)
          FROM integration_backend_flow
         WHERE backend_id = ANY(%s)
           AND last_success_at IS NOT NULL
        """,
        [ids],
    )
    rows["flows"] = cr.fetchall()
    return rows


# ------------------------------------------------------------ rendering
def _families(rows):
    """Metric families of the rows returned by ``_collect``."""
    backends = rows.get("backends", {})

    def code(backend_id):
        return backends.get(backend_id) or str(backend_id)

    def counts(key, labels_default):
        """{(backend_id, label): count}, zero-filled with ``labels_default``."""
        values = {(backend_id, label): 0 for backend_id in backends for label in labels_default}
        for backend_id, label, count in rows.get(key, ()):
            item = (backend_id, label or "none")
            values[item] = values.get(item, 0) + count
        return sorted(values.items(), key=lambda item: (code(item[0][0]), item[0][1]))

    events = GaugeMetricFamily(
        "integration_events",
        "Inbound events in the inbox, by state.",
        labels=["backend", "state"],
    )
    backlog = dict.fromkeys(backends, 0)
    for (backend_id, state), count in counts("events", EVENT_STATES):
        events.add_metric([code(backend_id), state], count)
        if state in BACKLOG_STATES:
            backlog[backend_id] = backlog.get(backend_id, 0) + count
    yield events

    backlog_family = GaugeMetricFamily(
        "integration_backlog",
        "Inbound events waiting: received or processing.",
        labels=["backend"],
    )
    for backend_id, count in sorted(backlog.items(), key=lambda item: code(item[0])):
        backlog_family.add_metric([code(backend_id)], count)
    yield backlog_family

    latency = GaugeMetricFamily(
        "integration_job_latency_seconds",
        f"Average time from receipt to done of the events done in the last {LATENCY_WINDOW}.",
        labels=["backend"],
        unit="seconds",
    )
    for backend_id, seconds in sorted(rows.get("latency", ()), key=lambda r: code(r[0])):
        if seconds is not None:
            latency.add_metric([code(backend_id)], float(seconds))
    yield latency

    outbound = CounterMetricFamily(
        "integration_outbound_calls",
        "Calls made to the channels' APIs (outbound message log), by HTTP status class.",
        labels=["backend", "status"],
    )
    for (backend_id, status), count in counts("outbound", STATUS_CLASSES):
        outbound.add_metric([code(backend_id), status], count)
    yield outbound

    circuits = GaugeMetricFamily(
        "integration_circuit_state",
        "Circuit breaker per endpoint: 0 closed, 1 half open, 2 open.",
        labels=["backend", "endpoint"],
    )
    for backend_id, endpoint, state in sorted(
        rows.get("circuits", ()), key=lambda r: (code(r[0]), r[1] or "")
    ):
        circuits.add_metric([code(backend_id), endpoint or ""], CIRCUIT_VALUES.get(state, 0))
    yield circuits

    exceptions = GaugeMetricFamily(
        "integration_open_exceptions",
        "Open (new or in progress) integration exceptions of the backend's system.",
        labels=["backend", "severity"],
    )
    for (backend_id, severity), count in counts("exceptions", SEVERITIES):
        exceptions.add_metric([code(backend_id), severity], count)
    yield exceptions

    flows = GaugeMetricFamily(
        "integration_flow_last_success_timestamp_seconds",
        "When the flow last succeeded (Unix time).",
        labels=["backend", "flow"],
        unit="seconds",
    )
    for backend_id, flow, epoch in sorted(rows.get("flows", ()), key=lambda r: (code(r[0]), r[1])):
        if epoch is not None:
            flows.add_metric([code(backend_id), flow], float(epoch))
    yield flows


class _RowsCollector:
    """A prometheus_client collector over rows already read from the database."""

    def __init__(self, rows):
        self.rows = rows

    def collect(self):
        yield from _families(self.rows)


def render(rows):
    """The OpenMetrics text (bytes) of the rows returned by ``_collect``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_RowsCollector(rows))
    return generate_latest(registry)


# ----------------------------------------------------------------- auth
def _bearer_token(headers):
    scheme, _sep, token = (headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def _matching_backend_ids(env, token):
    """Ids of the backends whose metrics token is ``token`` (constant-time compare)."""
    if not token:
        return []
    given = token.encode()
    backends = (
        env["integration.backend"]
        .sudo()
        .search_fetch([("metrics_token", "!=", False)], ["metrics_token"])
    )
    # Compare against every token, matching or not: no early exit.
    return [
        backend.id
        for backend in backends
        if hmac.compare_digest(given, (backend.metrics_token or "").encode())
    ]


def _unauthorized(error=None):
    challenge = 'Bearer realm="integration-metrics"'
    if error:
        challenge += f', error="{error}"'
    return request.make_response(
        "Unauthorized\n",
        headers=[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("WWW-Authenticate", challenge),
            ("Cache-Control", "no-store"),
        ],
        status=401,
    )


class IntegrationMetrics(http.Controller):
    @http.route(
        "/integration/metrics",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def metrics(self, **_kwargs):
        token = _bearer_token(request.httprequest.headers)
        if not token:
            return _unauthorized()
        env = request.env(su=True)
        backend_ids = _matching_backend_ids(env, token)
        if not backend_ids:
            _logger.debug(
                "integration metrics: rejected token from %s", request.httprequest.remote_addr
            )
            return _unauthorized("invalid_token")
        body = render(_collect(env, backend_ids))
        return request.make_response(
            body,
            headers=[("Content-Type", CONTENT_TYPE_LATEST), ("Cache-Control", "no-store")],
        )
