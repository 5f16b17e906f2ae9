"""Inventory in the sandbox as any Shopify client sees it: the changes an
adjustment group reports, and the inventory_levels/update webhook."""

import json

from .sandbox_support import DOMAIN
from .test_sandbox_webhooks import WebhookCase

SET = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      reason
      changes { name delta quantityAfterChange ledgerDocumentUri item { id } location { id } }
    }
    userErrors { field message code }
  }
}
"""


class TestInventory(WebhookCase):
    def setUp(self):
        super().setUp()
        self.item = self.product["variants"][0]["inventory_item_gid"]
        self.location_gid = self.location["admin_graphql_api_id"]

    def test_an_adjustment_group_reports_its_changes(self):
        result = self.data(
            SET,
            {
                "key": "inventory-changes-1",
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": self.item,
                            "locationId": self.location_gid,
                            "quantity": 7,
                            "changeFromQuantity": 10,
                        }
                    ],
                },
            },
        )["inventorySetQuantities"]
        self.assertEqual(result["userErrors"], [])
        changes = result["inventoryAdjustmentGroup"]["changes"]
        self.assertEqual(
            changes,
            [
                {
                    "name": "available",
                    "delta": -3,
                    "quantityAfterChange": 7,
                    "ledgerDocumentUri": None,
                    "item": {"id": self.item},
                    "location": {"id": self.location_gid},
                }
            ],
        )

    def test_every_level_change_is_an_inventory_levels_update_webhook(self):
        self.subscribe("INVENTORY_LEVELS_UPDATE", include_fields=False)
        self.sandbox.set_inventory(DOMAIN, "CHAIR-BLK", "Main warehouse", 4)
        self.sandbox.set_inventory(DOMAIN, "CHAIR-BLK", "Main warehouse", 4)  # no change
        self.settle()
        deliveries = self.sink.accepted()
        self.assertEqual(len(deliveries), 1, "one change, one webhook")
        self.assertEqual(deliveries[0]["headers"]["X-Shopify-Topic"], "inventory_levels/update")
        payload = json.loads(deliveries[0]["body"])
        item_id = int(self.item.rsplit("/", 1)[1])
        location_id = int(self.location_gid.rsplit("/", 1)[1])
        self.assertEqual(
            (payload["inventory_item_id"], payload["location_id"], payload["available"]),
            (item_id, location_id, 4),
        )
        self.assertEqual(
            payload["admin_graphql_api_id"],
            f"gid://shopify/InventoryLevel/{location_id}?inventory_item_id={item_id}",
        )
        self.assertTrue(payload["updated_at"].endswith("+00:00"))
