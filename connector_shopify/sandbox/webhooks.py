"""Webhook delivery, at least once, signed like Shopify's.

Each event gets an id shared by all its deliveries (duplicates and retries
alike) while each delivery gets its own webhook id: that is what a receiver
must deduplicate on. By default one sender thread delivers in due order, so
without faults events arrive in the order they happened; the ``reorder`` and
``duplicate`` faults break that on purpose. Shopify itself sends many
deliveries at once and promises no order: ``senders`` > 1 does that too
(deliveries due together then race, as at a flash sale).
"""

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import requests

# Every topic the sandbox emits, with its X-Shopify-Topic name. A subscription
# to any other topic is refused (webhookSubscriptionCreate's userErrors), so a
# subscriber never waits for a delivery that cannot come.
TOPIC_NAMES = {
    "APP_UNINSTALLED": "app/uninstalled",
    "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "CUSTOMERS_CREATE": "customers/create",
    "CUSTOMERS_DELETE": "customers/delete",
    "CUSTOMERS_UPDATE": "customers/update",
    "DRAFT_ORDERS_CREATE": "draft_orders/create",
    "DRAFT_ORDERS_DELETE": "draft_orders/delete",
    "DRAFT_ORDERS_UPDATE": "draft_orders/update",
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_CREATE": "orders/create",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_UPDATED": "orders/updated",
    "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_DELETE": "products/delete",
    "PRODUCTS_UPDATE": "products/update",
    "REFUNDS_CREATE": "refunds/create",
}
EMITTED_TOPICS = frozenset(TOPIC_NAMES)
DEFAULT_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 16, 32)
DEFAULT_MAX_ATTEMPTS = 8


def topic_name(topic):
    """``ORDERS_CREATE`` -> ``orders/create`` (the X-Shopify-Topic form)."""
    return TOPIC_NAMES[topic]


