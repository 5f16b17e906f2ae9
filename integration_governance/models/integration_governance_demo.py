import json
from datetime import timedelta

from odoo import api, fields, models

ORDER_V1 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "currency", "total_price", "lines"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "pattern": "^#[0-9]+$"},
        "email": {"type": "string", "format": "email", "x-classification": "personal"},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "total_price": {"type": "number", "minimum": 0, "x-classification": "financial"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["sku", "quantity", "price"],
                "properties": {
                    "sku": {"type": "string", "minLength": 1},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": {"type": "number", "minimum": 0, "x-classification": "financial"},
                },
            },
        },
    },
}


class IntegrationGovernanceDemo(models.AbstractModel):
    """Builds the demo through the services themselves, so that the demo
    trace is hash-chained and the demo exceptions are routed like real ones."""

    _name = "integration.governance.demo"
    _description = "Integration governance demo data"

    @api.model
    def _populate(self):
        ref = self.env.ref
        contract = ref("integration_governance.contract_demo_order")
        Version = self.env["integration.contract.version"].sudo()
        architect = ref("integration_governance.user_demo_architect")
        v1 = Version.with_user(architect).create(
            {
                "contract_id": contract.id,
                "version": "1.0.0",
                "schema_json": json.dumps(ORDER_V1, indent=2),
                "retention_days": 30,
                "latency_sla_minutes": 5,
            }
        )
        v1.with_user(architect).action_submit()
        v1.with_user(ref("base.user_admin")).action_approve()  # another person approves
        v1.with_user(architect).action_activate()

        v2_schema = json.loads(json.dumps(ORDER_V1))
        v2_schema["properties"]["gift_note"] = {"type": "string", "maxLength": 200}
        v2_schema["properties"]["lines"]["items"]["properties"]["sku"]["maxLength"] = 32
        v2 = Version.with_user(architect).create(
            {
                "contract_id": contract.id,
                "version": "1.1.0",
                "schema_json": json.dumps(v2_schema, indent=2),
                "compatibility_mode": "backward",
            }
        )
        v2.action_check_compatibility()

        shop = ref("integration_governance.system_demo_shopify")
        tpl = ref("integration_governance.system_demo_3pl")
        Lineage = self.env["integration.lineage"]
        Exc = self.env["integration.exception"]
        partner = ref("base.res_partner_2", raise_if_not_found=False)
        order = self.env["sale.order"].sudo().search([], limit=1)

        trace = Lineage.record_step(
            "received",
            system=shop,
            external_ref="#1001",
            duration_ms=3,
            message="orders/create webhook",
        ).trace_id
        Lineage.record_step(
            "validated",
            trace_id=trace,
            system=shop,
            external_ref="#1001",
            duration_ms=2,
            message="demo.shop.order v1.0.0: valid",
        )
        Lineage.record_step(
            "filtered",
            trace_id=trace,
            system=shop,
            external_ref="#1001",
            outcome="warning",
            message="System-of-record filter refused: price",
        )
        Lineage.record_step(
            "imported",
            trace_id=trace,
            system=shop,
            external_ref="#1001",
            record=order or None,
            duration_ms=41,
            message="sale order created and confirmed",
        )
        Lineage.record_step(
            "sent",
            trace_id=trace,
            system=tpl,
            direction="outbound",
            external_ref="#1001",
            record=order or None,
            duration_ms=120,
            message="fulfilment order sent to the warehouse",
        )
        Lineage.record_step(
            "acknowledged",
            trace_id=trace,
            system=tpl,
            external_ref="#1001",
            message="warehouse accepted the order",
        )

        bad = {
            "id": 1002,
            "name": "#1002",
            "currency": "EUR",
            "total_price": 30.0,
            "lines": [{"sku": "UNKNOWN-SKU", "quantity": 1, "price": 30.0}],
        }
        Exc.raise_exception(
            "mapping",
            "Unknown SKU UNKNOWN-SKU on order #1002",
            severity="high",
            system=shop,
            business_object="order",
            external_ref="#1002",
            payload=bad,
            impact_amount=30.0,
            contract_version=v1,
        )
        invalid = {
            "id": "1003",
            "name": "1003",
            "currency": "EURO",
            "total_price": -5,
            "lines": [],
            "coupon": "X",
        }
        found = v1.validate(invalid)
        Exc.raise_exception(
            "contract",
            "Order #1003 breaks demo.shop.order v1.0.0",
            severity="medium",
            system=shop,
            business_object="order",
            external_ref="#1003",
            payload=invalid,
            violations=found,
            contract_version=v1,
            impact_amount=0.0,
        )
        late = Exc.raise_exception(
            "business_rule",
            "Shipment for #0998 has no tracking number",
            severity="high",
            system=tpl,
            business_object="shipment",
            external_ref="#0998",
            record=partner,
        )
        late.sudo().write({"sla_deadline": fields.Datetime.now() - timedelta(hours=2)})
        price = Exc.raise_exception(
            "sor_conflict",
            "Shopify sent price 19.00 for FURN_0001; Odoo owns prices",
            severity="medium",
            system=shop,
            business_object="price",
            external_ref="FURN_0001",
        )
        price.action_take()
        auth = Exc.raise_exception(
            "authentication",
            "Marketplace token expired",
            system=ref("integration_governance.system_demo_marketplace"),
        )
        auth._set_state("resolved", "Token renewed in the vault.")
        dup = Exc.raise_exception(
            "duplicate",
            "Order #0990 delivered twice by the channel",
            severity="low",
            system=shop,
            business_object="order",
            external_ref="#0990",
        )
        dup._set_state("ignored", "Expected: Shopify retries webhooks.")

        run = self.env["integration.reconciliation.run"].start(
            "stock", tpl, fields.Datetime.now() - timedelta(days=1), fields.Datetime.now()
        )
        run.add_mismatch("FURN_0001", "quantity", 12, 10, heal=False)
        run.add_mismatch("FURN_0002", "quantity", 4, 5, heal=False)
        run.finish(compared_count=120)
        shop.sudo().last_success_at = fields.Datetime.now() - timedelta(minutes=3)
        tpl.sudo().last_success_at = fields.Datetime.now() - timedelta(minutes=11)
        return True
