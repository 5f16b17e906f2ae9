"""Shared set-up of the sandbox tests: a started sandbox, a seeded shop, a webhook sink."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import requests

from odoo.tests import BaseCase, common, tagged

from ..sandbox import ShopifySandbox

DOMAIN = "test-store.myshopify.com"
TOKEN = "shpat_test_token"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
TIMEOUT = 10.0


class WebhookSink:
    """A loopback receiver that records every POST and can fail the first N of them."""

    def __init__(self, fail_first=0, status=500):
        self.received = []
        self.fail_first = fail_first
        self.fail_status = status
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    failing = sink.fail_first > 0
                    if failing:
                        sink.fail_first -= 1
                    sink.received.append(
                        {"headers": dict(self.headers), "body": body, "answered": not failing}
                    )
                self.send_response(sink.fail_status if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def accepted(self):
        with self.lock:
            return [r for r in self.received if r["answered"]]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class SandboxCase(BaseCase):
    """A sandbox per test class, a fresh seeded shop per test (no database:
    Odoo's BaseCase, so Odoo's own runner selects it as pytest does)."""

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        """Loopback only, as any Odoo test; but the protocol's own timeouts
        (hangs, slow answers) are what these tests measure: none is raised."""
        if urlsplit(request.url).hostname in ("127.0.0.1", "localhost"):
            return common._super_send(session, request, **kwargs)
        raise common.BlockedRequest(f"External requests verboten (was {request.url})")

    retry_delays = (0.05, 0.1, 0.2)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox = ShopifySandbox(webhook_timeout=2.0, retry_delays=cls.retry_delays).start()
        cls.addClassCleanup(cls.sandbox.stop)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.sandbox.create_shop(
            DOMAIN,
            name="Test Store",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            access_token=TOKEN,
        )
        self.location = self.sandbox.add_location(DOMAIN, "Main warehouse")
        self.product = self.sandbox.add_product(
            DOMAIN,
            "Office Chair",
            [
                {"sku": "CHAIR-BLK", "price": "120.50", "inventory": {"Main warehouse": 10}},
                {"sku": "CHAIR-WHT", "price": "125.00", "title": "White"},
            ],
        )

    def graphql(self, query, variables=None, version="2026-10", token=TOKEN, operation=None):
        response = requests.post(
            self.sandbox.graphql_url(DOMAIN, version),
            json={"query": query, "variables": variables or {}, "operationName": operation},
            headers={"X-Shopify-Access-Token": token},
            timeout=TIMEOUT,
        )
        return response

    def data(self, query, variables=None, version="2026-10"):
        """Execute and insist on a clean answer."""
        response = self.graphql(query, variables, version)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertNotIn("errors", body, json.dumps(body)[:2000])
        return body["data"]

    def order(self, **spec):
        spec.setdefault("lines", [{"sku": "CHAIR-BLK", "quantity": 3}])
        return self.sandbox.create_order(DOMAIN, **spec)
