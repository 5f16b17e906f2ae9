from odoo.tests import tagged

from .common import DOMAIN, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyRefund(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.connect()
        self.put_in_stock(20)

    def test_refund_becomes_credit_note_and_return(self):
        shopify_order = self.create_order()
        self.wait_deliveries(1)
        self.run_jobs(include_future=True)
        order = self.order_of(shopify_order)
        self.assertEqual(order.state, "sale")
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/orders/{shopify_order['id']}/refunds",
            {"lines": [{"sku": "SHOP-MUG", "quantity": 1, "restock_type": "return"}]},
        )
        self.wait_deliveries(2)
        self.run_jobs(include_future=True)
        refund_event = self.events().filtered(lambda e: e.topic == "refunds/create")
        self.assertEqual(refund_event.state, "done", refund_event.last_error)
        credit_note = self.env["account.move"].browse(refund_event.res_id)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_total, 20.0, places=2)
        returns = order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertEqual(len(returns), 1)
        self.assertEqual(returns.move_ids.product_id.default_code, "SHOP-MUG")
        self.assertEqual(returns.move_ids.product_uom_qty, 1)
