import json
from pathlib import Path

from odoo import api, models

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
CANONICAL = {
    "order": "order",
    "customer": "customer",
    "product": "product",
    "stock_level": "stock",
    "shipment": "shipment",
    "return": "return",
    "settlement_line": "settlement",
}


class IntegrationContract(models.Model):
    _inherit = "integration.contract"

    @api.model
    def _load_canonical_contracts(self):
        """Load ``schemas/*.json`` as the active version 1.0.0 of each canonical contract."""
        return self._load_shipped_contracts(
            SCHEMAS,
            [
                {
                    "code": f"canonical.{name}",
                    "file": f"{name}.json",
                    "name": f"Canonical {name.replace('_', ' ')}",
                    "business_object": business_object,
                    "direction": "internal",
                }
                for name, business_object in CANONICAL.items()
            ],
            note="Shipped with connector_base.",
        )

    @api.model
    def _load_shipped_contracts(self, directory, specs, note="Shipped with the code."):
        """Load JSON Schema files as active version 1.0.0 of their contracts.

        ``specs``: dicts with code, file, name, business_object, direction and
        optionally owner_team (xmlid), retention_days, latency_sla_minutes.
        Shipped schemas are reviewed with the code: they are activated here
        without the approval workflow, which governs versions made in Odoo.
        """
        Version = self.env["integration.contract.version"].sudo()
        for spec in specs:
            schema = json.loads((Path(directory) / spec["file"]).read_text())
            team = self.env.ref(
                spec.get("owner_team", "integration_governance.team_integration_ops")
            )
            contract = self.sudo().search(
                [("code", "=", spec["code"])], limit=1
            ) or self.sudo().create(
                {
                    "name": spec["name"],
                    "code": spec["code"],
                    "business_object": spec["business_object"],
                    "direction": spec["direction"],
                    "owner_team_id": team.id,
                    "description": schema.get("description"),
                }
            )
            if contract.version_ids.filtered(lambda v: v.version == "1.0.0"):
                continue
            # Lifecycle fields change through the governance's private path only.
            Version._create_shipped(
                {
                    "contract_id": contract.id,
                    "version": "1.0.0",
                    "schema_json": json.dumps(schema, indent=2),
                    "retention_days": spec.get("retention_days", 30),
                    "latency_sla_minutes": spec.get("latency_sla_minutes", 5),
                    "compatibility_report": note,
                    "compatibility_ok": True,
                }
            )
        return True
