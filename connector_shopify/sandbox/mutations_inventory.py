"""inventorySetQuantities: compare-and-set, idempotency keys, all or nothing."""

import json

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from .schema_files import version_key
from .store import parse_gid

SETTABLE_QUANTITY_NAMES = {"available", "on_hand"}
# https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states
INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}


class InventoryMutations:
    """inventorySetQuantities: compare-and-set, idempotency keys, all or nothing."""

    # ------------------------------------------------------------ inventory
    def _idempotency_key(self, info):
        directive = info.schema.get_directive("idempotent")
        if directive is None:
            return None
        values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
        return values.get("key") if values else None

    def inventory_set_quantities(self, info, input):
        key = self._idempotency_key(info)
        if key is not None and not key.strip():
            raise GraphQLError(
                "The idempotency key cannot be an empty string or whitespace only.",
                extensions={"code": "BAD_REQUEST"},
            )
        if key is None and version_key(self.version) >= "2026-04":
            raise GraphQLError(
                "The @idempotent directive with a key is required for this mutation "
                f"as of API version 2026-04 (requested {self.version}).",
                extensions={"code": "BAD_REQUEST"},
            )
        fingerprint = json.dumps(input, sort_keys=True, default=str)
        if key is not None:
            cached = self.shop.idempotency.get(("inventorySetQuantities", key))
            if cached:
                if cached["fingerprint"] != fingerprint:
                    return self._inventory_payload(
                        None,
                        [
                            {
                                "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                                "field": None,
                                "message": "The same idempotency key cannot be used with "
                                "different operation parameters.",
                            }
                        ],
                    )
                return self._inventory_payload(cached["group_id"], cached["errors"])
        group_id, errors = self._set_quantities(input)
        if key is not None:
            self.shop.idempotency[("inventorySetQuantities", key)] = {
                "fingerprint": fingerprint,
                "group_id": group_id,
                "errors": errors,
            }
        return self._inventory_payload(group_id, errors)

    def _inventory_payload(self, group_id, errors):
        group = self.shop.adjustment_groups.get(group_id) if group_id else None
        return {
            "__typename": "InventorySetQuantitiesPayload",
            "inventoryAdjustmentGroup": self.adjustment_group_node(group) if group else None,
            "userErrors": [
                {"__typename": "InventorySetQuantitiesUserError", **error} for error in errors
            ],
        }

    def _set_quantities(self, input):
        """Validate every quantity first; apply all of them or none (Shopify's CAS)."""
        shop, store = self.shop, self.store
        errors = []

        def error(code, field, message):
            errors.append({"code": code, "field": field, "message": message})

        name = input["name"]
        if name not in SETTABLE_QUANTITY_NAMES:
            error(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        if input["reason"] not in INVENTORY_REASONS:
            error("INVALID_REASON", ["input", "reason"], "The quantity change reason is invalid.")
        ignore_compare = bool(input.get("ignoreCompareQuantity"))
        planned, seen = [], set()
        for index, quantity in enumerate(input["quantities"]):
            field = ["input", "quantities", str(index)]
            item = parse_gid(quantity["inventoryItemId"], "InventoryItem")
            location = parse_gid(quantity["locationId"], "Location")
            if not item or item[1] not in shop.items:
                error(
                    "INVALID_INVENTORY_ITEM",
                    [*field, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
                continue
            if not location or location[1] not in shop.locations:
                error(
                    "INVALID_LOCATION",
                    [*field, "locationId"],
                    "The specified location could not be found.",
                )
                continue
            pair = (item[1], location[1])
            if pair in seen:
                error(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    [*field, "inventoryItemId"],
                    "The combination of inventoryItemId and locationId must be unique.",
                )
                continue
            seen.add(pair)
            if pair not in shop.levels and self.has_enum_value(
                "InventorySetQuantitiesUserErrorCode", "ITEM_NOT_STOCKED_AT_LOCATION"
            ):
                error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*field, "locationId"],
                    "The inventory item is not stocked at the location.",
                )
                continue
            if quantity["quantity"] > 1_000_000_000:
                error(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*field, "quantity"],
                    "The total quantity can't be higher than 1,000,000,000.",
                )
                continue
            if quantity["quantity"] < -1_000_000_000:
                error(
                    "INVALID_QUANTITY_TOO_LOW",
                    [*field, "quantity"],
                    "The total quantity can't be lower than -1,000,000,000.",
                )
                continue
            current = store.quantity(shop, item[1], location[1], name) or 0
            if "changeFromQuantity" in quantity:
                expected = quantity["changeFromQuantity"]
                if expected is not None and expected != current:
                    error(
                        "CHANGE_FROM_QUANTITY_STALE",
                        [*field, "changeFromQuantity"],
                        "The changeFromQuantity value does not match persisted value.",
                    )
                    continue
            elif self.has_input_field("InventoryQuantityInput", "compareQuantity"):
                if not ignore_compare:
                    if quantity.get("compareQuantity") is None:
                        error(
                            "COMPARE_QUANTITY_REQUIRED",
                            [*field, "compareQuantity"],
                            "The compareQuantity argument must be given to each quantity or "
                            "ignored using ignoreCompareQuantity.",
                        )
                        continue
                    if quantity["compareQuantity"] != current:
                        error(
                            "COMPARE_QUANTITY_STALE",
                            [*field, "compareQuantity"],
                            "The compareQuantity value does not match persisted value.",
                        )
                        continue
            else:
                # From 2026-04 changeFromQuantity is mandatory (null opts out of the check);
                # the schema has no dedicated code, COMPARE_QUANTITY_REQUIRED is the closest.
                error(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*field, "changeFromQuantity"],
                    "changeFromQuantity must be given for each quantity (pass null to skip "
                    "the compare-and-swap check).",
                )
                continue
            planned.append((pair, quantity["quantity"]))
        if errors:
            return None, errors
        changes = []
        for (item_id, location_id), value in planned:
            committed = store.committed(shop, item_id, location_id)
            if name == "on_hand":
                value -= committed
            before = shop.levels.get((item_id, location_id), 0)
            store.set_level(shop, item_id, location_id, value)
            # What Shopify reports back: the available change and, when the
            # on-hand quantity was set, that change too (available + committed).
            changes.append(("available", item_id, location_id, value - before, value))
            if name == "on_hand":
                changes.append(("on_hand", item_id, location_id, value - before, value + committed))
        group = {
            "id": store.next_id(),
            "created_at": store.now(),
            "reason": input["reason"],
            "reference_document_uri": input.get("referenceDocumentUri"),
            "changes": changes,
        }
        shop.adjustment_groups[group["id"]] = group
        return group["id"], []
