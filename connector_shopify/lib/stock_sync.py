"""Stock levels out to Shopify: the mutation and its variables.

connector_base plans the changes and their batches (``lib/stock_levels``);
this says how Shopify takes them. A change is any object with ``item_id``,
``location_id``, ``quantity`` and ``known``.

Since API 2026-01 ``inventorySetQuantities`` takes ``changeFromQuantity`` per
item: Shopify applies the change only if its quantity is still the one we
read, so a sale on Shopify's side between our read and our write is never
overwritten blindly. 2025-10 has the older ``compareQuantity``. The
``@idempotent(key:)`` directive makes a retried call apply once.
(https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities)
"""

import json

from . import queries

# Shopify's codes for a compare that found another quantity.
STALE_CODES = {"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"}


def stale_indexes(user_errors):
    """Indexes of the quantities an ``inventorySetQuantities`` answer refused
    as stale (field ``["input", "quantities", "<i>", ...]``)."""
    indexes = set()
    for error in user_errors or []:
        field = error.get("field") or []
        if error.get("code") in STALE_CODES and len(field) >= 3 and field[1] == "quantities":
            try:
                indexes.add(int(field[2]))
            except (TypeError, ValueError):
                continue
    return indexes


def uses_change_from(version):
    return version >= "2026-01" or version == "unstable"


def inventory_set_document(version):
    return queries.INVENTORY_SET if uses_change_from(version) else queries.INVENTORY_SET_2025_10


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


def bulk_levels_query(run_id):
    """The bulk query of every location's levels (available quantity of each
    inventory item); ``run_id`` (a comment) tells one sync's operation from
    another's. Rooted at the locations, the file has one line per level and
    one per location: rooted at the items, it had a line per item as well."""
    return (
        f"# stock levels, run {run_id}\n"
        "{ locations(includeInactive: true) { edges { node { id inventoryLevels { edges {"
        ' node { item { id } quantities(names: ["available"]) { name quantity } } } } } } } }'
    )


def bulk_levels(jsonl):
    """{location: {inventory item: available}} from a bulk result: a level is a
    line of its own after its location, with the location's id as ``__parentId``."""
    levels = {}
    for line in jsonl.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if "__parentId" in row and row.get("item"):
            levels.setdefault(row["__parentId"], {})[row["item"]["id"]] = available_of(row)
    return levels


def bulk_push_mutation(version, run_id, digest):
    """The bulk mutation of stock levels: ``inventorySetQuantities`` once per
    line; the comment (run, digest of the lines) tells this sync's operation
    from another's when the job resumes."""
    return f"# stock levels, run {run_id}, lines {digest}\n" + inventory_set_document(version)


def jsonl(lines):
    """The JSONL of bulk mutation variables, one object per line, stable."""
    return "".join(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n" for line in lines)


def bulk_push_results(text):
    """{line number: (user errors, GraphQL errors)} of a bulk mutation's result
    file, for ``inventorySetQuantities``."""
    results = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        payload = (row.get("data") or {}).get("inventorySetQuantities") or {}
        results[row["__lineNumber"]] = (payload.get("userErrors") or [], row.get("errors") or [])
    return results
