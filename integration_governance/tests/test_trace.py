from datetime import timedelta

from odoo import fields

from ..lib import payload as payload_lib
from .common import GovernanceCase


class TestTrace(GovernanceCase):
    """One trace per business transaction: insert-or-get, a subject, and
    traces of other systems joining the journey of the record they land on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Trace = cls.env["integration.trace"]
        cls.partner = cls.env["res.partner"].create({"name": "Grace Buyer"})
        cls.product = cls.env["product.product"].create({"name": "Mug", "list_price": 12.5})

    def make_order(self):
        return self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "client_order_ref": "#8801",
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})],
            }
        )

    def test_business_trace_id_is_derived_from_the_key(self):
        first = payload_lib.business_trace_id("shop_x", "orders", "gid://shopify/Order/1")
        self.assertRegex(first, r"^[0-9a-f]{32}$")
        self.assertEqual(
            first, payload_lib.business_trace_id("shop_x", "orders", "gid://shopify/Order/1")
        )
        self.assertNotEqual(
            first, payload_lib.business_trace_id("shop_y", "orders", "gid://shopify/Order/1")
        )
        self.assertNotEqual(
            first, payload_lib.business_trace_id("shop_x", "refunds", "gid://shopify/Order/1")
        )
        self.assertIsNone(payload_lib.business_trace_id("shop_x", "orders", None))

    def test_a_trace_is_recorded_once_and_gets_its_subject(self):
        order = self.make_order()
        trace_id = payload_lib.business_trace_id("shop_x", "orders", "1001")
        for step in ("received", "validated"):
            self.Lineage.record_step(step, trace_id=trace_id, system=self.shop, external_ref="1001")
        trace = self.Trace.search([("trace_id", "=", trace_id)])
        self.assertEqual(len(trace), 1)
        self.assertFalse(trace.res_model, "no subject before the transaction lands")
        self.Lineage.record_step(
            "imported", trace_id=trace_id, system=self.shop, external_ref="1001", record=order
        )
        self.assertEqual((trace.res_model, trace.res_id), ("sale.order", order.id))
        self.assertEqual(trace.name, order.display_name)
        self.assertEqual(trace.partner_id, self.partner)
        self.assertEqual(trace.amount_total, order.amount_total)
        self.assertIn("Shop X: 1001", trace.references)
        self.assertEqual(self.Trace.journey_of_record(order), trace)

    def test_another_systems_trace_joins_the_orders_journey(self):
        order = self.make_order()
        shop_trace = self.Lineage.record_step(
            "imported", system=self.shop, external_ref="1001", record=order
        ).trace_id
        # The warehouse's own delivery of the same order, on its own trace.
        picking = self.env["stock.picking"].create(
            {
                "partner_id": self.partner.id,
                "picking_type_id": self.env.ref("stock.picking_type_out").id,
            }
        )
        picking.sale_id = order
        wms = self.Lineage.record_step("received", system=self.wms, external_ref="SHIP-9")
        self.Lineage.record_step(
            "imported",
            trace_id=wms.trace_id,
            system=self.wms,
            external_ref="SHIP-9",
            record=picking,
        )
        journey = self.Trace.journey_of_record(order)
        self.assertEqual(journey.trace_id, shop_trace)
        self.assertEqual(journey._journey_trace_ids(), [shop_trace, wms.trace_id])
        self.assertEqual(self.Trace.journeys_of([wms.trace_id]), journey)
        self.assertEqual(order.integration_trace_count, 1)
        # A reconciliation step touching the order does not pull its run in.
        run = self.Lineage.record_step("reconciled", system=self.shop, record=order)
        self.assertNotIn(run.trace_id, journey._journey_trace_ids())

    def test_finder_shows_the_subject_and_lanes_per_system(self):
        order = self.make_order()
        trace_id = self.Lineage.record_step(
            "received", system=self.shop, external_ref="gid://shop/Order/77"
        ).trace_id
        self.Lineage.record_step(
            "imported",
            trace_id=trace_id,
            system=self.shop,
            external_ref="gid://shop/Order/77",
            record=order,
            duration_ms=40,
        )
        exc = self.Exc.raise_exception(
            "mapping", "SKU X unknown", system=self.shop, trace_id=trace_id
        )
        exc.team_id = self.team_a
        # An Integration User without sales rights finds it by the channel's reference.
        finder = (
            self.env["integration.trace.finder"]
            .with_user(self.user)
            .create({"query": "gid://shop/Order/77"})
        )
        self.assertEqual(finder.journey_ids.trace_id, trace_id)
        self.assertIn("Grace Buyer", str(finder.timeline))
        Finder = self.env["integration.trace.finder"]
        for query in (order.name, "#8801", "gid://shop/Order/77", trace_id):
            finder = Finder.create({"query": query})
            self.assertEqual(finder.journey_ids.trace_id, trace_id, query)
        html = str(finder.timeline)
        self.assertIn(order.display_name, html)
        self.assertIn("Grace Buyer", html)
        self.assertNotIn("Res Model", html)
        # Lanes: the channel's and Odoo's; the exception with its owner and SLA.
        self.assertIn(">Shop X<", html)
        self.assertIn(">Odoo<", html)
        self.assertIn(exc.display_name, html)
        self.assertIn("Team A", html)
        self.assertIn("left", html)
        self.assertIn(f"/odoo/sale.order/{order.id}", html)

    def test_sla_clock_says_time_left_and_overdue(self):
        exc = self.Exc.raise_exception("mapping", "SKU Y unknown", system=self.shop)
        exc.sla_deadline = fields.Datetime.now() + timedelta(hours=2, minutes=10, seconds=30)
        self.assertEqual(exc.sla_left, "2 h 10 min left")
        self.assertGreater(exc.sla_left_minutes, 120)
        exc.sla_deadline = fields.Datetime.now() - timedelta(minutes=35, seconds=10)
        self.assertEqual(exc.sla_left, "35 min overdue")
        self.assertTrue(exc.sla_breached)
        self.assertLess(exc.sla_left_minutes, 0)
        exc.first_seen = fields.Datetime.now() - timedelta(days=3, hours=4)
        self.assertEqual(exc.age, "3 d 4 h")
