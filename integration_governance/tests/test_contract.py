import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules import get_manifest

from .common import CLOSED_ORDER, GovernanceCase

VALID = {"name": "#1001", "total": 12.5, "lines": [{"sku": "A", "quantity": 2}]}


class TestContractValidation(GovernanceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract, cls.v1 = cls.make_contract()
        cls.activate(cls.v1)

    def paths(self, payload):
        result = self.Contract.validate_payload("t.order", payload)
        return {(v["path"], v["validator"]) for v in result["violations"]}

    def test_valid_payload(self):
        result = self.Contract.validate_payload("t.order", VALID)
        self.assertTrue(result["valid"])
        self.assertEqual(result["violations"], [])
        self.assertEqual(result["version"], self.v1)

    def test_every_violation_with_its_path(self):
        payload = {
            "name": "1001",
            "total": -1,
            "coupon": "X",
            "lines": [{"sku": "A", "quantity": 1}, {"sku": "", "quantity": "2", "gift": True}],
        }
        self.assertEqual(
            self.paths(payload),
            {
                ("$.name", "pattern"),
                ("$.total", "minimum"),
                ("$.coupon", "additionalProperties"),
                ("$.lines[1].sku", "minLength"),
                ("$.lines[1].quantity", "type"),
                ("$.lines[1].gift", "additionalProperties"),
            },
        )

    def test_missing_required_and_empty_array(self):
        self.assertEqual(
            self.paths({"name": "#1", "lines": []}),
            {("$", "required"), ("$.lines", "minItems")},
        )

    def test_validator_compiled_once_per_version(self):
        first = self.v1._validator()
        self.v1.validate(VALID)
        self.assertIs(self.v1._validator(), first)

    def test_unknown_contract_and_inactive_contract(self):
        with self.assertRaises(UserError):
            self.Contract.validate_payload("nope", VALID)
        self.make_contract("t.draft_only")
        with self.assertRaises(UserError):
            self.Contract.validate_payload("t.draft_only", VALID)

    def test_schema_must_be_closed_and_valid(self):
        open_schema = dict(CLOSED_ORDER, additionalProperties=True)
        with self.assertRaises(ValidationError):
            self.make_contract("t.open", open_schema)
        with self.assertRaises(ValidationError):
            self.make_contract(
                "t.bad",
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"a": {"type": "banana"}},
                },
            )

    def test_fields_classified_from_schema(self):
        self.assertEqual(self.v1.classification_of("$.total"), "financial")
        self.assertEqual(self.v1.classification_of("$.email"), "personal")
        self.assertEqual(self.v1.classification_of("$.lines[3].sku"), "internal")
        masked = self.v1.mask_payload(dict(VALID, email="a@b.c"))
        self.assertEqual(masked["email"], "***")
        self.assertEqual(masked["total"], 12.5)


class TestContractLifecycle(GovernanceCase):
    def test_approval_by_another_approver_only(self):
        _contract, version = self.make_contract(author=self.approver2)
        version.with_user(self.manager).action_submit()
        self.assertEqual(version.state, "review")
        with self.assertRaises(AccessError):  # the author, although an approver
            version.with_user(self.approver2).action_approve()
        with self.assertRaises(AccessError):  # a plain user
            version.with_user(self.user).action_approve()
        with self.assertRaises(AccessError):  # a manager who is no approver
            version.with_user(self.manager).action_approve()
        self.assertEqual(version.state, "review")
        version.with_user(self.approver).action_approve()
        self.assertEqual(version.state, "approved")
        self.assertEqual(version.approver_id, self.approver)

    def test_user_cannot_submit_or_activate(self):
        _contract, version = self.make_contract()
        with self.assertRaises(AccessError):
            version.with_user(self.user).action_submit()
        version.with_user(self.manager).action_submit()
        version.with_user(self.approver).action_approve()
        with self.assertRaises(AccessError):
            version.with_user(self.approver).action_activate()

    def test_schema_frozen_after_draft(self):
        _contract, version = self.make_contract()
        version.with_user(self.manager).action_submit()
        with self.assertRaises(UserError):
            version.schema_json = json.dumps(CLOSED_ORDER)

    def test_activation_deprecates_previous_and_lists_now_passing(self):
        contract, v1 = self.make_contract()
        self.activate(v1)
        with_gift = dict(VALID, gift_note="hi")
        parked = self.Exc.raise_exception(
            "contract",
            "gift_note not allowed",
            system=self.shop,
            payload=with_gift,
            contract_version=v1,
            violations=v1.validate(with_gift),
        )
        still_bad = self.Exc.raise_exception(
            "contract",
            "bad name",
            system=self.shop,
            payload=dict(VALID, name="x"),
            contract_version=v1,
        )
        schema = json.loads(json.dumps(CLOSED_ORDER))
        schema["properties"]["gift_note"] = {"type": "string"}
        v2 = self.Version.with_user(self.manager).create(
            {"contract_id": contract.id, "version": "1.1.0", "schema_json": json.dumps(schema)}
        )
        self.activate(v2)
        self.assertEqual(v1.state, "deprecated")
        self.assertEqual(contract.active_version_id, v2)
        self.assertIn(parked, v2.replay_candidate_ids)
        self.assertNotIn(still_bad, v2.replay_candidate_ids)
        v1.with_user(self.manager).action_retire()
        self.assertEqual(v1.state, "retired")


