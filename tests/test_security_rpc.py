"""The suite's promises under attack, through real RPC.

Users of each group (portal, Integration User, Integration Manager,
Governance Approver, administrator) call the suite's models the way a
script would: JSON-RPC ``/web/dataset/call_kw`` with a session, and
``/json/2/<model>/<method>`` with an API key. Each refusal is asserted, and
so is each permission, so that a fix that refuses everything fails too.
``tests/test_security_public_methods.py`` lists who may call what.
"""

import json
from datetime import datetime, timedelta

from odoo.tests.common import HttpCase, new_test_user

GRP = "integration_governance.group_"
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"name": {"type": "string"}},
}
# Services meant for code: refused over RPC to everyone, administrator included.
PRIVATE_SERVICES = [
    ("integration.lineage", "record_step", ["note"], {"message": "forged"}),
    ("integration.lineage", "record_steps", [[{"step": "note"}]], {}),
    ("integration.lineage", "check_chain", [], {}),
    ("integration.exception", "raise_exception", ["mapping", "forged"], {}),
    ("integration.exception", "dry_run", [], {}),
    ("integration.contract", "validate_payload", ["canonical.order", {}], {}),
    ("integration.contract.version", "validate", [{}], {}),
    ("integration.contract.version", "classification_of", ["$.name"], {}),
    ("integration.contract.version", "mask_payload", [{}], {}),
    ("integration.sor.rule", "filter_values", ["order", 1, {}], {}),
    ("integration.reconciliation.run", "start", ["stock", 1], {}),
    ("integration.reconciliation.run", "add_mismatch", ["k", "f", 1, 2], {}),
    (
        "integration.reconciliation.run",
        "add_mismatches",
        [[{"key": "k", "field_name": "f", "odoo_value": 1, "external_value": 2}]],
        {},
    ),
    ("integration.reconciliation.run", "finish", [0], {}),
    ("integration.trace.finder", "find_traces", [], {"query": "#1001"}),
    ("integration.trace.finder", "open_for", [], {"query": "#1001"}),
    ("integration.trace.finder", "find_journeys", [], {"query": "#1001"}),
    ("integration.trace", "journeys_of", [["0" * 32]], {}),
    ("integration.trace", "journey_of_record", [False], {}),
]
# Models a portal user must not read at all.
INTEGRATION_MODELS = [
    "integration.backend",
    "integration.backend.flow",
    "integration.binding",
    "integration.contract",
    "integration.contract.version",
    "integration.credential",
    "integration.event",
    "integration.exception",
    "integration.exception.edit",
    "integration.exception.transition",
    "integration.lineage",
    "integration.message",
    "integration.reconciliation.run",
    "integration.sor.rule",
    "integration.system",
    "integration.team",
    "integration.trace",
]