def sign(body, secret):
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body with the app secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Dispatcher:
    """Queues every event of every shop and delivers it to the subscriptions."""

    def __init__(
        self,
        store,
        timeout=5.0,
        retry_delays=DEFAULT_RETRY_DELAYS,
        max_attempts=DEFAULT_MAX_ATTEMPTS,
        reorder_batch=3,
        reorder_hold=1.0,
        senders=1,
    ):
        self.store = store
        self.timeout = timeout
        self.retry_delays = tuple(retry_delays)
        self.max_attempts = max_attempts
        self.reorder_batch = reorder_batch
        self.reorder_hold = reorder_hold
        self._queue = []  # heap of (due, sequence, delivery)
        self._held = []  # deliveries held back by the reorder fault
        self._held_since = None
        self._sequence = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._in_flight = 0
        self._threads = [
            threading.Thread(target=self._run, name=f"shopify-webhooks-{n}", daemon=True)
            for n in range(max(1, senders))
        ]
        store.emit = self.emit

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 1)

    # ------------------------------------------------------------ enqueue
    def emit(self, shop, topic, payload):
        """Called by the store (under its lock) when something happened in a shop."""
        event_id = str(uuid.uuid4())
        triggered_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        subscriptions = [s for s in shop.subscriptions.values() if s["topic"] == topic]
        copies = 2 if shop.faults.webhook_duplicate else 1
        deliveries = []
        for subscription in subscriptions:
            content = payload
            if subscription["include_fields"]:
                content = pick_fields(payload, subscription["include_fields"])
            body = json.dumps(content, separators=(",", ":")).encode()
            for _ in range(copies):
                deliveries.append(
                    {
                        "shop": shop,
                        "domain": shop.domain,
                        "topic": topic_name(topic),
                        "uri": subscription["uri"],
                        "body": body,
                        "event_id": event_id,
                        "webhook_id": str(uuid.uuid4()),
                        "triggered_at": triggered_at,
                        "api_version": shop.webhook_api_version,
                        "secret": shop.client_secret,
                        "attempt": 0,
                        "drop_first": shop.faults.webhook_drop_first_attempt,
                        "lose": shop.faults.webhook_lose,
                    }
                )
        with self._wake:
            for delivery in deliveries:
                if shop.faults.webhook_reorder:
                    self._held.append(delivery)
                    self._held_since = self._held_since or time.monotonic()
                else:
                    self._push(delivery, 0)
            self._wake.notify_all()
        return event_id

    def forget(self):
        """Drop every queued and held delivery: their shops are gone (a reset)."""
        with self._wake:
            self._queue.clear()
            self._held = []
            self._held_since = None

    def _push(self, delivery, delay):
        heapq.heappush(self._queue, (time.monotonic() + delay, next(self._sequence), delivery))

    def _release_held(self, force=False):
        """Let held deliveries go, newest first, once a batch is full or waited enough."""
        if not self._held:
            return
        waited = time.monotonic() - (self._held_since or time.monotonic())
        if force or len(self._held) >= self.reorder_batch or waited >= self.reorder_hold:
            for delivery in reversed(self._held):
                self._push(delivery, 0)
            self._held = []
            self._held_since = None

    def idle(self):
        """True when nothing is queued, held or being sent."""
        with self._wake:
            return not self._queue and not self._held and not self._in_flight

    def wait_idle(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.02)
        return self.idle()

    # ------------------------------------------------------------ sender
    def _run(self):
        while True:
            with self._wake:
                while True:
                    if self._stopped:
                        return
                    self._release_held()
                    now = time.monotonic()
                    if self._queue and self._queue[0][0] <= now:
                        _, _, delivery = heapq.heappop(self._queue)
                        self._in_flight += 1
                        break
                    waits = [self._queue[0][0] - now] if self._queue else []
                    if self._held:
                        waits.append(self.reorder_hold)
                    self._wake.wait(timeout=min(waits) if waits else None)
            try:
                self._attempt(delivery)
            finally:
                with self._wake:
                    self._in_flight -= 1

    def _attempt(self, delivery):
        delivery["attempt"] += 1
        shop = delivery["shop"]
        status, error = None, None
        started = time.monotonic()
        with self.store.lock:
            failing = shop.faults.webhook_fail_next > 0
            if failing:
                shop.faults.webhook_fail_next -= 1
        if delivery.get("lose"):
            # Shopify gave up after its retries (48 hours of them, here at once).
            error = "lost: given up by the lose fault"
        elif delivery["drop_first"] and delivery["attempt"] == 1:
            error = "dropped by the drop_first_attempt fault"
        elif failing:
            error = "failed by the webhook_fail_next fault"
        else:
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": delivery["topic"],
                "X-Shopify-Hmac-Sha256": sign(delivery["body"], delivery["secret"]),
                "X-Shopify-Shop-Domain": delivery["domain"],
                "X-Shopify-Webhook-Id": delivery["webhook_id"],
                "X-Shopify-Event-Id": delivery["event_id"],
                "X-Shopify-Triggered-At": delivery["triggered_at"],
                "X-Shopify-API-Version": delivery["api_version"],
                "User-Agent": "Shopify-Captain-Hook",
            }
            try:
                response = requests.post(
                    delivery["uri"], data=delivery["body"], headers=headers, timeout=self.timeout
                )
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
        retry_in = None
        if error and delivery["attempt"] < self.max_attempts and not delivery.get("lose"):
            index = min(delivery["attempt"] - 1, len(self.retry_delays) - 1)
            retry_in = self.retry_delays[index] if self.retry_delays else 0
        with self.store.lock:
            shop.deliveries.append(
                {
                    "topic": delivery["topic"],
                    "event_id": delivery["event_id"],
                    "webhook_id": delivery["webhook_id"],
                    "uri": delivery["uri"],
                    "attempt": delivery["attempt"],
                    "status": status,
                    "error": error,
                    "delivered": error is None,
                    "retry_in": retry_in,
                    "at": time.time(),
                    "duration": round(time.monotonic() - started, 3),
                    "payload": json.loads(delivery["body"]),
                }
            )
        with self.store.lock:
            # A shop removed meanwhile (a reset) sends nothing more.
            gone = self.store.shops.get(delivery["domain"]) is not shop
        if retry_in is not None and not gone:
            with self._wake:
                self._push(delivery, retry_in)
                self._wake.notify_all()


def pick_fields(payload, include_fields):
    """The payload restricted to ``include_fields``; ``a.b`` keeps field ``b`` of
    the object (or of each object of the list) under ``a``, as Shopify's
    payload modification does
    (https://shopify.dev/docs/apps/build/webhooks/customize/modify-payloads)."""
    tree = {}
    for path in include_fields:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return _pick(payload, tree)


def _pick(value, tree):
    if not tree:
        return value
    if isinstance(value, list):
        return [_pick(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: _pick(value[key], sub) for key, sub in tree.items() if key in value}
