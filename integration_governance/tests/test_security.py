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


class TestLeastPrivilege(GovernanceCase):
    """Issue 11: lifecycle fields, forged lineage, side tables, pipeline fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.exc_a = cls.Exc.raise_exception(
            "mapping", "A broke", system=cls.shop, external_ref="A-1", payload={"total": 1}
        )
        cls.exc_a.team_id = cls.team_a
        cls.exc_b = cls.Exc.raise_exception(
            "mapping", "B broke", system=cls.shop, external_ref="B-1"
        )
        cls.exc_b.team_id = cls.team_b
        (cls.exc_a | cls.exc_b)._set_state("in_progress", "looking")

    # ------------------------------------------------- contract lifecycle
    def test_manager_cannot_approve_his_version_by_writing_state(self):
        _c, version = self.make_contract()
        mine = version.with_user(self.manager)
        for vals in (
            {"state": "approved"},
            {"state": "active"},
            {"approver_id": self.approver.id},
            {"approved_on": "2026-01-01 00:00:00"},
            {"compatibility_ok": True},
        ):
            with self.assertRaises(AccessError):
                mine.write(vals)
        mine.action_submit()
        with self.assertRaises(AccessError):
            mine.write({"state": "approved"})
        self.assertEqual(version.state, "review")

    def test_approver_cannot_take_authorship_then_approve(self):
        _c, version = self.make_contract(author=self.approver2)
        version.with_user(self.approver2).action_submit()
        # The author cannot move authorship to someone else to self-approve.
        with self.assertRaises(AccessError):
            version.with_user(self.approver2).write({"author_id": self.manager.id})
        with self.assertRaises(AccessError):
            version.with_user(self.approver2).action_approve()
        # Nor can another approver, manager or not, rewrite the author.
        with self.assertRaises(AccessError):
            version.with_user(self.approver).write({"author_id": self.approver.id})
        version.with_user(self.approver).action_approve()
        self.assertEqual(version.state, "approved")
        self.assertEqual(version.approver_id, self.approver)

    def test_create_refuses_lifecycle_values(self):
        contract, version = self.make_contract()
        Version = self.Version.with_user(self.manager)
        base = {"contract_id": contract.id, "schema_json": version.schema_json}
        with self.assertRaises(AccessError):
            Version.create({**base, "version": "2.0.0", "state": "active"})
        with self.assertRaises(AccessError):
            Version.create({**base, "version": "2.0.0", "author_id": self.approver.id})
        with self.assertRaises(AccessError):
            Version.create({**base, "version": "2.0.0", "approver_id": self.approver.id})
        with self.assertRaises(AccessError):
            version.with_user(self.manager).copy({"version": "2.0.0", "state": "approved"})
        # Even sudo goes through the workflow: only the shipped-schema path skips it.
        with self.assertRaises(AccessError):
            self.Version.sudo().create({**base, "version": "2.0.0", "state": "active"})
        draft = Version.create({**base, "version": "2.0.0"})
        self.assertEqual((draft.state, draft.author_id), ("draft", self.manager))
        shipped = self.Version._create_shipped({**base, "version": "3.0.0"})
        self.assertEqual(shipped.state, "active")

    def test_lifecycle_methods_check_groups(self):
        _c, version = self.make_contract()
        with self.assertRaises(AccessError):
            version.with_user(self.user).action_submit()
        with self.assertRaises(AccessError):
            version.with_user(self.user).action_check_compatibility()
        with self.assertRaises(AccessError):
            version.with_user(self.user).action_new_version()
        self.activate(version)
        self.assertEqual(version.state, "active")
        with self.assertRaises(AccessError):
            version.with_user(self.approver).action_deprecate()

    # ------------------------------------------------------------- lineage
    def test_lineage_rows_only_through_the_service(self):
        for user in (self.user, self.manager):
            with self.assertRaises(AccessError):
                self.Lineage.with_user(user).create({"trace_id": "c" * 32, "step": "note"})
        # Even with sudo: the hash chain is the service's to write.
        with self.assertRaises(AccessError):
            self.Lineage.sudo().create({"trace_id": "c" * 32, "step": "note"})
        self.assertTrue(self.Lineage.record_step("note", trace_id="c" * 32, message="ok"))

    def test_chain_check_catches_a_forged_row(self):
        """A row inserted behind the service's back, hashed the public way."""
        from ..lib import payload as payload_lib
        from ..models.integration_lineage import _chained

        trace = "d" * 32
        first = self.Lineage.record_step("received", trace_id=trace, system=self.shop)
        self.assertFalse(self.Lineage.check_chain([trace]))
        values = {
            "trace_id": trace,
            "step": "imported",
            "recorded_at": "2026-01-01 00:00:00",
            "outcome": "success",
            "message": "forged",
        }
        forged_hash = payload_lib.chain_hash(first.row_hash, _chained(values))
        self.env.cr.execute(
            "INSERT INTO integration_lineage (trace_id, step, recorded_at, outcome, message, "
            "prev_hash, row_hash) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [
                trace,
                "imported",
                values["recorded_at"],
                "success",
                "forged",
                first.row_hash,
                forged_hash,
            ],
        )
        forged_id = self.env.cr.fetchone()[0]
        breaks = self.Lineage.check_chain([trace])
        self.assertEqual([b["lineage_id"] for b in breaks], [forged_id])

    def test_check_chain_action_checks_groups(self):
        row = self.Lineage.record_step("note", system=self.shop)
        with self.assertRaises(AccessError):
            row.with_user(self.user).browse().action_check_chain()
        result = row.with_user(self.user).action_check_chain()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(
            self.Lineage.with_user(self.manager).action_check_chain()["tag"], "display_notification"
        )

    # --------------------------------------------------------- side tables
    def test_side_tables_follow_the_exception_team(self):
        Transition = self.env["integration.exception.transition"].with_user(self.user)
        seen = Transition.search([("exception_id", "in", (self.exc_a | self.exc_b).ids)])
        self.assertEqual(seen.exception_id, self.exc_a)
        Lineage = self.Lineage.with_user(self.user)
        seen = Lineage.search([("exception_id", "in", (self.exc_a | self.exc_b).ids)])
        self.assertEqual(seen.exception_id, self.exc_a)
        with self.assertRaises(AccessError):
            self.exc_b.transition_ids.with_user(self.user).read(["reason"])
        # A manager sees both.
        seen = (
            self.env["integration.exception.transition"]
            .with_user(self.manager)
            .search([("exception_id", "in", (self.exc_a | self.exc_b).ids)])
        )
        self.assertEqual(seen.exception_id, self.exc_a | self.exc_b)
        # Steps without an exception stay visible to every integration user.
        step = self.Lineage.record_step("note", system=self.shop)
        self.assertEqual(step.with_user(self.user).read(["step"])[0]["step"], "note")

    # -------------------------------------------------------- exceptions
    def test_user_writes_working_fields_only(self):
        mine = self.exc_a.with_user(self.user)
        mine.write({"user_id": self.user.id, "severity": "high"})
        for vals in (
            {"state": "resolved"},
            {"payload": {"total": 1000}},
            {"source_model": "res.partner", "source_id": 1},
            {"replay_count": 0},
        ):
            with self.assertRaises(AccessError):
                mine.write(vals)
        mine.action_resolve("fixed upstream")
        self.assertEqual(self.exc_a.state, "resolved")
        self.assertEqual(self.exc_a.transition_ids[:1].to_state, "resolved")
        with self.assertRaises(AccessError):
            self.exc_b.with_user(self.user).action_resolve("not mine")

    def test_edit_workflow_fields_are_not_writable(self):
        Edit = self.env["integration.exception.edit"].with_user(self.user)
        edit = Edit.create(
            {
                "exception_id": self.exc_a.id,
                "payload_before": '{"total": 1000}',  # a lie: the original is kept
                "payload_after": '{"total": 1000}',
            }
        )
        self.assertEqual(edit.payload_before.replace(" ", "").replace("\n", ""), '{"total":1}')
        for vals in ({"state": "approved"}, {"approver_id": self.manager.id}, {"result": "x"}):
            with self.assertRaises(AccessError):
                edit.write(vals)
        with self.assertRaises(AccessError):
            Edit.create({"exception_id": self.exc_a.id, "state": "approved"})
        with self.assertRaises(AccessError):
            Edit.create({"exception_id": self.exc_b.id, "payload_after": "{}"})
        with self.assertRaises(AccessError):
            edit.with_user(self.other_user).action_reject()
