from datetime import timedelta

from odoo import fields
from odoo.tests.common import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    """The back office's journeys in a browser (Odoo's tours): find an order
    from its channel number and follow its journey; read the dashboard and
    open the failing system's errors. (Take, fix and replay an exception:
    connector_base/tests/test_tours.py.)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.Lineage = cls.env["integration.lineage"]
        cls.Exc = cls.env["integration.exception"]
        cls.team = cls.env["integration.team"].create(
            {
                "name": "Tour team",
                "code": "tour_team",
                "member_ids": [(4, cls.env.ref("base.user_admin").id)],
            }
        )

    def test_find_an_order_from_its_channel_number_and_follow_its_journey(self):
        shop = self.env["integration.system"].create(
            {"name": "Tour Shop", "code": "tour_shop", "role": "sales_channel"}
        )
        partner = self.env["res.partner"].create({"name": "Journey Buyer"})
        product = self.env["product.product"].create({"name": "Tour Tee", "list_price": 20})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "client_order_ref": "#T-9001",
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
            }
        )
        trace = self.Lineage.record_step("received", system=shop, external_ref="#T-9001").trace_id
        self.Lineage.record_step(
            "imported", trace_id=trace, system=shop, external_ref="#T-9001", record=order
        )
        exception = self.Exc.raise_exception(
            "data_quality", "Phone number missing", system=shop, trace_id=trace
        )
        exception.team_id = self.team
        self.start_tour(
            "/odoo/action-integration_governance.action_integration_trace_finder",
            "integration_journey_tour",
            login="admin",
        )

    def test_read_the_dashboard_and_open_the_failing_systems_errors(self):
        failing = self.env["integration.system"].create(
            {"name": "Failing shop", "code": "tour_failing", "role": "sales_channel"}
        )
        trace = self.Lineage.record_step("received", system=failing).trace_id
        self.Lineage.record_step("exception", trace_id=trace, system=failing, outcome="failure")
        exception = self.Exc.raise_exception(
            "transport", "Tour failure: the shop answers 503", system=failing, trace_id=trace
        )
        exception.write(
            {"team_id": self.team.id, "sla_deadline": fields.Datetime.now() - timedelta(hours=1)}
        )
        self.start_tour(
            "/odoo/action-integration_governance.action_integration_overview",
            "integration_dashboard_tour",
            login="admin",
        )
