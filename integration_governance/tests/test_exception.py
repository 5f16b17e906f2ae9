from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from .common import CLOSED_ORDER, GovernanceCase


class ExceptionCase(GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Route.search([]).active = False
        cls.route_mapping = cls.Route.create(
            {"category": "mapping", "team_id": cls.team_a.id, "sequence": 50}
        )
        cls.route_mapping_wms = cls.Route.create(
            {
                "category": "mapping",
                "system_id": cls.wms.id,
                "team_id": cls.team_b.id,
                "sequence": 90,
            }
        )
        cls.route_fallback = cls.Route.create({"team_id": cls.team_b.id, "sequence": 100})
        cls.env["integration.sla.policy"].create(
            {"team_id": cls.team_a.id, "severity": "critical", "resolve_hours": 1}
        )
        cls.Source = cls.env["integration.test.source"]


class TestRaiseAndRoute(ExceptionCase):
    def test_routing_most_specific_wins(self):
        exc = self.Exc.raise_exception("mapping", "Unknown SKU", system=self.wms)
        self.assertEqual(exc.team_id, self.team_b)
        exc = self.Exc.raise_exception("mapping", "Unknown SKU", system=self.shop)
        self.assertEqual(exc.team_id, self.team_a)
        exc = self.Exc.raise_exception("transport", "timeout", system=self.shop)
        self.assertEqual(exc.team_id, self.team_b, "fallback route")

    def test_sla_deadline_from_team_policy(self):
        before = fields.Datetime.now()
        critical = self.Exc.raise_exception("mapping", "x", severity="critical", system=self.shop)
        medium = self.Exc.raise_exception("mapping", "y", severity="medium", system=self.shop)
        self.assertAlmostEqual((critical.sla_deadline - before).total_seconds(), 3600, delta=5)
        self.assertAlmostEqual((medium.sla_deadline - before).total_seconds(), 10 * 3600, delta=5)

    def test_fingerprint_groups_occurrences(self):
        first = self.Exc.raise_exception(
            "mapping", "Unknown SKU Z", system=self.shop, external_ref="Z", impact_amount=10
        )
        again = self.Exc.raise_exception(
            "mapping", "Unknown SKU Z", system=self.shop, external_ref="Z", impact_amount=40
        )
        self.assertEqual(first, again)
        self.assertEqual(first.occurrence_count, 2)
        self.assertEqual(first.impact_amount, 40)
        other = self.Exc.raise_exception(
            "mapping", "Unknown SKU Q", system=self.shop, external_ref="Q"
        )
        self.assertNotEqual(other, first)
        first.action_resolve("fixed")
        reopened = self.Exc.raise_exception(
            "mapping", "Unknown SKU Z", system=self.shop, external_ref="Z"
        )
        self.assertNotEqual(reopened, first, "a closed exception does not absorb new ones")

    def test_queue_ordered_by_impact(self):
        small = self.Exc.raise_exception("mapping", "s", system=self.shop, impact_amount=5)
        big = self.Exc.raise_exception("mapping", "b", system=self.shop, impact_amount=500)
        queue = self.Exc.search([("id", "in", (small | big).ids)])
        self.assertEqual(queue.ids, [big.id, small.id])

    def test_state_changes_need_a_reason_and_are_recorded(self):
        exc = self.Exc.raise_exception("mapping", "r", system=self.shop)
        with self.assertRaises(UserError):
            exc.action_ignore("")
        exc.with_user(self.user).action_take()
        self.assertEqual((exc.state, exc.user_id), ("in_progress", self.user))
        wizard = self.env["integration.exception.state.wizard"].create(
            {"exception_ids": [(6, 0, exc.ids)], "target_state": "resolved", "reason": "mapped"}
        )
        wizard.action_confirm()
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.transition_ids[0].reason, "mapped")
        self.assertEqual(exc.transition_ids.mapped("to_state"), ["resolved", "in_progress"])
        with self.assertRaises(UserError):
            exc.action_resolve("again")

    def test_escalation_of_sla_breaches(self):
        exc = self.Exc.raise_exception("mapping", "late", system=self.shop)
        on_time = self.Exc.raise_exception("mapping", "on time", system=self.shop)
        exc.sla_deadline = fields.Datetime.now() - timedelta(minutes=1)
        self.assertTrue(exc.sla_breached)
        self.assertIn(exc, self.Exc.search([("sla_breached", "=", True)]))
        escalated = self.Exc._cron_escalate_sla_breaches()
        self.assertIn(exc, escalated)
        self.assertNotIn(on_time, escalated)
        self.assertTrue(exc.escalated_on)
        self.assertEqual(exc.activity_ids.user_id, self.manager, "the team lead")
        self.assertNotIn(exc, self.Exc._cron_escalate_sla_breaches(), "escalated once")

    def test_retention_purges_payload_copies(self):
        old = self.Exc.raise_exception("mapping", "old", system=self.shop, payload={"a": 1})
        fresh = self.Exc.raise_exception("mapping", "fresh", system=self.shop, payload={"b": 2})
        old.sudo().write({"first_seen": fields.Datetime.now() - timedelta(days=31)})
        purged = self.Exc._cron_purge_payloads()
        self.assertEqual(purged, old)
        self.assertFalse(old.payload)
        self.assertTrue(old.payload_purged)
        self.assertEqual(fresh.payload, {"b": 2})
        self.assertEqual(old.name, "old", "the exception itself stays")


