import json

from odoo.tests import tagged

from .common import DOMAIN, SKUS, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyOrders(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.connect()

    def test_onboarding_subscribes_webhooks_and_binds_catalogue(self):
        subscriptions = self.backend._shopify().execute(
            "query { webhookSubscriptions(first: 20) { nodes { topic uri includeFields } } }",
            operation=None,
        )["webhookSubscriptions"]["nodes"]
        topics = {s["topic"] for s in subscriptions if s["uri"] == self.backend.webhook_url}
        self.assertEqual(
            topics,
            {
                "ORDERS_CREATE",
                "ORDERS_UPDATED",
                "ORDERS_CANCELLED",
                "REFUNDS_CREATE",
                "APP_UNINSTALLED",
                "BULK_OPERATIONS_FINISH",
            },
        )
        bindings = self.env["integration.binding"].search(
            [("backend_id", "=", self.backend.id), ("res_model", "=", "product.product")]
        )
        self.assertEqual(set(bindings.mapped("external_id")), set(self.products))
        self.assertTrue(
            all(
                b.extra["inventory_item_id"].startswith("gid://shopify/InventoryItem/")
                for b in bindings
            )
        )
        # Checking again repairs nothing and creates nothing.
        report = self.backend._shopify_check_webhooks()
        self.assertEqual((report["created"], report["updated"], report["ok"]), (0, 0, 6))

    def test_webhook_misrouted_is_repaired(self):
        subscription = self.backend._shopify().execute(
            "query { webhookSubscriptions(first: 20) { nodes { id topic } } }", operation=None
        )["webhookSubscriptions"]["nodes"][0]
        wrong = self.backend.webhook_url.replace("/integration/webhook/", "/integration/webhook/x")
        self.backend._shopify_call(
            "mutation($id: ID!, $uri: String!) { webhookSubscriptionUpdate(id: $id, "
            "webhookSubscription: {uri: $uri}) { userErrors { message } } }",
            {"id": subscription["id"], "uri": wrong},
            operation=None,
        )
        report = self.backend._shopify_check_webhooks()
        self.assertEqual(report["updated"], 1)

    def test_order_webhook_becomes_confirmed_sale_order(self):
        shopify_order = self.create_order()
        self.wait_deliveries(1)
        self.assertEqual(len(self.events()), 1)
        self.run_jobs()
        order = self.order_of(shopify_order)
        self.assertTrue(order, self.events().mapped("last_error"))
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.client_order_ref, shopify_order["name"])
        lines = order.order_line.filtered(lambda line: not line.is_delivery)
        self.assertEqual(
            sorted((line.product_id.default_code, line.product_uom_qty) for line in lines),
            [("SHOP-MUG", 1.0), ("SHOP-TEE-M", 2.0)],
        )
        self.assertEqual(order.partner_id.email, "ada.buyer@example.com")
        self.assertEqual(order.partner_shipping_id.city, "Springfield")
        self.assertEqual(
            order.partner_shipping_id, order.partner_id, "its own address: no second contact"
        )
        self.assertAlmostEqual(order.amount_total, float(shopify_order["total_price"]), places=2)
        # One trace from the event to the sale order.
        event = self.events()
        steps = self.env["integration.lineage"].search([("trace_id", "=", event.trace_id)])
        self.assertIn("imported", steps.mapped("step"))
        self.assertIn(
            order,
            steps.filtered(lambda s: s.res_model == "sale.order").mapped(
                lambda s: self.env["sale.order"].browse(s.res_id)
            ),
        )

    def test_duplicate_and_reordered_webhooks_give_one_correct_order(self):
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/faults",
            {"webhook_duplicate": True, "webhook_reorder": True},
        )
        shopify_order = self.create_order()
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/orders/{shopify_order['id']}/update",
            {"note": "Leave at the door"},
        )
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/orders/{shopify_order['id']}/cancel",
            {"reason": "customer"},
        )
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"webhook_reorder": False})
        # create, updated, cancelled, updated: each twice.
        self.wait_deliveries(8)
        self.run_jobs()
        orders = self.env["integration.binding"].search(
            [
                ("backend_id", "=", self.backend.id),
                ("res_model", "=", "sale.order"),
                ("external_id", "=", str(shopify_order["id"])),
            ]
        )
        self.assertEqual(len(orders), 1)
        self.assertEqual(self.order_of(shopify_order).state, "cancel")
        # Duplicates were stored once: one row per order state.
        self.assertEqual(len(self.events()), len(set(self.events().mapped("dedup_key"))))
        self.assertLess(len(self.events()), 8)

    def test_bad_hmac_is_refused_and_stores_nothing(self):
        response = self.post_webhook({"id": 1, "name": "#1"}, secret="not-the-secret")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events())

    def test_contract_breaking_payload_becomes_exception_with_paths(self):
        payload = json.loads(self.sandbox_example("shopify_order.json"))
        payload["line_items"][0]["quantity"] = "two"
        payload.pop("currency")
        response = self.post_webhook(payload)
        self.assertEqual(response.status_code, 200)
        self.run_jobs()
        event = self.events()
        self.assertEqual(event.state, "failed")
        exception = self.env["integration.exception"].search(
            [("source_model", "=", "integration.event"), ("source_id", "=", event.id)]
        )
        self.assertEqual(exception.category, "contract")
        paths = {v["path"] for v in exception.violations}
        # Every violation, each with its JSON path.
        self.assertIn("$.line_items[0].quantity", paths)
        self.assertTrue(any("currency" in (v.get("message") or "") for v in exception.violations))

    def sandbox_example(self, name):
        from pathlib import Path

        return (Path(__file__).resolve().parent.parent / "schemas" / "examples" / name).read_text()

    def test_unknown_sku_raises_for_catalog_and_replays_once_mapped(self):
        shopify_order = self.create_order(
            lines=[{"sku": "SHOP-NEW-HAT", "quantity": 1, "price": "12.00"}]
        )
        self.wait_deliveries(1)
        self.run_jobs()
        self.assertFalse(self.order_of(shopify_order))
        exception = self.env["integration.exception"].search(
            [("category", "=", "mapping"), ("name", "ilike", "SHOP-NEW-HAT")]
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.team_id, self.env.ref("integration_governance.team_catalog"))
        self.env["product.product"].create(
            {
                "name": "New hat",
                "default_code": "SHOP-NEW-HAT",
                "type": "consu",
                "taxes_id": [(6, 0, [])],
            }
        )
        exception.action_replay()
        order = self.order_of(shopify_order)
        self.assertTrue(order)
        self.assertEqual(
            order.order_line.filtered(lambda line: not line.is_delivery).product_id.default_code,
            "SHOP-NEW-HAT",
        )

    def test_orders_to_another_address_share_one_delivery_contact(self):
        other = {**self.order_body()["shipping_address"], "address1": "9 Elm St", "zip": "54321"}
        first = self.create_order(shipping_address=other)
        second = self.create_order(shipping_address=other)
        self.wait_deliveries(2)
        self.run_jobs()
        one, two = self.order_of(first), self.order_of(second)
        self.assertEqual(one.partner_id, two.partner_id)
        self.assertNotEqual(one.partner_shipping_id, one.partner_id)
        self.assertEqual(one.partner_shipping_id.type, "delivery")
        self.assertEqual(one.partner_shipping_id.street, "9 Elm St")
        self.assertEqual(one.partner_shipping_id, two.partner_shipping_id, "created once")

    def test_missing_shipping_address_is_a_data_quality_exception(self):
        shopify_order = self.create_order(shipping_address=None)
        self.wait_deliveries(1)
        self.run_jobs()
        self.assertFalse(self.order_of(shopify_order))
        exception = self.env["integration.exception"].search(
            [("category", "=", "data_quality"), ("name", "ilike", shopify_order["name"])]
        )
        self.assertEqual(len(exception), 1)
        self.assertIn("shipping address", exception.name)

    def test_tax_mismatch_is_an_exception(self):
        shopify_order = self.create_order(
            lines=[
                {
                    "sku": "SHOP-CAP",
                    "quantity": 1,
                    "tax_lines": [{"title": "Odd tax", "rate": 0.0333}],
                }
            ]
        )
        self.wait_deliveries(1)
        self.run_jobs()
        self.assertFalse(self.order_of(shopify_order))
        exception = self.env["integration.exception"].search(
            [("category", "=", "business_rule"), ("name", "ilike", shopify_order["name"])]
        )
        self.assertTrue(exception)
        self.assertIn("tax", exception.name.lower())