class TestSecurityRpc(HttpCase):
    # Outside odoo.addons, Odoo's test case does not tag itself.
    test_tags = {"standard", "post_install", "-at_install"}
    test_module = "suite"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.portal = new_test_user(cls.env, "sec_portal", groups="base.group_portal")
        cls.user = new_test_user(cls.env, "sec_user", groups=GRP + "integration_user")
        cls.manager = new_test_user(cls.env, "sec_manager", groups=GRP + "integration_manager")
        cls.approver = new_test_user(cls.env, "sec_approver", groups=GRP + "governance_approver")
        cls.admin = new_test_user(
            cls.env,
            "sec_admin",
            groups=f"base.group_system,{GRP}integration_manager,{GRP}governance_approver",
        )
        Team = cls.env["integration.team"]
        cls.team_a = Team.create({"name": "Sec A", "code": "sec_a", "member_ids": cls.user.ids})
        cls.team_b = Team.create({"name": "Sec B", "code": "sec_b"})
        cls.system = cls.env["integration.system"].create(
            {"name": "Sec shop", "code": "sec_shop", "role": "sales_channel"}
        )
        Exc = cls.env["integration.exception"]
        cls.exc_a = Exc.raise_exception("mapping", "A broke", system=cls.system, external_ref="A")
        cls.exc_b = Exc.raise_exception("mapping", "B broke", system=cls.system, external_ref="B")
        cls.exc_a.team_id, cls.exc_b.team_id = cls.team_a, cls.team_b
        (cls.exc_a | cls.exc_b)._set_state("in_progress", "looking")
        cls.contract = cls.env["integration.contract"].create(
            {"name": "Sec order", "code": "sec.order", "business_object": "order"}
        )
        cls.version = (
            cls.env["integration.contract.version"]
            .with_user(cls.manager)
            .create({"contract_id": cls.contract.id, "schema_json": json.dumps(SCHEMA)})
        )
        cls.backend = cls.env["integration.backend"].create(
            {"name": "Sec backend", "code": "sec_backend", "channel_type": "test_channel"}
        )
        cls.env["integration.credential"]._store_secret(cls.backend, "access_token", "tok-123")
        cls.keys = {}
        for user in (cls.portal, cls.user, cls.admin):
            cls.keys[user] = (
                cls.env["res.users.apikeys"]
                .with_user(user)
                .sudo()
                ._generate("rpc", "security test", datetime.now() + timedelta(days=1))
            )

    # ----------------------------------------------------------- helpers
    def call(self, model, method, args=(), kwargs=None, ids=None):
        """JSON-RPC call_kw in the current session: ("ok", result) or ("error", name, message)."""
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs or {}}
        if ids is not None:
            params["args"] = [ids, *params["args"]]
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        body = response.json()
        if "error" in body:
            data = body["error"]["data"]
            return ("error", data["name"], data["message"])
        return ("ok", body.get("result"))

    def json2(self, user, model, method, ids=None, **kwargs):
        """/json/2 with the user's API key: (HTTP status, decoded body)."""
        payload = dict(kwargs)
        if ids is not None:
            payload["ids"] = ids
        # No session: the API key alone authenticates (call as_user again after).
        if getattr(self, "session", None):
            self.logout()
        response = self.url_open(
            f"/json/2/{model}/{method}",
            data=json.dumps(payload),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.keys[user]}",
            },
        )
        return response.status_code, response.json()

    def as_user(self, user):
        self.authenticate(user.login, user.login)

    def assertRefused(self, result, why="AccessError"):
        self.assertEqual(result[0], "error", result)
        self.assertIn(why, f"{result[1]} {result[2]}", result)

    def assertAllowed(self, result):
        self.assertEqual(result[0], "ok", result)
        return result[1]

    # ------------------------------------------------------------- tests
    def test_services_are_not_rpc_methods(self):
        """Forging lineage, raising exceptions, running reconciliations: the
        services are for code only, whoever calls (administrator included)."""
        ids = {
            "integration.exception": self.exc_a.ids,
            "integration.contract.version": self.version.ids,
        }
        for user in (self.portal, self.user, self.manager, self.approver, self.admin):
            self.as_user(user)
            for model, method, args, kwargs in PRIVATE_SERVICES:
                with self.subTest(user=user.login, method=f"{model}.{method}"):
                    result = self.call(model, method, args, kwargs, ids=ids.get(model))
                    self.assertRefused(result, "cannot be called remotely")
        for user in (self.portal, self.admin):
            for model, method, _args, _kwargs in PRIVATE_SERVICES[:4]:
                status, body = self.json2(user, model, method, ids=ids.get(model))
                self.assertNotEqual(status, 200, (model, method, body))
                self.assertIn("cannot be called remotely", json.dumps(body))
        self.assertFalse(
            self.env["integration.lineage"].search_count([("message", "=", "forged")]),
            "a lineage row was forged",
        )
        # Permission side: the API key works, reading is allowed.
        status, body = self.json2(self.admin, "integration.lineage", "search_count", domain=[])
        self.assertEqual(status, 200, body)

    def test_portal_reads_and_calls_nothing(self):
        self.as_user(self.portal)
        for model in INTEGRATION_MODELS:
            with self.subTest(model=model):
                self.assertRefused(self.call(model, "search_read", [[]], {"fields": ["id"]}))
        self.assertRefused(self.call("integration.exception", "action_take", ids=self.exc_a.ids))
        self.assertRefused(
            self.call(
                "integration.backend", "action_regenerate_webhook_token", ids=self.backend.ids
            )
        )
        self.assertRefused(
            self.call("integration.lineage", "create", [{"trace_id": "e" * 32, "step": "note"}])
        )
        status, _body = self.json2(self.portal, "integration.exception", "search_read", domain=[])
        self.assertNotEqual(status, 200)

    def test_lineage_cannot_be_forged_or_changed(self):
        row = self.env["integration.lineage"].record_step("note", system=self.system)
        vals = {"trace_id": row.trace_id, "step": "imported", "message": "forged"}
        for user in (self.user, self.manager, self.admin):
            self.as_user(user)
            with self.subTest(user=user.login):
                self.assertRefused(self.call("integration.lineage", "create", [vals]))
                self.assertRefused(
                    self.call("integration.lineage", "write", [{"message": "x"}], ids=row.ids),
                    "append-only",
                )
                self.assertRefused(
                    self.call("integration.lineage", "unlink", ids=row.ids), "append-only"
                )
                rows = self.assertAllowed(
                    self.call("integration.lineage", "read", [["step"]], ids=row.ids)
                )
                self.assertEqual(rows[0]["step"], "note")
        self.assertFalse(self.env["integration.lineage"].check_chain([row.trace_id]))

    def test_contract_approval_cannot_be_bypassed(self):
        V = "integration.contract.version"
        ids = self.version.ids
        self.as_user(self.manager)
        for vals in ({"state": "approved"}, {"approver_id": self.manager.id}):
            self.assertRefused(self.call(V, "write", [vals], ids=ids))
        self.assertRefused(
            self.call(
                V,
                "create",
                [{"contract_id": self.contract.id, "version": "9.0.0", "state": "active"}],
            )
        )
        self.assertRefused(self.call(V, "action_approve", ids=ids))  # not an approver
        self.assertAllowed(self.call(V, "write", [{"retention_days": 10}], ids=ids))
        self.assertAllowed(self.call(V, "action_submit", ids=ids))
        self.as_user(self.approver)
        self.assertRefused(self.call(V, "write", [{"author_id": self.approver.id}], ids=ids))
        self.assertRefused(self.call(V, "write", [{"state": "approved"}], ids=ids))
        self.assertRefused(self.call(V, "action_activate", ids=ids))  # not a manager
        self.assertAllowed(self.call(V, "action_approve", ids=ids))
        self.as_user(self.user)
        self.assertRefused(self.call(V, "action_deprecate", ids=ids))
        self.assertRefused(self.call(V, "action_check_compatibility", ids=ids))
        self.as_user(self.manager)
        self.assertAllowed(self.call(V, "action_activate", ids=ids))
        self.assertEqual(self.version.state, "active")
        self.assertEqual(self.version.approver_id, self.approver)
        self.assertEqual(self.version.author_id, self.manager)

    def test_backend_actions_need_a_manager(self):
        B = "integration.backend"
        ids = self.backend.ids
        token = self.backend.webhook_token
        flows = self.env["integration.backend.flow"].search([("backend_id", "=", self.backend.id)])
        if not flows:
            flows = flows.create({"backend_id": self.backend.id, "flow": "orders_in"})
        actions = [
            "action_regenerate_webhook_token",
            "action_rotate_secrets",
            "action_pause",
            "action_activate",
            "action_disable",
            "action_shopify_clear_attention",
            "action_shopify_test_connection",
            "action_shopify_sync_locations",
            "action_shopify_import_catalog",
            "action_shopify_check_webhooks",
            "action_sync_stock",
        ]
        for user in (self.user, self.approver):
            self.as_user(user)
            for action in actions:
                with self.subTest(user=user.login, action=action):
                    self.assertRefused(self.call(B, action, ids=ids))
            self.assertRefused(self.call(B, "write", [{"state": "active"}], ids=ids))
            self.assertRefused(
                self.call("integration.backend.flow", "write", [{"mode": "off"}], ids=flows.ids)
            )
            self.assertRefused(
                self.call(
                    "integration.backend.flow",
                    "create",
                    [{"backend_id": self.backend.id, "flow": "returns_in"}],
                )
            )
            self.assertRefused(self.call("integration.credential", "search_read", [[]]))
            self.assertAllowed(self.call(B, "read", [["name"]], ids=ids))
        self.assertEqual(self.backend.webhook_token, token)
        # Requeueing inbox events (and so enqueueing drain jobs) is a manager's.
        event_id = self.env["integration.event"]._insert_received(
            self.backend, {"topic": "orders/create", "dedup_key": "rpc-requeue"}, {}, {}
        )
        # Even on a done event, which it would not write: it enqueues a drain job.
        self.env["integration.event"].browse(event_id).state = "done"
        self.as_user(self.user)
        self.assertRefused(self.call("integration.event", "action_requeue", ids=[event_id]))
        self.as_user(self.manager)
        self.assertAllowed(self.call("integration.event", "action_requeue", ids=[event_id]))
        status, _body = self.json2(self.user, B, "action_rotate_secrets", ids=ids)
        self.assertNotEqual(status, 200)
        self.as_user(self.manager)
        self.assertAllowed(self.call(B, "action_regenerate_webhook_token", ids=ids))
        self.assertNotEqual(self.backend.webhook_token, token)
        self.assertAllowed(self.call(B, "action_rotate_secrets", ids=ids))
        self.assertAllowed(self.call(B, "action_pause", ids=ids))
        self.assertEqual(self.backend.state, "paused")
        self.assertAllowed(
            self.call("integration.backend.flow", "write", [{"mode": "batch"}], ids=flows.ids)
        )
        self.assertEqual(set(flows.mapped("mode")), {"batch"})
        status, _body = self.json2(self.admin, B, "action_activate", ids=ids)
        self.assertEqual(status, 200)
        self.assertEqual(self.backend.state, "active")

    def test_user_works_own_team_exceptions_only(self):
        E = "integration.exception"
        self.as_user(self.user)
        seen = self.assertAllowed(self.call(E, "search_read", [[]], {"fields": ["id"]}))
        self.assertIn(self.exc_a.id, [r["id"] for r in seen])
        self.assertNotIn(self.exc_b.id, [r["id"] for r in seen])
        for model in ("integration.exception.transition", "integration.lineage"):
            rows = self.assertAllowed(
                self.call(
                    model,
                    "search_read",
                    [[("exception_id", "!=", False)]],
                    {"fields": ["exception_id"]},
                )
            )
            self.assertNotIn(self.exc_b.id, [r["exception_id"][0] for r in rows], model)
            self.assertIn(self.exc_a.id, [r["exception_id"][0] for r in rows], model)
        self.assertRefused(self.call(E, "read", [["name"]], ids=self.exc_b.ids))
        self.assertRefused(self.call(E, "action_resolve", ["not mine"], ids=self.exc_b.ids))
        self.assertRefused(self.call(E, "write", [{"state": "resolved"}], ids=self.exc_a.ids))
        self.assertRefused(self.call(E, "write", [{"payload": {"x": 1}}], ids=self.exc_a.ids))
        self.assertRefused(self.call(E, "create", [{"name": "x", "category": "mapping"}]))
        self.assertAllowed(self.call(E, "write", [{"severity": "high"}], ids=self.exc_a.ids))
        self.assertAllowed(self.call(E, "action_resolve", ["fixed"], ids=self.exc_a.ids))
        self.assertEqual(self.exc_a.state, "resolved")
        self.assertRefused(
            self.call("integration.reconciliation.line", "action_heal", ids=[]), "AccessError"
        )
        self.as_user(self.manager)
        seen = self.assertAllowed(self.call(E, "search_read", [[]], {"fields": ["id"]}))
        self.assertIn(self.exc_b.id, [r["id"] for r in seen])
