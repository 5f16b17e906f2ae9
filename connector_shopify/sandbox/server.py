"""HTTP front of the sandbox: Shopify's surface per shop, and a control API.

Shopify's endpoints live under ``/shops/<myshopify domain>/`` so a client
built for ``https://<domain>`` works unchanged with that prefix as its base
URL; ``/_sandbox/`` is the test-only control API, never part of Shopify's.
"""

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import bulk_imports
from .graphql_api import GraphQLEndpoint
from .schema_files import supported_versions
from .store import CLIENT_CREDENTIALS_TTL, DEFAULT_SCOPES, SandboxError, Store
from .webhooks import Dispatcher

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
GRAPHQL_PATH = re.compile(r"^/shops/(?P<shop>[^/]+)/admin/api/(?P<version>[^/]+)/graphql\.json$")
OAUTH_PATH = re.compile(r"^/shops/(?P<shop>[^/]+)/admin/oauth/access_token$")
# Where a bulk operation's JSONL result is served (Shopify: a signed storage URL).
BULK_RESULT_PATH = re.compile(r"^/bulk-results/(?P<shop>[^/]+)/(?P<id>\d+)\.jsonl$")
CONTROL_SHOP = re.compile(r"^/_sandbox/shops/(?P<shop>[^/]+)(?P<rest>/.*)?$")
# Shopify's answers to a refused call: 429 ("Too Many Requests", with the
# Retry-After header in seconds as Shopify sends it) and its edge's 5xx.
ERROR_BODIES = {
    429: "Exceeded 2 calls per second for api client. Reduce request rates to resume "
    "uninterrupted service.",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def error_answer(status):
    """(status, body, headers) of a call refused with ``status``."""
    headers = {"Retry-After": "1.0"} if status == 429 else {}
    return status, {"errors": ERROR_BODIES.get(status, "Service Unavailable")}, headers


class ShopifySandbox:
    """A running emulator of Shopify shops on loopback, with Python helpers for tests."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        webhook_timeout=5.0,
        retry_delays=None,
        max_attempts=8,
        reorder_batch=3,
        reorder_hold=1.0,
        webhook_senders=1,
    ):
        self.store = Store()
        self.dispatcher = Dispatcher(
            self.store,
            timeout=webhook_timeout,
            retry_delays=retry_delays if retry_delays is not None else (0.5, 1, 2, 4, 8, 16, 32),
            max_attempts=max_attempts,
            reorder_batch=reorder_batch,
            reorder_hold=reorder_hold,
            senders=webhook_senders,
        )
        self.graphql = GraphQLEndpoint(self.store, public_url=lambda: self.url)
        self.versions = supported_versions()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = None

    # ------------------------------------------------------------ lifecycle
    @property
    def url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def shop_url(self, domain):
        return f"{self.url}/shops/{domain}"

    def graphql_url(self, domain, version="2026-10"):
        return f"{self.shop_url(domain)}/admin/api/{version}/graphql.json"

    def start(self):
        self.dispatcher.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="shopify-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self.dispatcher.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ helpers (= control API)
    def reset(self):
        """No shop left, and none of their webhooks still to come."""
        self.store.reset()
        self.dispatcher.forget()

    def create_shop(self, domain, **options):
        return self.store.create_shop(domain, **options)

    def add_location(self, domain, name, **options):
        return self.store.add_location(domain, name, **options)

    def add_product(self, domain, title, variants=None, handle=None, **fields):
        return self.store.add_product(domain, title, variants, handle, **fields)

    def update_product(self, domain, product_id, **changes):
        return self.store.update_product(domain, product_id, **changes)

    def delete_product(self, domain, product_id):
        return self.store.delete_product(domain, product_id)

    def add_customer(self, domain, **fields):
        return self.store.add_customer(domain, **fields)

    def update_customer(self, domain, customer_id, **changes):
        return self.store.update_customer(domain, customer_id, **changes)

    def delete_customer(self, domain, customer_id):
        return self.store.delete_customer(domain, customer_id)

    def create_draft_order(self, domain, **spec):
        return self.store.create_draft_order(domain, **spec)

    def update_draft_order(self, domain, draft_id, **changes):
        return self.store.update_draft_order(domain, draft_id, **changes)

    def complete_draft_order(self, domain, draft_id, payment_pending=False):
        return self.store.complete_draft_order(domain, draft_id, payment_pending)

    def delete_draft_order(self, domain, draft_id):
        return self.store.delete_draft_order(domain, draft_id)

    def create_return(self, domain, order_id, lines=None, status="OPEN"):
        return self.store.create_return(domain, order_id, lines, status)

    def update_fulfillment(self, domain, fulfillment_id, shipment_status=None, tracking=None):
        return self.store.update_fulfillment(domain, fulfillment_id, shipment_status, tracking)

    def create_order(self, domain, **spec):
        return self.store.create_order(domain, **spec)

    def update_order(self, domain, order_id, **changes):
        return self.store.update_order(domain, order_id, **changes)

    def cancel_order(self, domain, order_id, reason="other", restock=True):
        return self.store.cancel_order(domain, order_id, reason, restock)

    def refund_order(self, domain, order_id, lines=None, shipping_amount=None, note=None):
        return self.store.refund_order(domain, order_id, lines, shipping_amount, note)

    def inventory(self, domain):
        return self.store.inventory(domain)

    def set_inventory(self, domain, sku, location=None, available=0):
        return self.store.set_inventory(domain, sku, location, available)

    def orders(self, domain):
        return self.store.list_orders(domain)

    def fulfillment_orders(self, domain, order_id):
        # JSON-safe copies (the store keeps datetimes).
        return json.loads(
            json.dumps(self.store.list_fulfillment_orders(domain, order_id), default=str)
        )

    def fulfillments(self, domain):
        return self.store.list_fulfillments(domain)

    def subscriptions(self, domain):
        with self.store.lock:
            return [
                {**s, "created_at": str(s["created_at"]), "updated_at": str(s["updated_at"])}
                for s in self.store.shop(domain).subscriptions.values()
            ]

    def deliveries(self, domain):
        with self.store.lock:
            return [dict(d) for d in self.store.shop(domain).deliveries]

    def calls(self, domain):
        with self.store.lock:
            return [dict(c) for c in self.store.shop(domain).calls]

    def set_faults(self, domain, **faults):
        return self.store.set_faults(domain, **faults)

    def set_bucket(
        self, domain, maximum=None, restore_rate=None, available=None, max_query_cost=None
    ):
        return self.store.set_bucket(domain, maximum, restore_rate, available, max_query_cost)

    def uninstall(self, domain):
        return self.store.uninstall(domain)

    def install(self, domain, access_token=None):
        return self.store.install(domain, access_token)

    def revoke_tokens(self, domain):
        return self.store.revoke_tokens(domain)

    def issue_authorization_code(self, domain):
        return self.store.issue_authorization_code(domain)

    def wait_for_deliveries(self, timeout=10.0):
        """Block until every queued webhook delivery (retries included) is settled."""
        return self.dispatcher.wait_idle(timeout)

    # ------------------------------------------------------------ Shopify surface
    def handle_graphql(self, domain, version, token, body):
        shop = self.store.shops.get(domain)
        if shop is None:
            return 404, {"errors": "Not Found"}, {}
        with self.store.lock:
            faults = shop.faults
            hang = faults.hang_seconds if faults.hang_next > 0 else 0
            if hang:
                faults.hang_next -= 1
            fail_status = faults.fail_status if faults.fail_next > 0 else None
            if fail_status:
                faults.fail_next -= 1
            elif faults.roll(faults.error_rate):
                fail_status = faults.error_status()
            if fail_status:
                # Refused before execution: no cost taken, logged like a call.
                shop.calls.append(
                    {
                        "at": time.time(),
                        "operation": None,
                        "version": version,
                        "requested": None,
                        "actual": None,
                        "throttled": int(fail_status) == 429,
                        "available_before": None,
                        "fault": int(fail_status),
                    }
                )
        if hang:
            time.sleep(float(hang))
        if fail_status:
            return error_answer(int(fail_status))
        if version not in self.versions:
            return 404, {"errors": "Not Found"}, {}
        with self.store.lock:
            authorized = self.store.token_valid(shop, token)
        if not authorized:
            return 401, {"errors": INVALID_TOKEN}, {}
        if body is None:
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}, {}
        status, payload = self.graphql.execute(shop, version, body)
        return status, payload, {"X-Shopify-API-Version": version}

    def bulk_result(self, domain, op_id):
        """The JSONL file of a finished bulk operation: (status, bytes)."""
        with self.store.lock:
            shop = self.store.shops.get(domain)
            data = self.graphql.bulk_runner.result_file(shop, op_id) if shop else None
        return (200, data) if data is not None else (404, b"")

    def staged_upload(self, content_type, raw):
        """A POST to a staged upload target (Shopify: its Google Cloud Storage
        bucket): (status, XML body)."""
        fields = bulk_imports.parse_form(content_type, raw)
        with self.store.lock:
            return bulk_imports.receive_upload(self.store.shops.values(), fields, self.url)

    def handle_oauth(self, domain, params):
        with self.store.lock:
            shop = self.store.shops.get(domain)
            if shop is None:
                return 404, {"errors": "Not Found"}
            client_ok = (
                params.get("client_id") == shop.client_id
                and params.get("client_secret") == shop.client_secret
            )
            if not client_ok:
                return 400, {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed: unknown client_id "
                    "or wrong client_secret.",
                }
            grant = params.get("grant_type")
            if grant == "client_credentials":
                if not shop.installed:
                    return 400, {
                        "error": "invalid_request",
                        "error_description": "The app is not installed on this shop.",
                    }
                token = self.store.issue_token(shop, ttl=CLIENT_CREDENTIALS_TTL)
                return 200, {
                    "access_token": token,
                    "scope": DEFAULT_SCOPES,
                    "expires_in": CLIENT_CREDENTIALS_TTL,
                }
            if params.get("code") and grant in (None, "authorization_code"):
                if params["code"] not in shop.authorization_codes:
                    return 400, {
                        "error": "invalid_request",
                        "error_description": "The authorization code was not found or was "
                        "already used.",
                    }
                shop.authorization_codes.discard(params["code"])
                shop.installed = True
                return 200, {"access_token": self.store.issue_token(shop), "scope": DEFAULT_SCOPES}
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"Unsupported grant_type {grant!r}.",
            }

    # ------------------------------------------------------------ control API
    def handle_control(self, method, path, body):
        if path == "/_sandbox/reset" and method == "POST":
            self.reset()
            return 200, {"reset": True}
        if path == "/_sandbox/shops":
            if method == "POST":
                return 201, self.create_shop(body.pop("domain", None), **body)
            with self.store.lock:
                return 200, [self.store.shop_info(s) for s in self.store.shops.values()]
        match = CONTROL_SHOP.match(path)
        if not match:
            raise SandboxError("no such control route", status=404)
        domain, rest = match["shop"], match["rest"] or ""
        routes = [
            ("GET", r"", lambda: self.store.shop_info(self.store.shop(domain))),
            ("POST", r"/locations", lambda: self.add_location(domain, **body)),
            ("POST", r"/products", lambda: self.add_product(domain, **body)),
            (
                "POST",
                r"/products/(\d+)/update",
                lambda pid: self.update_product(domain, pid, **body),
            ),
            ("POST", r"/products/(\d+)/delete", lambda pid: self.delete_product(domain, pid)),
            ("POST", r"/customers", lambda: self.add_customer(domain, **body)),
            (
                "POST",
                r"/customers/(\d+)/update",
                lambda cid: self.update_customer(domain, cid, **body),
            ),
            ("POST", r"/customers/(\d+)/delete", lambda cid: self.delete_customer(domain, cid)),
            ("POST", r"/draft_orders", lambda: self.create_draft_order(domain, **body)),
            (
                "POST",
                r"/draft_orders/(\d+)/update",
                lambda did: self.update_draft_order(domain, did, **body),
            ),
            (
                "POST",
                r"/draft_orders/(\d+)/complete",
                lambda did: self.complete_draft_order(domain, did, **body),
            ),
            (
                "POST",
                r"/draft_orders/(\d+)/delete",
                lambda did: self.delete_draft_order(domain, did),
            ),
            ("POST", r"/orders/(\d+)/returns", lambda oid: self.create_return(domain, oid, **body)),
            (
                "POST",
                r"/fulfillments/(\d+)/update",
                lambda fid: self.update_fulfillment(domain, fid, **body),
            ),
            ("GET", r"/orders", lambda: self.orders(domain)),
            ("POST", r"/orders", lambda: self.create_order(domain, **body)),
            ("POST", r"/orders/(\d+)/update", lambda oid: self.update_order(domain, oid, **body)),
            ("POST", r"/orders/(\d+)/cancel", lambda oid: self.cancel_order(domain, oid, **body)),
            ("POST", r"/orders/(\d+)/refunds", lambda oid: self.refund_order(domain, oid, **body)),
            (
                "GET",
                r"/orders/(\d+)/fulfillment_orders",
                lambda oid: self.fulfillment_orders(domain, oid),
            ),
            ("GET", r"/inventory", lambda: self.inventory(domain)),
            ("POST", r"/inventory", lambda: self.set_inventory(domain, **body)),
            ("GET", r"/fulfillments", lambda: self.fulfillments(domain)),
            ("GET", r"/webhooks", lambda: self.subscriptions(domain)),
            ("GET", r"/webhooks/deliveries", lambda: self.deliveries(domain)),
            ("GET", r"/calls", lambda: self.calls(domain)),
            ("POST", r"/faults", lambda: self.set_faults(domain, **body)),
            ("POST", r"/uninstall", lambda: self.uninstall(domain)),
            ("POST", r"/install", lambda: self.install(domain, **body)),
            ("POST", r"/revoke_tokens", lambda: self.revoke_tokens(domain)),
            ("GET", r"/bucket", lambda: self.set_bucket(domain)),
            ("POST", r"/bucket", lambda: self.set_bucket(domain, **body)),
            (
                "POST",
                r"/oauth/authorization_code",
                lambda: {"code": self.issue_authorization_code(domain)},
            ),
        ]
        for route_method, pattern, action in routes:
            found = re.fullmatch(pattern, rest)
            if found and route_method == method:
                return (201 if method == "POST" else 200), action(*found.groups())
        raise SandboxError(f"no such control route {method} {path}", status=404)


def _handler_for(sandbox):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _read(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status, payload, headers=None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", str(uuid.uuid4()))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_bytes(self, status, data, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json_body(self, raw, path):
            """JSON, except a form on the OAuth endpoint and raw GraphQL on the API."""
            if not raw:
                return {}
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            form = content_type == "application/x-www-form-urlencoded"
            if form and OAUTH_PATH.match(path):
                return {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            if content_type == "application/graphql" and GRAPHQL_PATH.match(path):
                return {"query": raw.decode()}
            return json.loads(raw)

        def _dispatch(self, method):
            path = urlsplit(self.path).path
            raw = self._read()
            if path == bulk_imports.UPLOAD_PATH and method == "POST":
                content_type = self.headers.get("Content-Type") or ""
                status, data = sandbox.staged_upload(content_type, raw)
                return self._send_bytes(status, data, "application/xml; charset=UTF-8")
            try:
                try:
                    body = self._json_body(raw, path)
                except ValueError:
                    body = None
                match = GRAPHQL_PATH.match(path)
                if match and method == "POST":
                    token = self.headers.get("X-Shopify-Access-Token")
                    status, payload, headers = sandbox.handle_graphql(
                        match["shop"], match["version"], token, body
                    )
                    return self._send(status, payload, headers)
                match = OAUTH_PATH.match(path)
                if match and method == "POST":
                    params = dict(body or {})
                    query = parse_qs(urlsplit(self.path).query)
                    params.update({k: v[-1] for k, v in query.items() if k not in params})
                    return self._send(*sandbox.handle_oauth(match["shop"], params))
                match = BULK_RESULT_PATH.match(path)
                if match and method == "GET":
                    status, data = sandbox.bulk_result(match["shop"], int(match["id"]))
                    return self._send_bytes(status, data, "application/jsonl")
                if path.startswith("/_sandbox/"):
                    if body is None or not isinstance(body, dict):
                        return self._send(400, {"error": "a JSON object body is required"})
                    return self._send(*sandbox.handle_control(method, path, body))
                return self._send(404, {"errors": "Not Found"})
            except SandboxError as error:
                return self._send(error.status, {"error": str(error)})
            except TypeError as error:
                return self._send(400, {"error": f"bad arguments: {error}"})

        def do_GET(self):
            self._dispatch("GET")

        def do_POST(self):
            self._dispatch("POST")

    return Handler
