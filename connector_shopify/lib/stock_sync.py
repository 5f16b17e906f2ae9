"""Stock levels out to Shopify: what to send, in which batches, and how.

Since API 2026-01 ``inventorySetQuantities`` takes ``changeFromQuantity`` per
item: Shopify applies the change only if its quantity is still the one we
read, so a sale on Shopify's side between our read and our write is never
overwritten blindly. 2025-10 has the older ``compareQuantity``. The
``@idempotent(key:)`` directive makes a retried call apply once.
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities)
"""

from dataclasses import dataclass

from . import queries

BATCH_SIZE = 250  # inventorySetQuantities accepts up to 250 quantities
STALE_CODES = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}


@dataclass
class LevelChange:
    item_id: str
    location_id: str
    quantity: int
    known: int | None
    key: str = ""  # the Odoo side's label (SKU), for logs and exceptions


def uses_change_from(version):
    return version >= "2026-01" or version == "unstable"


def inventory_set_document(version):
    return queries.INVENTORY_SET if uses_change_from(version) else queries.INVENTORY_SET_2025_10


def plan(targets, known):
    """Changes for every (item, location) whose Shopify quantity differs from
    Odoo's target; ``known`` is Shopify's quantity as last read or set."""
    changes = []
    for (item_id, location_id), (quantity, label) in sorted(targets.items()):
        current = known.get((item_id, location_id))
        if current is None or current != quantity:
            changes.append(LevelChange(item_id, location_id, quantity, current, label))
    return changes


def batches(changes, size=BATCH_SIZE):
    for start in range(0, len(changes), size):
        yield changes[start : start + size]


def mutation_variables(changes, version, reason, key, reference=None):
    quantities = []
    for change in changes:
        quantity = {
            "inventoryItemId": change.item_id,
            "locationId": change.location_id,
            "quantity": change.quantity,
        }
        if uses_change_from(version):
            # Mandatory since 2026-04; null (never read) skips the check.
            quantity["changeFromQuantity"] = change.known
        else:
            quantity["compareQuantity"] = change.known
        quantities.append(quantity)
    input_ = {"name": "available", "reason": reason, "quantities": quantities}
    if reference:
        input_["referenceDocumentUri"] = reference
    if not uses_change_from(version):
        input_["ignoreCompareQuantity"] = any(c.known is None for c in changes)
    variables = {"input": input_}
    if uses_change_from(version):
        variables["key"] = key
    return variables


def available_of(level_node):
    """The ``available`` quantity of an InventoryLevel (or inventoryLevel) node."""
    for quantity in (level_node or {}).get("quantities") or []:
        if quantity.get("name") == "available":
            return quantity.get("quantity")
    return None