@tagged("post_install", "-at_install")
class TestShopifyCatchUp(ShopifyCase):
    def test_catch_up_heals_a_missed_webhook_page_by_page(self):
        # No webhook subscription: every order's webhook is missed.
        self.backend.action_shopify_sync_locations()
        self.backend._shopify_import_catalog()
        created = [self.create_order() for _ in range(5)]
        self.assertFalse(self.deliveries())
        self.assertFalse(self.events())
        result = self.backend._shopify_catch_up_orders(page_size=2)
        self.assertIn("5 orders seen", result)
        calls = [
            c
            for c in self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")
            if c.get("operation") == "Orders"
        ]
        self.assertEqual(len(calls), 3)  # 2 + 2 + 1
        self.run_jobs()
        for shopify_order in created:
            self.assertEqual(self.order_of(shopify_order).state, "sale")
        self.assertEqual(set(self.events().mapped("source")), {"poll"})
        # A second catch-up stores nothing new.
        self.assertIn("0 new", self.backend._shopify_catch_up_orders(page_size=2))


@tagged("post_install", "-at_install")
class TestShopifyCatalogue(ShopifyCase):
    def test_products_odoo_owns_are_created_on_shopify_and_bound(self):
        hat = self.env["product.product"].create(
            {"name": "Odoo-only hat", "default_code": "ODOO-HAT", "list_price": 15, "sale_ok": True}
        )
        self.backend.action_shopify_sync_locations()
        self.backend.shopify_export_products = True
        self.backend._shopify_import_catalog()
        variants = self.backend._shopify_call(
            'query V { productVariants(first: 10, query: "sku:ODOO-HAT") { nodes { sku price } } }',
            operation="V",
        )["productVariants"]["nodes"]
        self.assertEqual(variants, [{"sku": "ODOO-HAT", "price": "15.00"}])
        binding = self.env["integration.binding"]._find(self.backend, "product.product", "ODOO-HAT")
        self.assertEqual(binding.res_id, hat.id)
        self.assertTrue(binding.extra["inventory_item_id"])
        # Products Shopify already has are bound, not created again.
        self.assertEqual(
            set(
                self.env["integration.binding"]
                .search(
                    [("backend_id", "=", self.backend.id), ("res_model", "=", "product.product")]
                )
                .mapped("external_id")
            )
            & set(SKUS),
            set(SKUS),
        )

    def test_a_product_is_created_without_odoos_price_when_the_channel_owns_prices(self):
        self.env["product.product"].create(
            {
                "name": "Odoo-only scarf",
                "default_code": "ODOO-SCARF",
                "list_price": 9,
                "sale_ok": True,
            }
        )
        self.env.ref("integration_governance.sor_price").write(
            {"owner_scope": "role", "owner_role": "sales_channel"}
        )
        self.backend.action_shopify_sync_locations()
        self.backend.shopify_export_products = True
        self.backend._shopify_import_catalog()
        variants = [
            call["variables"]["input"]["variants"][0]
            for call in self.control("GET", f"/_sandbox/shops/{DOMAIN}/calls")
            if call.get("operation") == "ProductSet"
        ]
        scarf = [variant for variant in variants if variant["sku"] == "ODOO-SCARF"]
        self.assertEqual(len(scarf), 1, "the product Odoo owns is created")
        self.assertFalse(
            [variant for variant in variants if "price" in variant],
            "the channel owns prices: Odoo sends none",
        )
