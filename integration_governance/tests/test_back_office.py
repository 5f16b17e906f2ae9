from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError

from .common import GovernanceCase


class TestBackOffice(GovernanceCase):
    """The exception queue as a to-do list, the overview's graphs and counts,
    and the ownership matrix."""

    def test_integration_user_lands_on_their_teams_open_queue(self):
        Exc = self.Exc
        action = Exc.with_user(self.user).action_open_queue()
        self.assertEqual(action["res_model"], "integration.exception")
        self.assertEqual(
            action["context"], {"search_default_open": 1, "search_default_my_teams": 1}
        )
        action = Exc.with_user(self.manager).action_open_queue()
        self.assertEqual(action["context"], {"search_default_open": 1})
        outsider = self.env["res.users"].create({"name": "Outsider", "login": "outsider_q"})
        with self.assertRaises(AccessError):
            Exc.with_user(outsider).action_open_queue()
        # Most urgent first: the list's default order is the SLA deadline.
        arch = self.env.ref("integration_governance.integration_exception_view_list").arch
        self.assertIn('default_order="sla_deadline, severity_rank desc"', arch)
        self.assertIn('widget="sla_countdown"', arch)

    def test_overview_counts_sla_at_risk_and_opens_the_list(self):
        soon = self.Exc.raise_exception("mapping", "Soon due", system=self.shop)
        soon.sla_deadline = fields.Datetime.now() + timedelta(minutes=50)
        later = self.Exc.raise_exception("mapping", "Due later", system=self.shop)
        later.sla_deadline = fields.Datetime.now() + timedelta(hours=30)
        late = self.Exc.raise_exception("mapping", "Overdue", system=self.shop)
        late.sla_deadline = fields.Datetime.now() - timedelta(hours=1)
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.sla_at_risk_count, 1)
        self.assertEqual(self.shop.sla_breach_count, 1)
        action = self.shop.with_user(self.manager).action_open_at_risk()
        self.assertEqual(self.Exc.with_user(self.manager).search(action["domain"]), soon)
        action = self.shop.with_user(self.manager).action_open_breaches()
        found = self.Exc.with_user(self.manager).search(
            action["domain"] + [("sla_breached", "=", True)]
        )
        self.assertEqual(found, late)

    def test_overview_graphs_throughput_and_errors_per_system(self):
        trace = self.Lineage.record_step("received", system=self.shop).trace_id
        self.Lineage.record_step("imported", trace_id=trace, system=self.shop)
        self.Lineage.record_step("exception", trace_id=trace, system=self.shop, outcome="failure")
        self.shop.invalidate_recordset()
        svg = str(self.shop.activity_24h)
        self.assertIn("<svg", svg)
        # This hour's bar: two steps through, one error (the red part).
        self.assertIn("2 ok, 1 errors", svg)
        self.assertIn("#dc3545", svg)
        self.assertIn("2 ok, 1 errors", str(self.shop.activity_7d))
        action = self.shop.with_user(self.user).action_open_activity_24h()
        self.assertEqual(action["res_model"], "integration.lineage")
        self.assertEqual(action["context"]["graph_groupbys"], ["recorded_at:hour", "outcome"])
        rows = self.Lineage.with_user(self.user).search(action["domain"])
        self.assertEqual(len(rows), 3)
        action = self.shop.with_user(self.user).action_open_activity_7d()
        self.assertEqual(action["context"]["graph_groupbys"], ["recorded_at:day", "outcome"])

    def test_ownership_matrix_says_who_owns_what_and_what_others_get(self):
        Rule = self.env["integration.sor.rule"]
        Rule.search([("business_object", "=", "shipment")]).write({"active": False})
        self.env.flush_all()
        Rule.create(
            {
                "business_object": "shipment",
                "owner_scope": "system",
                "owner_system_id": self.wms.id,
                "policy": "exception",
            }
        )
        Rule.create(
            {
                "business_object": "shipment",
                "field_name": "carrier_tracking_ref",
                "owner_scope": "system",
                "owner_system_id": self.wms.id,
                "policy": "fill_empty",
            }
        )
        matrix = self.env["integration.ownership.matrix"].with_user(self.user).create({})
        _systems, rows = matrix._cells()
        shipment = rows[("shipment", "")]["cells"]
        self.assertEqual(shipment[self.wms.id], "owner")
        self.assertEqual(shipment[self.shop.id], "exception")
        self.assertEqual(shipment[self.odoo.id], "exception")
        tracking = rows[("shipment", "carrier_tracking_ref")]["cells"]
        self.assertEqual(tracking[self.shop.id], "fill_empty")
        html = str(matrix.matrix)
        self.assertIn("WMS", html)
        self.assertIn("carrier_tracking_ref", html)
        self.assertIn("Fill empty", html)
        self.assertFalse(matrix.can_edit)
        with self.assertRaises(AccessError):
            matrix.action_edit_rules()
        manager_matrix = self.env["integration.ownership.matrix"].with_user(self.manager).create({})
        self.assertTrue(manager_matrix.can_edit)
        self.assertEqual(manager_matrix.action_edit_rules()["res_model"], "integration.sor.rule")
