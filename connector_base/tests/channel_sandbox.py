"""The test channel's API emulator: a real HTTP server on loopback.

It answers like a channel would (auth header, JSON, 429/503 with
Retry-After) and can be told to fail the next N calls. Outbound: stock
levels per location (``GET /inventory``; ``POST /inventory`` applies a batch
only if every ``expected`` quantity is still the current one, else 409 and
nothing changes) and shipments of orders (``POST /orders/<id>/shipments``,
422 for an order already fulfilled).
"""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class ChannelSandbox:
    def __init__(self, token="sandbox-token"):
        self.token = token
        self.customers = {}
        self.orders = {}  # id -> the order as its webhook carries it
        self.failures = []  # [(status, retry_after)] for the next calls
        self.calls = []
        self.acknowledged = []
        self.inventory = {}  # (sku, location) -> available
        self.shipments = []  # (order id, shipment document, shipment id)
        self.fulfilled_elsewhere = set()  # order ids whose shipments get 422
        self.unstocked = set()  # SKUs whose levels get 422 (not stocked here)
        self.acknowledging = threading.Event()
        self.hang_acknowledge = threading.Event()
        self.release = threading.Event()
        # Set to a threading.Barrier: customer look-ups wait for each other, so
        # the jobs behind them go on to create the customer at the same moment.
        self.customer_barrier = None
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                sandbox.calls.append((self.path, dict(self.headers)))
                if sandbox.failures:
                    return self._fail(*sandbox.failures.pop(0))
                if self.headers.get("X-Test-Token") != sandbox.token:
                    return self._json(401, {"errors": "[API] Invalid API key or access token"})
                url = urlsplit(self.path)
                if url.path == "/inventory":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    location = query.get("location")
                    wanted = set(query["skus"].split(",")) if query.get("skus") else None
                    levels = [
                        {"sku": sku, "location": loc, "available": available}
                        for (sku, loc), available in sorted(sandbox.inventory.items())
                        if loc == location and (wanted is None or sku in wanted)
                    ]
                    return self._json(200, {"levels": levels})
                if url.path == "/orders":
                    # Orders updated in [updated_at_min, updated_at_max] (ISO 8601, UTC).
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    low, high = query.get("updated_at_min", ""), query.get("updated_at_max", "~")
                    orders = [
                        order
                        for _id, order in sorted(sandbox.orders.items())
                        if low <= order["updated_at"] <= high
                    ]
                    return self._json(200, {"orders": orders})
                match = re.match(r"^/customers/(\d+)$", self.path)
                if not match or int(match.group(1)) not in sandbox.customers:
                    return self._json(404, {"errors": "Not Found"})
                if sandbox.customer_barrier is not None:
                    sandbox.customer_barrier.wait(60)
                return self._json(200, sandbox.customers[int(match.group(1))])

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                sandbox.calls.append((self.path, dict(self.headers)))
                if sandbox.failures:
                    return self._fail(*sandbox.failures.pop(0))
                outbound = self.path == "/inventory" or self.path.endswith("/shipments")
                if outbound and self.headers.get("X-Test-Token") != sandbox.token:
                    return self._json(401, {"errors": "[API] Invalid API key or access token"})
                if self.path == "/inventory":
                    return self._set_inventory(json.loads(body or b"{}"))
                match = re.match(r"^/orders/(\d+)/shipments$", self.path)
                if match:
                    return self._ship(int(match.group(1)), json.loads(body or b"{}"))
                match = re.match(r"^/orders/(\d+)/acknowledge$", self.path)
                if not match:
                    return self._json(404, {"errors": "Not Found"})
                sandbox.acknowledging.set()
                if sandbox.hang_acknowledge.is_set():
                    sandbox.release.wait(120)
                sandbox.acknowledged.append((int(match.group(1)), json.loads(body or b"{}")))
                return self._json(200, {"acknowledged": True})

            def _fail(self, status, retry_after):
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                self.wfile.write(b'{"errors": "unavailable"}')

            def _set_inventory(self, body):
                location = body["location"]
                unstocked = [lv["sku"] for lv in body["levels"] if lv["sku"] in sandbox.unstocked]
                if unstocked:
                    return self._json(422, {"errors": "not stocked here", "skus": unstocked})
                stale = [
                    level["sku"]
                    for level in body["levels"]
                    if level.get("expected") is not None
                    and sandbox.inventory.get((level["sku"], location)) != level["expected"]
                ]
                if stale:
                    return self._json(409, {"errors": "stale expected quantity", "stale": stale})
                for level in body["levels"]:
                    sandbox.inventory[(level["sku"], location)] = level["available"]
                return self._json(200, {"updated": len(body["levels"])})

            def _ship(self, order_id, document):
                if order_id in sandbox.fulfilled_elsewhere:
                    return self._json(422, {"errors": "order is already fulfilled"})
                shipment_id = f"SHIP-{len(sandbox.shipments) + 1}"
                sandbox.shipments.append((order_id, document, shipment_id))
                return self._json(201, {"id": shipment_id})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                # IETF RateLimit headers: a 40-call window, used by the calls so far.
                self.send_header("RateLimit-Limit", "40")
                self.send_header("RateLimit-Remaining", str(max(40 - len(sandbox.calls), 0)))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, count, status=503, retry_after=None):
        self.failures.extend([(status, retry_after)] * count)
