from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyReconcileOrders(ShopifyCase):
    def window(self):
        now = fields.Datetime.now()
        return now - timedelta(hours=1), now + timedelta(minutes=1)

    def test_order_without_webhook_healed_through_the_inbox(self):
        # No webhook subscription: the store's order never reaches Odoo by itself.
        self.backend.action_shopify_sync_locations()
        self.backend._shopify_import_catalog()
        shopify_order = self.create_order()
        self.assertFalse(self.deliveries())
        self.assertFalse(self.events())
        run = self.backend._reconcile_orders(*self.window())
        self.assertEqual(
            (run.kind, run.state, run.compared_count, run.mismatched_count, run.healed_count),
            ("orders", "done", 1, 1, 1),
        )
        self.assertEqual(run.line_ids.key, shopify_order["admin_graphql_api_id"])
        self.assertEqual(run.line_ids.external_value, shopify_order["name"])
        event = self.events()
        self.assertEqual((event.source, event.state), ("poll", "received"))
        # Described as its webhook would be (_shopify_describe): the same identity.
        self.assertEqual(event.external_id, shopify_order["admin_graphql_api_id"])
        self.assertTrue(event.dedup_key.startswith(f"order:{shopify_order['id']}:"))
        self.run_jobs()
        self.assertEqual(event.state, "done", event.last_error)
        order = self.order_of(shopify_order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.client_order_ref, shopify_order["name"])
        again = self.backend._reconcile_orders(*self.window())
        self.assertEqual((again.compared_count, again.mismatched_count), (1, 0))
        # A second sale order bound to the same Shopify order (by its GID): raised.
        duplicate = order.copy()
        self.env["integration.binding"].create(
            {
                "backend_id": self.backend.id,
                "res_model": "sale.order",
                "res_id": duplicate.id,
                "external_id": shopify_order["admin_graphql_api_id"],
            }
        )
        third = self.backend._reconcile_orders(*self.window())
        line = third.line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual(line.resolution, "exception")
        self.assertIn("bound twice", line.odoo_value)
        self.assertIn(order.name, line.odoo_value)
        self.assertIn(duplicate.name, line.odoo_value)
        self.assertTrue(line.exception_id)
        self.assertEqual(len(self.events()), 1, "a bound order is not re-imported")
