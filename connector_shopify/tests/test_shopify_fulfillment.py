from odoo.tests import tagged

from .common import DOMAIN, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyFulfillment(ShopifyCase):
    def setUp(self):
        super().setUp()
        self.connect()
        self.put_in_stock(20)
        self.carrier = self.env["delivery.carrier"].create(
            {
                "name": "Test Post",
                "product_id": self.backend.shipping_product_id.id,
                "tracking_url": "https://track.example.com/<shipmenttrackingnumber>",
            }
        )

    def import_order(self, **kwargs):
        shopify_order = self.create_order(**kwargs)
        self.wait_deliveries(len(self.deliveries_ok()) + 1)
        self.run_jobs(include_future=True)
        order = self.order_of(shopify_order)
        self.assertEqual(order.state, "sale")
        return shopify_order, order

    def deliveries_ok(self):
        data = self.deliveries()
        items = data.get("deliveries", data) if isinstance(data, dict) else data
        return [d for d in items if 200 <= (d.get("status") or 0) < 300]

    def validate(self, picking, quantities, tracking):
        picking.carrier_id = self.carrier
        picking.carrier_tracking_ref = tracking
        for move in picking.move_ids:
            move.quantity = quantities.get(move.product_id.default_code, 0)
            move.picked = True
        picking.with_context(skip_backorder=False).button_validate()
        backorder_wizard = (
            self.env["stock.backorder.confirmation"]
            .with_context(button_validate_picking_ids=picking.ids)
            .create({"pick_ids": [(4, picking.id)]})
            if picking.state != "done"
            else None
        )
        if backorder_wizard:
            backorder_wizard.process()
        self.assertEqual(picking.state, "done")

    def fulfillments(self, shopify_order):
        data = self.control("GET", f"/_sandbox/shops/{DOMAIN}/fulfillments")
        items = data.get("fulfillments", data) if isinstance(data, dict) else data
        return [
            f
            for f in items
            if str(f.get("order_id"))
            in (str(shopify_order["id"]), shopify_order.get("admin_graphql_api_id"))
        ]

    def fulfil_on_shopify(self, shopify_order):
        fulfillment_orders = self.control(
            "GET", f"/_sandbox/shops/{DOMAIN}/orders/{shopify_order['id']}/fulfillment_orders"
        )
        self.backend._shopify_call(
            "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) "
            "{ userErrors { message } } }",
            {
                "f": {
                    "lineItemsByFulfillmentOrder": [
                        {"fulfillmentOrderId": f"gid://shopify/FulfillmentOrder/{fo['id']}"}
                        for fo in fulfillment_orders
                    ]
                }
            },
            operation=None,
        )

    def test_partial_then_full_delivery_fulfils_with_tracking(self):
        shopify_order, order = self.import_order()
        picking = order.picking_ids
        self.validate(picking, {"SHOP-TEE-M": 1, "SHOP-MUG": 1}, "TRACK-1")
        self.run_jobs(include_future=True)
        fulfillments = self.fulfillments(shopify_order)
        self.assertEqual(len(fulfillments), 1)
        self.assertEqual(fulfillments[0]["tracking_number"], "TRACK-1")
        self.assertEqual(fulfillments[0]["tracking_company"], "Test Post")
        self.assertEqual(fulfillments[0]["tracking_url"], "https://track.example.com/TRACK-1")
        self.assertEqual(sum(line["quantity"] for line in fulfillments[0]["line_items"]), 2)
        backorder = order.picking_ids - picking
        self.assertEqual(len(backorder), 1)
        self.validate(backorder, {"SHOP-TEE-M": 1}, "TRACK-2")
        self.run_jobs(include_future=True)
        fulfillments = self.fulfillments(shopify_order)
        self.assertEqual(len(fulfillments), 2)
        # One trace from the Shopify order through the sale order to both fulfillments.
        trace = self.backend._trace_of(order)
        exported = self.env["integration.lineage"].search(
            [("trace_id", "=", trace), ("step", "=", "exported")]
        )
        self.assertEqual(len(exported), 2)

    def test_refused_fulfillment_is_an_exception_for_fulfilment(self):
        shopify_order, order = self.import_order()
        # The order was fulfilled elsewhere (e.g. by hand in Shopify's admin).
        self.fulfil_on_shopify(shopify_order)
        self.validate(order.picking_ids, {"SHOP-TEE-M": 2, "SHOP-MUG": 1}, "TRACK-9")
        self.run_jobs(include_future=True)
        exception = self.env["integration.exception"].search(
            [("business_object", "=", "shipment"), ("name", "ilike", order.picking_ids.name)]
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.team_id, self.env.ref("integration_governance.team_fulfilment"))

    def test_shopify_outage_postpones_the_fulfillment_job(self):
        shopify_order, order = self.import_order()
        self.control("POST", f"/_sandbox/shops/{DOMAIN}/faults", {"fail_next": 1, "status": 503})
        self.validate(order.picking_ids, {"SHOP-TEE-M": 2, "SHOP-MUG": 1}, "TRACK-5")
        jobs = self.run_jobs()
        fulfil = [job for job in jobs if job.method_name == "_export_shipment"]
        self.assertEqual(fulfil[0].state, "pending", "postponed, not failed")
        self.assertFalse(self.fulfillments(shopify_order))
        self.run_jobs(include_future=True)
        self.assertEqual(len(self.fulfillments(shopify_order)), 1)
