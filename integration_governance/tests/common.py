import json

from odoo.tests.common import TransactionCase, new_test_user, tagged

CLOSED_ORDER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "total", "lines"],
    "properties": {
        "name": {"type": "string", "pattern": "^#[0-9]+$"},
        "email": {"type": "string", "x-classification": "personal"},
        "total": {"type": "number", "minimum": 0, "x-classification": "financial"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sku", "quantity"],
                "properties": {
                    "sku": {"type": "string", "minLength": 1},
                    "quantity": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
}


@tagged("post_install", "-at_install")
class GovernanceCase(TransactionCase):
    """Users for each role, a channel system and a contract to play with."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        grp = "integration_governance.group_integration_"
        cls.user = new_test_user(cls.env, "ig_user", groups=grp + "user")
        cls.other_user = new_test_user(cls.env, "ig_other", groups=grp + "user")
        cls.manager = new_test_user(cls.env, "ig_manager", groups=grp + "manager")
        cls.approver = new_test_user(
            cls.env, "ig_approver", groups="integration_governance.group_governance_approver"
        )
        cls.approver2 = new_test_user(
            cls.env,
            "ig_approver2",
            groups="integration_governance.group_governance_approver," + grp + "manager",
        )
        cls.Team = cls.env["integration.team"]
        cls.team_a = cls.Team.create(
            {
                "name": "Team A",
                "code": "t_a",
                "member_ids": [(6, 0, cls.user.ids)],
                "lead_id": cls.manager.id,
                "default_sla_hours": 10,
            }
        )
        cls.team_b = cls.Team.create(
            {"name": "Team B", "code": "t_b", "member_ids": [(6, 0, cls.other_user.ids)]}
        )
        cls.System = cls.env["integration.system"]
        cls.odoo = cls.env.ref("integration_governance.system_odoo")
        cls.shop = cls.System.create(
            {"name": "Shop X", "code": "shop_x", "role": "sales_channel", "system_type": "shopx"}
        )
        cls.shop2 = cls.System.create(
            {"name": "Shop Y", "code": "shop_y", "role": "sales_channel", "system_type": "shopy"}
        )
        cls.wms = cls.System.create(
            {"name": "WMS", "code": "wms_x", "role": "logistics", "system_type": "wmsx"}
        )
        cls.Exc = cls.env["integration.exception"]
        cls.Lineage = cls.env["integration.lineage"]
        cls.Route = cls.env["integration.exception.route"]
        cls.Contract = cls.env["integration.contract"]
        cls.Version = cls.env["integration.contract.version"]

    @classmethod
    def make_contract(cls, code="t.order", schema=None, author=None):
        contract = cls.Contract.create(
            {
                "name": code,
                "code": code,
                "business_object": "order",
                "system_id": cls.shop.id,
                "owner_team_id": cls.team_a.id,
            }
        )
        version = cls.Version.with_user(author or cls.manager).create(
            {
                "contract_id": contract.id,
                "version": "1.0.0",
                "schema_json": json.dumps(schema or CLOSED_ORDER),
            }
        )
        return contract, version

    @classmethod
    def activate(cls, version, approver=None):
        version.with_user(cls.manager).action_submit()
        version.with_user(approver or cls.approver).action_approve()
        version.with_user(cls.manager).action_activate()
        return version
