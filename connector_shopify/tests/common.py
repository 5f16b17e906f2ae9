import base64
import hashlib
import hmac
import json
import time
import uuid

import requests

import odoo
from odoo.addons.connector_base.tests.common import JobRunnerMixin
from odoo.tests.common import HOST, HttpCase

from ..sandbox import ShopifySandbox

DOMAIN = "odoo-test.myshopify.com"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
SKUS = ("SHOP-TEE-M", "SHOP-MUG", "SHOP-CAP")


class ShopifyCase(JobRunnerMixin, HttpCase):
    """A sandbox store, an Odoo backend connected to it, matching products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # Quick redeliveries: a delivery refused outside ``wait_deliveries`` (the
        # test server only takes them there) comes again within seconds.
        cls.sandbox = ShopifySandbox(retry_delays=[0.2, 0.3, 0.5, 1, 1, 2, 2, 4]).start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", f"http://{HOST}:{odoo.tools.config['http_port']}"
        )
        Product = cls.env["product.product"]
        cls.products = {}
        for index, sku in enumerate(SKUS):
            cls.products[sku] = Product.create(
                {
                    "name": f"Shopify product {sku}",
                    "default_code": sku,
                    "list_price": 10 * (index + 1),
                    "type": "consu",
                    "is_storable": True,
                    "taxes_id": [(6, 0, [])],
                }
            )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.backend = cls.env["integration.backend"].create(
            {
                "name": "Test Shopify",
                "code": "shopify_test",
                "channel_type": "shopify",
                "state": "active",
                "shopify_shop_domain": DOMAIN,
                "api_url": cls.sandbox.shop_url(DOMAIN),
                "shopify_auth": "client_credentials",
                "shopify_client_id": CLIENT_ID,
                "timeout_read": 10,
                "circuit_threshold": 3,
                # Jobs run as they come here; the batch window has its own test.
                "inbox_batch_window": 0,
                # Levels followed by webhooks have their own test.
                "shopify_follow_levels": False,
            }
        )
        cls.env["integration.credential"]._store_secret(cls.backend, "client_secret", CLIENT_SECRET)

    def setUp(self):
        super().setUp()
        # A fresh store per test: the sandbox keeps no state between tests.
        self.control("POST", "/_sandbox/reset")
        self.control(
            "POST",
            "/_sandbox/shops",
            {
                "domain": DOMAIN,
                "name": "Odoo test store",
                "currency": self.env.company.currency_id.name,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "access_token": "shpat_legacy_test",
                "bucket": {"maximum": 2000, "restore_rate": 100},
            },
        )
        location = self.control("POST", f"/_sandbox/shops/{DOMAIN}/locations", {"name": "Main"})
        self.location_gid = location.get("admin_graphql_api_id") or location.get("id")
        for index, sku in enumerate(SKUS):
            self.control(
                "POST",
                f"/_sandbox/shops/{DOMAIN}/products",
                {
                    "title": f"Product {sku}",
                    "variants": [
                        {"sku": sku, "price": f"{10 * (index + 1)}.00", "inventory": {"Main": 0}}
                    ],
                },
            )

    @classmethod
    def control(cls, method, path, body=None):
        response = requests.request(method, cls.sandbox.url + path, json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else {}

    def connect(self):
        """Locations, webhooks and catalogue, as the onboarding does."""
        self.backend.action_shopify_sync_locations()
        self.backend.shopify_location_ids.write({"warehouse_id": self.warehouse.id})
        self.backend._shopify_check_webhooks()
        self.backend._shopify_import_catalog()

    def put_in_stock(self, quantity):
        """Every test product on hand in the warehouse Shopify sells from."""
        for product in self.products.values():
            self.env["stock.quant"]._update_available_quantity(
                product, self.warehouse.lot_stock_id, quantity
            )

    def order_body(self, lines=None, **overrides):
        body = {
            "customer": {
                "email": "ada.buyer@example.com",
                "first_name": "Ada",
                "last_name": "Buyer",
            },
            "shipping_address": {
                "first_name": "Ada",
                "last_name": "Buyer",
                "address1": "1 Main St",
                "city": "Springfield",
                "zip": "12345",
                "country_code": "US",
                "province_code": "NY",
            },
            "lines": lines
            or [{"sku": "SHOP-TEE-M", "quantity": 2}, {"sku": "SHOP-MUG", "quantity": 1}],
            "shipping_lines": [{"code": "std", "title": "Standard", "price": "5.00"}],
            "financial_status": "paid",
        }
        body["billing_address"] = body["shipping_address"]
        body.update(overrides)
        return body

    def create_order(self, **kwargs):
        return self.control("POST", f"/_sandbox/shops/{DOMAIN}/orders", self.order_body(**kwargs))

    def edit_on_shopify(self, sku, available):
        """A level changed on Shopify's side (its admin, a sale)."""
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/inventory",
            {"sku": sku, "location": "Main", "available": available},
        )

    def deliveries(self):
        return self.control("GET", f"/_sandbox/shops/{DOMAIN}/webhooks/deliveries")

    def wait_deliveries(self, count, timeout=20):
        """Let the sandbox's deliveries in until ``count`` were answered 2xx.

        Odoo's test server only serves requests carrying the test's cookie,
        and Shopify sends none: the server takes any request in this window
        only, while the test thread waits and touches no cursor.
        """
        deadline = time.time() + timeout
        ok = items = []
        with self.allow_requests(all_requests=True):
            while time.time() < deadline:
                items = self.deliveries()
                ok = [d for d in items if 200 <= (d.get("status") or 0) < 300]
                if len(ok) >= count:
                    # Let a last duplicate in flight land before the window closes.
                    time.sleep(0.3)
                    return ok
                time.sleep(0.1)
        self.fail(f"only {len(ok)} of {count} webhook deliveries reached Odoo: {items}")

    def events(self):
        return self.env["integration.event"].search([("backend_id", "=", self.backend.id)])

    def order_of(self, shopify_order):
        return self.env["integration.binding"]._record(
            self.backend, "sale.order", str(shopify_order["id"])
        )

    def post_webhook(self, payload, topic="orders/create", secret=CLIENT_SECRET, body=None):
        body = body if body is not None else json.dumps(payload).encode()
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature.decode(),
            "X-Shopify-Shop-Domain": DOMAIN,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2026-10",
        }
        token = self.backend.sudo().webhook_token
        return self.url_open(f"/integration/webhook/{token}", data=body, headers=headers)
