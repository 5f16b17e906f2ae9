"""Shopify deliveries are this store's own, and its money compares like money."""

from odoo.tests import tagged

from .common import DOMAIN, ShopifyCase

STATE_TAX = [{"title": "State tax", "rate": 0.0725}]


@tagged("post_install", "-at_install")
class TestShopifyIdentity(ShopifyCase):
    def post_with(self, **header_overrides):
        """A correctly signed delivery whose identity headers are overridden."""
        original = self.url_open

        def url_open(url, data=None, headers=None, **kwargs):
            headers = {**(headers or {}), **header_overrides}
            for key in [k for k, v in headers.items() if v is None]:
                del headers[key]
            return original(url, data=data, headers=headers, **kwargs)

        self.url_open = url_open
        try:
            return self.post_webhook({"id": 1, "name": "#1", "updated_at": "2026-11-20T10:00:00Z"})
        finally:
            self.url_open = original

    def test_delivery_for_another_shop_is_refused_and_not_stored(self):
        response = self.post_with(**{"X-Shopify-Shop-Domain": "other-store.myshopify.com"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("other-store.myshopify.com", response.json()["error"])
        self.assertFalse(self.events())

    def test_delivery_without_shop_or_topic_is_refused(self):
        response = self.post_with(**{"X-Shopify-Shop-Domain": None})
        self.assertEqual(response.status_code, 400)
        response = self.post_with(**{"X-Shopify-Topic": None})
        self.assertEqual(response.status_code, 400)
        self.assertIn("X-Shopify-Topic", response.json()["error"])
        self.assertFalse(self.events())

    def test_topic_not_subscribed_is_refused(self):
        response = self.post_with(**{"X-Shopify-Topic": "products/update"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.events())

    def test_the_shop_check_reads_no_row_beyond_the_routes_statement(self):
        self.assertEqual(self.post_with().status_code, 200)  # makes the drain job
        self.assertTrue(self.backend.sudo().webhook_token)  # the test's own read, before
        with self.assertLogs("odoo.sql_db", level="DEBUG") as logged:
            response = self.post_webhook(
                {"id": 2, "name": "#2", "updated_at": "2026-11-20T10:00:00Z"}
            )
        self.assertEqual(response.json()["status"], "accepted")
        self.assertFalse(
            [line for line in logged.output if 'FROM "integration_backend"' in line],
            "shopify_shop_domain comes with the route's SELECT (_webhook_fields)",
        )

    def test_own_shop_and_topic_are_accepted(self):
        response = self.post_with(**{"X-Shopify-Shop-Domain": DOMAIN.upper()})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.events()), 1)


@tagged("post_install", "-at_install")
class TestShopifyMoney(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.tax"].create(
            {
                "name": "State tax 7.25%",
                "amount": 7.25,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "price_include": False,
                "company_id": cls.env.company.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.connect()
        # Odoo rounds the order's tax once, on the total; Shopify each line.
        self.env.company.tax_calculation_rounding_method = "round_globally"

    def three_cheap_lines(self, tax_lines=None):
        return [
            {
                "sku": sku,
                "quantity": 1,
                "price": "0.90",
                "tax_lines": STATE_TAX if tax_lines is None else tax_lines,
            }
            for sku in ("SHOP-TEE-M", "SHOP-MUG", "SHOP-CAP")
        ]

    def test_per_line_rounding_cent_is_not_a_mismatch(self):
        # Shopify: 3 x round(0.06525) = 0.21; Odoo: round(0.19575) = 0.20.
        shopify_order = self.create_order(lines=self.three_cheap_lines(), shipping_lines=[])
        self.assertEqual(shopify_order["total_tax"], "0.21")
        self.wait_deliveries(1)
        self.run_jobs()
        order = self.order_of(shopify_order)
        self.assertTrue(order, self.events().mapped("last_error"))
        self.assertEqual(order.state, "sale")
        self.assertAlmostEqual(order.amount_tax, 0.20, places=2)
        self.assertFalse(
            self.env["integration.exception"].search(
                [("name", "ilike", f"Tax mismatch on Shopify order {shopify_order['name']}")]
            )
        )

    def test_tax_gap_beyond_the_tolerance_stays_an_exception_with_both_amounts(self):
        tax = [{"title": "State tax", "rate": 0.0725, "price": "0.50"}]
        shopify_order = self.create_order(lines=self.three_cheap_lines(tax), shipping_lines=[])
        self.wait_deliveries(1)
        self.run_jobs()
        self.assertFalse(self.order_of(shopify_order))
        exception = self.env["integration.exception"].search(
            [("name", "ilike", f"Tax mismatch on Shopify order {shopify_order['name']}")]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("Shopify charged 1.50", exception.message)
        self.assertIn("Odoo computes 0.20", exception.message)

    def test_backend_tolerance_widens_the_check(self):
        self.assertEqual(self.backend.amount_rounding_method, "round_per_line")
        usd = self.env.company.currency_id
        self.assertTrue(self.backend._amounts_match(24.95, 24.94, usd, line_count=2))
        self.assertFalse(self.backend._amounts_match(24.95, 24.90, usd, line_count=2))
        self.backend.amount_tolerance = 0.05
        self.assertTrue(self.backend._amounts_match(24.95, 24.90, usd, line_count=2))


@tagged("post_install", "-at_install")
class TestShopifyOneEventPerVersion(ShopifyCase):
    def test_catch_up_of_a_delivered_version_stores_nothing_new(self):
        self.connect()
        shopify_order = self.create_order()
        self.wait_deliveries(1)
        self.assertEqual(len(self.events()), 1)
        # GraphQL writes the same instant as 'Z', the webhook as '+00:00'.
        self.assertIn("0 new", self.backend._shopify_catch_up_orders())
        self.assertEqual(len(self.events()), 1)
        self.assertEqual(self.events().external_id, shopify_order["admin_graphql_api_id"])
