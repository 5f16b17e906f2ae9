"""HttpClient against a real local HTTP server."""

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from odoo.addons.connector_base.lib import retry
from odoo.addons.connector_base.lib.http_client import CallRecord, HttpClient

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")


class Handler(BaseHTTPRequestHandler):
    """Scripted endpoints; every request's path, headers and body are recorded."""

    routes = {
        "/ok": (200, {}, None),
        "/throttled": (429, {"Retry-After": "7"}, b'{"errors":"Exceeded 2 calls per second"}'),
        "/unavailable": (503, {"Retry-After": "2"}, b"maintenance"),
        "/unauthorized": (401, {}, b'{"errors":"[API] Invalid API key"}'),
        "/missing": (404, {}, b'{"errors":"Not Found"}'),
        "/big": (200, {}, b"x" * 5000),
    }

    def log_message(self, *args):
        """Keep pytest output clean."""

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, dict(self.headers), body))
        path = self.path.split("?")[0]
        if path == "/slow":
            time.sleep(1.0)
        status, headers, payload = self.routes.get(path, (200, {}, None))
        if payload is None:
            payload = json.dumps(
                {"path": self.path, "traceparent": self.headers.get("traceparent")}
            ).encode()
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # pylint: disable=except-pass
            pass  # the client timed out and went away

    do_GET = do_POST = do_PUT = _handle


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def records():
    return []


@pytest.fixture
def client(server, records):
    server.seen.clear()
    host, port = server.server_address
    return HttpClient(
        f"http://{host}:{port}/",
        timeout=(1.0, 0.3),
        headers={"X-Shopify-Access-Token": "shpat_x"},
        after_call=records.append,
    )


def test_ok_returns_response_and_propagates_traceparent(client, server, records):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = client.request("POST", "/ok?page=2", json={"a": 1}, trace_id=trace_id)
    assert response.status_code == 200
    method, path, headers, body = server.seen[-1]
    assert (method, path) == ("POST", "/ok?page=2")
    match = TRACEPARENT.match(headers["traceparent"])
    assert match and match.group(1) == trace_id
    assert headers["User-Agent"] == "odoo-integration-suite"
    assert headers["X-Shopify-Access-Token"] == "shpat_x"
    assert json.loads(body) == {"a": 1}
    assert response.json()["traceparent"] == headers["traceparent"]

    [record] = records
    assert isinstance(record, CallRecord)
    assert (record.method, record.endpoint, record.status, record.error) == (
        "POST",
        "/ok",
        200,
        None,
    )
    assert record.url.endswith("/ok?page=2")
    assert record.trace_id == trace_id and record.traceparent == headers["traceparent"]
    assert json.loads(record.request_body) == {"a": 1}
    assert "traceparent" in record.response_body
    assert isinstance(record.duration_ms, int) and record.duration_ms >= 0


def test_new_trace_and_span_ids_are_generated(client, server, records):
    client.request("GET", "/ok")
    client.request("GET", "/ok")
    first, second = (TRACEPARENT.match(seen[2]["traceparent"]) for seen in server.seen)
    assert first and second
    assert first.group(1) != second.group(1)
    assert records[0].trace_id == first.group(1)


def test_same_trace_different_spans(client, server):
    client.request("GET", "/ok", trace_id="4bf92f35-77b3-4da6-a3ce-929d0e0e4736")
    client.request("GET", "/ok", trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    first, second = (TRACEPARENT.match(seen[2]["traceparent"]) for seen in server.seen)
    assert first.group(1) == second.group(1) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert first.group(2) != second.group(2)


def test_429_raises_throttled_with_retry_after(client, records):
    with pytest.raises(retry.ThrottledError) as info:
        client.request("GET", "/throttled")
    assert info.value.retry_after == 7.0
    assert info.value.response.status_code == 429
    assert info.value.status == 429
    assert records[0].status == 429 and "429" in records[0].error
    assert "Exceeded" in records[0].response_body


def test_503_raises_transient(client, records):
    with pytest.raises(retry.TransientError) as info:
        client.request("GET", "/unavailable")
    assert type(info.value) is retry.TransientError
    assert info.value.retry_after == 2.0
    assert info.value.response.text == "maintenance"
    assert len(records) == 1


def test_401_raises_authentication(client, records):
    with pytest.raises(retry.AuthenticationError) as info:
        client.request("GET", "/unauthorized")
    assert info.value.kind == "authentication"
    assert info.value.response.status_code == 401
    assert records[0].status == 401


def test_404_raises_permanent(client, records):
    with pytest.raises(retry.PermanentError) as info:
        client.request("GET", "/missing")
    assert type(info.value) is retry.PermanentError
    assert "/missing" in str(info.value) and "404" in str(info.value)
    assert records[0].endpoint == "/missing"


def test_read_timeout_raises_transient_and_is_recorded(client, records):
    started = time.monotonic()
    with pytest.raises(retry.TransientError) as info:
        client.request("GET", "/slow")
    assert time.monotonic() - started < 0.9
    assert type(info.value) is retry.TransientError
    [record] = records
    assert record.status is None and "Timeout" in record.error
    assert record.response_body is None


def test_connection_refused_raises_transient(records):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    client = HttpClient(f"http://127.0.0.1:{port}", timeout=(0.5, 0.5), after_call=records.append)
    with pytest.raises(retry.TransientError):
        client.request("GET", "/ok", trace_id="0af7651916cd43dd8448eb211c80319c")
    assert records[0].status is None and records[0].error
    assert records[0].trace_id == "0af7651916cd43dd8448eb211c80319c"


def test_before_call_runs_first_and_can_refuse(client, server, records):
    calls = []

    def refuse(endpoint):
        calls.append(endpoint)
        raise retry.CircuitOpenError("circuit open for " + endpoint)

    client.before_call = refuse
    with pytest.raises(retry.CircuitOpenError):
        client.request("GET", "/ok?since_id=5")
    assert calls == ["/ok"]
    assert server.seen == [] and records == []


def test_before_call_receives_explicit_endpoint(client):
    calls = []
    client.before_call = calls.append
    client.request("GET", "/ok/123.json", endpoint="orders/get")
    assert calls == ["orders/get"]


def test_bodies_truncated_to_2000_chars(client, records):
    client.request("POST", "/big", data="y" * 3000)
    assert len(records[0].request_body) == 2000
    assert len(records[0].response_body) == 2000


def test_after_call_failure_does_not_fail_the_call(client):
    def broken(record):
        raise RuntimeError("log table locked")

    client.after_call = broken
    assert client.request("GET", "/ok").status_code == 200


def test_caller_headers_and_absolute_url(client, server):
    host, port = server.server_address
    client.request("GET", f"http://{host}:{port}/ok?page_info=abc", headers={"X-Extra": "1"})
    _, path, headers, _ = server.seen[-1]
    assert path == "/ok?page_info=abc" and headers["X-Extra"] == "1"


def test_uses_given_session(server):
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    host, port = server.server_address
    server.seen.clear()
    HttpClient(f"http://{host}:{port}", session=session).request("GET", "ok")
    assert server.seen[-1][2]["X-From-Session"] == "yes"
