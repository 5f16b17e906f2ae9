import time

from odoo.tests import tagged

from .common import DOMAIN, ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyJourney(ShopifyCase):
    """One Shopify order is one journey: its webhook, the catch-up poll of a
    later version, the sale order, the delivery and the fulfillment; a second
    system (the test channel, as a 3PL will) joins the same journey."""

    def setUp(self):
        super().setUp()
        self.connect()
        self.put_in_stock(20)

    def test_webhook_poll_fulfillment_and_a_second_system_share_one_journey(self):
        shopify_order = self.create_order()
        self.wait_deliveries(1)
        self.run_jobs(include_future=True)
        order = self.order_of(shopify_order)
        self.assertEqual(order.state, "sale")
        # A later version of the order whose webhook never reached Odoo: the
        # catch-up poll brings it in as orders/updated.
        time.sleep(1.1)
        self.control(
            "POST",
            f"/_sandbox/shops/{DOMAIN}/orders/{shopify_order['id']}/update",
            {"note": "gift"},
        )
        self.assertIn("1 new", self.backend._shopify_catch_up_orders())
        self.run_jobs(include_future=True)
        events = self.events()
        self.assertEqual(set(events.mapped("source")), {"webhook", "poll"})
        self.assertEqual(set(events.mapped("topic")), {"orders/create", "orders/updated"})
        self.assertEqual(len(set(events.mapped("trace_id"))), 1, "one trace for both events")
        trace_id = events[0].trace_id

        Trace = self.env["integration.trace"]
        journey = Trace.journey_of_record(order)
        self.assertEqual(journey.trace_id, trace_id)
        self.assertEqual(journey.name, order.display_name)
        self.assertEqual(journey.partner_id, order.partner_id)
        self.assertEqual(journey.amount_total, order.amount_total)

        # The delivery's fulfillment joins the order's trace.
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        self.run_jobs(include_future=True)
        exported = self.env["integration.lineage"].search(
            [("trace_id", "=", trace_id), ("step", "=", "exported")]
        )
        self.assertEqual(exported.res_id, picking.id)

        # A second system (the test channel) about the same order: its own
        # delivery derives its own trace, which joins the order's journey
        # once it lands on the order.
        channel = self.env["integration.backend"].create(
            {"name": "Warehouse partner", "code": "wh_partner", "channel_type": "test_channel"}
        )
        self.env["integration.binding"]._bind(channel, order, "770077")
        payload = {
            "id": 770077,
            "name": "#770077",
            "currency": order.currency_id.name,
            "created_at": "2026-12-01T10:00:00Z",
            "updated_at": "2026-12-01T10:00:00Z",
            "total": order.amount_total,
            "lines": [{"sku": "SHOP-MUG", "qty": 1, "price": 1.0}],
        }
        Event = self.env["integration.event"]
        description = channel._webhook_describe({"X-Test-Topic": "orders/updated"}, payload)
        event = Event.browse(Event._insert_received(channel, description, payload, {}))
        self.assertNotEqual(event.trace_id, trace_id)
        event._process()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(Trace.journey_of_record(order), journey)
        self.assertIn(event.trace_id, journey._journey_trace_ids())

        # "Where is…?" finds the one journey from any system's reference.
        Finder = self.env["integration.trace.finder"]
        for query in (order.name, "770077", trace_id):
            finder = Finder.create({"query": query})
            self.assertEqual(finder.journey_ids, journey, query)
            self.assertIn(order.partner_id.name, finder.timeline)
        # The channel's order number (the demo data may hold another #1001).
        self.assertIn(journey, Finder.create({"query": shopify_order["name"]}).journey_ids)
        # The sale order links to the order in Shopify's admin.
        self.assertEqual(order.channel_backend_id, self.backend)
        self.assertEqual(order.channel_order_ref, shopify_order["name"])
        shop = DOMAIN.split(".")[0]
        self.assertEqual(
            order.channel_admin_url,
            f"https://admin.shopify.com/store/{shop}/orders/{shopify_order['id']}",
        )
        finder = Finder.create({"query": order.name})
        systems = set(finder.lineage_ids.mapped("system_id"))
        self.assertEqual(systems, {self.backend.system_id, channel.system_id})
        self.assertIn("Warehouse partner", finder.timeline)
        self.assertEqual(order.integration_trace_count, 1)
