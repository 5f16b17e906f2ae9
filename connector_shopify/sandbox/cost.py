"""Query cost, computed the way Shopify publishes it, before and after execution.

Published rules (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits,
"Cost calculation"; https://shopify.dev/docs/api/usage/limits):

* scalar and enum fields cost 0, object fields 1, an interface or union the
  maximum of its possible selections; a mutation field costs 10;
* a connection is "sized by first and last arguments"; the requested cost is
  computed before execution, the actual cost from the result ("connections
  that return fewer edges"), and the bucket is refunded the difference;
* no single query above 1000 requested points.

Connection sizing: Shopify keeps the formula closed but says it uses
"logarithmic scaling into connection fields" (staff answer,
https://community.shopify.dev/t/how-to-calculate-graphql-cost-estimates/24364).
The sandbox sizes a connection of ``n`` nodes as ``floor(2 ln max(2, n))``
nodes, plus 2 for the connection: the fit published by a third party
(``shopify_complexity.rb`` in hrdwdmrbl/graphql-ruby), which reproduces the
cost Shopify answered for
``product(id:) { variants(first: 250) { nodes { inventoryItem { id tracked } } } }``:
25 requested, 1 actual when the product is null
(https://community.shopify.dev/t/unexpectedly-low-graphql-query-cost-in-shopify-admin-api-seeking-clarification/23101).
``tests/test_sandbox_cost.py`` checks these published examples.

Value objects (money bags, mailing addresses, tax lines, quantities, page
info, user errors...) cost 0: the published table has no row for them and
clients observe them free (``address``, ``unitCost``, ``pageInfo``); a plain
list of objects counts one element, except ``nodes(ids:)`` which counts one
per id; no per-field manual costs ("Shopify also reserves the right to set
manual costs on fields").
"""

import math

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

MUTATION_COST = 10
MAX_QUERY_COST = 1000
VALUE_OBJECT_TYPES = {
    "MoneyBag",
    "MoneyV2",
    "MailingAddress",
    "TaxLine",
    "DiscountAllocation",
    "InventoryQuantity",
    "PageInfo",
    "FulfillmentTrackingInfo",
    "FulfillmentOrderAssignedLocation",
    "Count",
    "Weight",
    "SelectedOption",
    "StagedUploadParameter",
}


def connection_size(count):
    """How many nodes a connection of ``count`` is charged for (logarithmic sizing)."""
    if count <= 0:
        return 0
    return math.floor(2 * math.log(max(2, count)))


def _is_value_object(type_name):
    return type_name in VALUE_OBJECT_TYPES or type_name.endswith("UserError")


def _is_connection(named_type):
    return named_type.name.endswith("Connection") and "pageInfo" in getattr(
        named_type, "fields", {}
    )


class _Walker:
    def __init__(self, schema, document, variables):
        self.schema = schema
        self.variables = variables or {}
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if definition.kind == "fragment_definition"
        }

    def argument(self, node, name):
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                return self.variables.get(value.name.value)
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, ListValueNode):
                return list(value.values)
        return None

    def selection(self, parent_type, selection_set, data, static):
        """Cost of a selection set on ``parent_type`` (data is the result object, if any)."""
        if selection_set is None:
            return 0
        common = 0
        by_type = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                common += self.field(parent_type, selection, data, static)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition, sub = fragment.type_condition, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition, sub = selection.type_condition, selection.selection_set
            else:
                continue
            fragment_type = self.schema.get_type(condition.name.value) if condition else None
            fragment_type = fragment_type or parent_type
            cost = self.selection(fragment_type, sub, data, static)
            if fragment_type is parent_type or not static:
                common += cost
            else:
                by_type[fragment_type.name] = by_type.get(fragment_type.name, 0) + cost
        return common + max(by_type.values(), default=0)

    def field(self, parent_type, node, data, static):
        name = node.name.value
        if name.startswith("__") or not hasattr(parent_type, "fields"):
            return 0
        definition = parent_type.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        key = node.alias.value if node.alias else name
        value = None
        own = 0 if _is_value_object(named.name) else 1
        if not static:
            if not isinstance(data, dict) or key not in data:
                return 0
            if data[key] is None:
                return own  # looked up and not found: Shopify still charges the object
            value = data[key]
        if _is_connection(named):
            return self.connection(named, node, value, static)
        if static:
            ids = self.argument(node, "ids")
            count = len(ids) if isinstance(ids, list) else 1
            return count * (own + self.selection(named, node.selection_set, None, True))
        items = value if isinstance(value, list) else [value]
        return sum(
            own + self.selection(named, node.selection_set, item, False)
            for item in items
            if item is not None
        )

    def connection(self, connection_type, node, value, static):
        node_type = get_named_type(connection_type.fields["nodes"].type)
        own = 0 if _is_value_object(node_type.name) else 1
        node_selections = []  # (selection set of a node, getter of the node list)
        for selection in node.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            if selection.name.value == "nodes":
                node_selections.append((selection.selection_set, key, None))
            elif selection.name.value == "edges":
                for edge_field in selection.selection_set.selections:
                    if isinstance(edge_field, FieldNode) and edge_field.name.value == "node":
                        node_key = edge_field.alias.value if edge_field.alias else "node"
                        node_selections.append((edge_field.selection_set, key, node_key))
        if static:
            size = self.argument(node, "first") or self.argument(node, "last") or 1
            per_node = max(
                (own + self.selection(node_type, sub, None, True) for sub, _, _ in node_selections),
                default=own,
            )
            return 2 + connection_size(size) * per_node
        best = 0
        for sub, key, node_key in node_selections:
            items = value.get(key) or []
            if node_key:
                items = [edge.get(node_key) for edge in items if isinstance(edge, dict)]
            returned = [item for item in items if item]
            per_node = max(
                (own + self.selection(node_type, sub, item, False) for item in returned),
                default=0,
            )
            best = max(best, connection_size(len(returned)) * per_node)
        return 2 + best


def _operation(document, operation_name):
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        return next((o for o in operations if o.name and o.name.value == operation_name), None)
    return operations[0] if len(operations) == 1 else None


def query_cost(schema, document, operation_name=None, variables=None, data=None):
    """Requested cost when ``data`` is None, else the actual cost of that result."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    static = data is None
    walker = _Walker(schema, document, variables)
    if operation.operation.value == "mutation":
        root = schema.mutation_type
        total = 0
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            definition = root.fields.get(selection.name.value)
            if definition is None:
                continue
            payload = None if static else (data or {}).get(key)
            payload_type = get_named_type(definition.type)
            if static or payload is not None:
                total += MUTATION_COST + walker.selection(
                    payload_type, selection.selection_set, payload, static
                )
            else:
                total += MUTATION_COST
        return total
    root = schema.query_type
    return walker.selection(root, operation.selection_set, data, static)