class TestReplay(ExceptionCase):
    def raise_for(self, payload, **kw):
        source = self.Source.create({"name": "event", "payload": payload})
        exc = self.Exc.raise_exception(
            "mapping",
            kw.pop("message", "import failed"),
            system=self.shop,
            source=source,
            payload=payload,
            **kw,
        )
        return source, exc

    def test_replay_success(self):
        source, exc = self.raise_for({"name": "Replayed Partner", "email": "r@x.org"})
        exc.action_replay()
        self.assertEqual(exc.state, "replayed")
        self.assertEqual(source.partner_id.name, "Replayed Partner")
        self.assertEqual(exc.related_record, source.partner_id)
        with self.assertRaises(UserError):
            exc.action_replay()

    def test_replay_failure_keeps_it_open_and_rolls_back(self):
        _source, exc = self.raise_for({"name": "Bad", "fail": True})
        count = self.env["res.partner"].search_count([])
        exc.action_replay()
        self.assertEqual(exc.state, "new")
        self.assertEqual(exc.replay_count, 1)
        self.assertIn("cannot import", exc.last_replay_error)
        self.assertEqual(self.env["res.partner"].search_count([]), count)

    def test_bulk_replay(self):
        good = [self.raise_for({"name": f"P{i}"}, message=f"m{i}")[1] for i in range(3)]
        _s, bad = self.raise_for({"name": "B", "fail": True}, message="bad")
        all_ = self.Exc.browse([e.id for e in good] + [bad.id])
        all_.action_bulk_replay()
        self.assertEqual(set(all_.mapped("state")), {"replayed", "new"})
        self.assertEqual(bad.state, "new")

    def test_dry_run_leaves_database_unchanged(self):
        source, exc = self.raise_for({"name": "Dry Partner", "email": "d@x.org"})
        partners = self.env["res.partner"].search_count([])
        result = exc.dry_run()
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Dry Partner")]))
        self.assertFalse(source.partner_id)
        self.assertEqual(exc.state, "new")
        created = [c for c in result["changes"] if c["model"] == "res.partner"]
        self.assertEqual(created[0]["operation"], "create")
        self.assertEqual(created[0]["changes"]["name"][1], "Dry Partner")
        self.assertIn("create res.partner", exc.dry_run_report)

    def test_not_replayable_source(self):
        exc = self.Exc.raise_exception("mapping", "no source", system=self.shop)
        with self.assertRaises(UserError):
            exc.action_replay()


class TestEditAndReplay(ExceptionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "email": {"type": "string"},
                "credit_limit": {"type": "number", "x-classification": "financial"},
            },
        }
        cls.contract, cls.version = cls.make_contract("t.partner", schema)
        cls.activate(cls.version)

    def raise_contract_exception(self, payload):
        source = self.Source.create({"name": "evt", "payload": payload})
        return self.Exc.raise_exception(
            "mapping",
            "bad partner",
            system=self.shop,
            source=source,
            payload=payload,
            contract_version=self.version,
        )

    def edit(self, exc, text, user=None):
        action = exc.with_user(user or self.manager).action_edit_and_replay()
        edit = self.env["integration.exception.edit"].browse(action["res_id"])
        edit.payload_after = text
        return edit

    def test_edit_shows_diff_and_is_revalidated(self):
        exc = self.raise_contract_exception({"name": "X"})
        edit = self.edit(exc, '{"name": "X", "surname": 1}')
        self.assertIn('+  "surname": 1', edit.diff)
        self.assertIn("$.surname", edit.violations_text)
        with self.assertRaises(UserError):
            edit.action_apply()
        self.assertEqual(exc.state, "new")
        edit.payload_after = '{"name": "Xavier"}'
        self.assertFalse(edit.violations_text)
        self.assertFalse(edit.needs_approval)
        edit.action_apply()
        self.assertEqual(edit.state, "applied")
        self.assertEqual(exc.state, "replayed")
        self.assertEqual(exc.related_record.name, "Xavier")

    def test_financial_edit_needs_a_second_person(self):
        exc = self.raise_contract_exception({"name": "Fin", "credit_limit": 100})
        edit = self.edit(exc, '{"name": "Fin", "credit_limit": 900}', user=self.manager)
        self.assertTrue(edit.needs_approval)
        self.assertEqual(edit.financial_paths, "$.credit_limit")
        edit.with_user(self.manager).action_apply()
        self.assertEqual(edit.state, "pending")
        self.assertEqual(exc.state, "new", "nothing replayed before approval")
        with self.assertRaises(AccessError):
            edit.with_user(self.manager).action_approve()  # the author
        with self.assertRaises(AccessError):
            edit.with_user(self.user).action_approve()  # no approver rights
        edit.with_user(self.approver2).action_approve()
        self.assertEqual(edit.state, "applied")
        self.assertEqual(edit.approver_id, self.approver2)
        self.assertEqual(exc.state, "replayed")
        self.assertIn("credit 900", exc.related_record.comment)


class TestSchemaIsUsable(GovernanceCase):
    def test_closed_order_fixture_is_valid(self):
        _contract, version = self.make_contract("t.fixture", CLOSED_ORDER)
        self.assertTrue(version.field_ids)