class TestCompatibility(GovernanceCase):
    def new_version(self, contract, number, schema, mode="backward", transitive=False):
        return self.Version.with_user(self.manager).create(
            {
                "contract_id": contract.id,
                "version": number,
                "schema_json": json.dumps(schema),
                "compatibility_mode": mode,
                "compatibility_transitive": transitive,
            }
        )

    def setUp(self):
        super().setUp()
        self.contract, self.v1 = self.make_contract()
        self.activate(self.v1)

    def test_optional_property_added_is_backward_compatible(self):
        schema = json.loads(json.dumps(CLOSED_ORDER))
        schema["properties"]["gift_note"] = {"type": "string"}
        v2 = self.new_version(self.contract, "1.1.0", schema)
        v2.action_check_compatibility()
        self.assertTrue(v2.compatibility_ok, v2.compatibility_report)
        self.assertIn("Compatible (backward)", v2.compatibility_report)
        forward = self.new_version(self.contract, "1.2.0", schema, mode="forward")
        forward.action_check_compatibility()
        self.assertFalse(forward.compatibility_ok)
        self.assertIn("gift_note", forward.compatibility_report)

    def test_new_required_property_breaks_backward(self):
        schema = json.loads(json.dumps(CLOSED_ORDER))
        schema["properties"]["channel"] = {"type": "string"}
        schema["required"].append("channel")
        v2 = self.new_version(self.contract, "1.1.0", schema)
        v2.action_check_compatibility()
        self.assertFalse(v2.compatibility_ok)
        self.assertIn("channel", v2.compatibility_report)
        with self.assertRaises(UserError):
            v2.with_user(self.manager).action_submit()
        # The same change is accepted as a new major version.
        v3 = self.new_version(self.contract, "2.0.0", schema)
        v3.with_user(self.manager).action_submit()
        self.assertEqual(v3.state, "review")
        self.assertIn("major version", v3.compatibility_report)

    def test_removed_property_breaks_forward(self):
        schema = json.loads(json.dumps(CLOSED_ORDER))
        del schema["properties"]["total"]
        schema["required"].remove("total")
        v2 = self.new_version(self.contract, "1.1.0", schema, mode="forward")
        v2.action_check_compatibility()
        self.assertFalse(v2.compatibility_ok)
        self.assertIn("total", v2.compatibility_report)

    def test_transitive_check_against_all_earlier_versions(self):
        schema = json.loads(json.dumps(CLOSED_ORDER))
        schema["properties"]["gift_note"] = {"type": "string"}
        v2 = self.new_version(self.contract, "1.1.0", schema)
        self.activate(v2)
        # v3 drops gift_note again: fine against v1, breaking against v2.
        v3 = self.new_version(self.contract, "1.2.0", CLOSED_ORDER, transitive=True)
        v3.action_check_compatibility()
        self.assertIn("against v1.1.0", v3.compatibility_report)
        self.assertIn("Compatible (backward) with v1.0.0", v3.compatibility_report)
        self.assertFalse(v3.compatibility_ok)


class TestShippedContracts(GovernanceCase):
    """A version shipped with an addon records its origin in place of an
    approver; a retailer can require its own approval before it goes live."""

    def shipped(self, version):
        contract = self.Contract.search([("code", "=", "t.shipped")]) or self.Contract.create(
            {"name": "Shipped", "code": "t.shipped", "business_object": "order"}
        )
        return self.Version._create_shipped(
            {
                "contract_id": contract.id,
                "version": version,
                "schema_json": json.dumps(CLOSED_ORDER),
            },
            module="integration_governance",
        )

    def test_shipped_version_records_its_addon_and_goes_live(self):
        version = self.shipped("1.0.0")
        self.assertEqual(version.state, "active")
        self.assertEqual(version.origin_module, "integration_governance")
        self.assertEqual(
            version.origin_module_version, get_manifest("integration_governance")["version"]
        )
        self.assertFalse(version.approver_id)
        # The origin is a lifecycle field: nobody writes it by hand.
        with self.assertRaises(AccessError):
            version.with_user(self.manager).write({"origin_module": "forged"})
        draft = self.Version.with_user(self.manager).create(
            {
                "contract_id": version.contract_id.id,
                "version": "1.1.0",
                "schema_json": json.dumps(CLOSED_ORDER),
            }
        )
        self.assertFalse(draft.origin_module)

    def test_retailer_can_require_its_own_approval_of_shipped_baselines(self):
        self.env["res.config.settings"].create(
            {"integration_shipped_need_approval": True}
        ).execute()
        version = self.shipped("2.0.0")
        self.assertEqual(version.state, "review")
        self.assertEqual(version.origin_module, "integration_governance")
        with self.assertRaises(UserError):
            version.with_user(self.manager).action_activate()
        version.with_user(self.approver).action_approve()
        version.with_user(self.manager).action_activate()
        self.assertEqual(version.state, "active")
        self.assertEqual(version.approver_id, self.approver)
