from odoo.exceptions import AccessError

from .common import GovernanceCase


class TestSecurity(GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exc_a = cls.Exc.create({"name": "A", "category": "mapping", "team_id": cls.team_a.id})
        cls.exc_b = cls.Exc.create({"name": "B", "category": "mapping", "team_id": cls.team_b.id})

    def test_user_sees_and_works_only_own_team_exceptions(self):
        visible = self.Exc.with_user(self.user).search(
            [("id", "in", (self.exc_a | self.exc_b).ids)]
        )
        self.assertEqual(visible, self.exc_a)
        with self.assertRaises(AccessError):
            self.exc_b.with_user(self.user).read(["name"])
        with self.assertRaises(AccessError):
            self.exc_b.with_user(self.user).action_take()
        self.exc_a.with_user(self.user).action_take()
        self.assertEqual(self.exc_a.state, "in_progress")

    def test_team_lead_sees_team_exceptions(self):
        lead = self.other_user
        self.team_a.lead_id = lead
        visible = self.Exc.with_user(lead).search([("id", "in", (self.exc_a | self.exc_b).ids)])
        self.assertEqual(visible, self.exc_a | self.exc_b)

    def test_manager_sees_all(self):
        visible = self.Exc.with_user(self.manager).search(
            [("id", "in", (self.exc_a | self.exc_b).ids)]
        )
        self.assertEqual(visible, self.exc_a | self.exc_b)

    def test_user_cannot_configure(self):
        Rule = self.env["integration.sor.rule"].with_user(self.user)
        with self.assertRaises(AccessError):
            Rule.create({"business_object": "stock", "owner_scope": "odoo"})
        with self.assertRaises(AccessError):
            self.env["integration.system"].with_user(self.user).create({"name": "S", "code": "s"})
        with self.assertRaises(AccessError):
            self.env["integration.contract"].with_user(self.user).create(
                {"name": "c", "code": "c", "business_object": "order"}
            )
        with self.assertRaises(AccessError):
            self.Exc.with_user(self.user).create({"name": "x", "category": "mapping"})
        with self.assertRaises(AccessError):
            self.exc_a.with_user(self.user).unlink()
        # A manager can.
        self.env["integration.system"].with_user(self.manager).create({"name": "S", "code": "s"})

    def test_approver_can_approve_but_not_configure(self):
        with self.assertRaises(AccessError):
            self.env["integration.sor.rule"].with_user(self.approver).create(
                {"business_object": "stock", "owner_scope": "odoo"}
            )
        _c, version = self.make_contract()
        version.with_user(self.manager).action_submit()
        version.with_user(self.approver).action_approve()
        self.assertEqual(version.state, "approved")

    def test_lineage_read_only_for_everyone(self):
        row = self.Lineage.record_step("received", system=self.shop)
        self.assertEqual(row.with_user(self.user).read(["step"])[0]["step"], "received")
        with self.assertRaises(AccessError):
            self.Lineage.with_user(self.manager).create({"trace_id": "b" * 32, "step": "note"})

    def test_company_boundary(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        exc = self.Exc.create(
            {
                "name": "C",
                "category": "mapping",
                "team_id": self.team_a.id,
                "company_id": other_company.id,
            }
        )
        self.assertFalse(self.Exc.with_user(self.manager).search([("id", "=", exc.id)]))
        self.manager.company_ids = [(4, other_company.id)]
        self.assertEqual(
            self.Exc.with_user(self.manager)
            .with_context(allowed_company_ids=[self.env.company.id, other_company.id])
            .search([("id", "=", exc.id)]),
            exc,
        )
