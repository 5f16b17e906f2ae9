"""Compatibility rules between two versions of a contract's JSON Schema.

Plain pytest, no database. Where a test claims a direction breaks, it also
shows a witness payload with jsonschema, so the rule is checked against real
validation and not only against the module's own opinion.
"""

import copy

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from odoo.addons.integration_governance.lib import schema_compat

diff_schemas = schema_compat.diff_schemas
breaking_changes = schema_compat.breaking_changes
open_object_paths = schema_compat.open_object_paths


def _order(closed=True, **extra):
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "maxLength": 40},
            "total": {"type": "number"},
        },
        "required": ["id"],
    }
    if closed:
        schema["additionalProperties"] = False
    schema.update(extra)
    return schema


def _accepts(schema, payload):
    return Draft202012Validator(schema).is_valid(payload)


def _kinds(changes):
    return [(c.path, c.kind, c.breaks) for c in changes]


def _only(changes, kind):
    found = [c for c in changes if c.kind == kind]
    assert len(found) == 1, _kinds(changes)
    return found[0]


# ----------------------------------------------------------- properties


def test_identical_schemas_give_no_changes():
    schema = _order(lines={"type": "array", "items": {"type": "object"}})
    assert diff_schemas(schema, copy.deepcopy(schema)) == []
    assert breaking_changes(schema, copy.deepcopy(schema), "full") == []


def test_annotations_only_are_not_changes():
    old = _order()
    new = copy.deepcopy(old)
    new["description"] = "An order"
    new["properties"]["id"]["title"] = "Order reference"
    assert diff_schemas(old, new) == []


def test_optional_property_added_to_closed_schema_breaks_forward_only():
    old = _order()
    new = copy.deepcopy(old)
    new["properties"]["gift_note"] = {"type": "string"}

    assert breaking_changes(old, new, "backward") == []
    change = _only(breaking_changes(old, new, "forward"), "property_added")
    assert change.path == "$.gift_note"
    assert change.breaks == ("forward",)
    assert "gift_note" in change.message and "optional" in change.message
    new_payload = {"id": "A1", "gift_note": "Happy birthday"}
    assert _accepts(new, new_payload) and not _accepts(old, new_payload)


def test_optional_property_added_to_open_schema_breaks_nothing_but_is_listed():
    old = _order(closed=False)
    new = copy.deepcopy(old)
    new["properties"]["gift_note"] = {"type": "string"}

    change = _only(diff_schemas(old, new), "property_added")
    assert change.breaks == ()
    assert "nothing breaks" in change.message
    assert breaking_changes(old, new, "full") == []


def test_new_required_property_breaks_backward():
    old = _order(closed=False)
    new = copy.deepcopy(old)
    new["properties"]["gift_note"] = {"type": "string"}
    new["required"] = ["id", "gift_note"]

    change = _only(diff_schemas(old, new), "property_added")
    assert change.breaks == ("backward",)
    assert "required" in change.message and "lack it" in change.message
    old_payload = {"id": "A1"}
    assert _accepts(old, old_payload) and not _accepts(new, old_payload)


def test_new_required_property_in_closed_schema_breaks_both():
    old = _order()
    new = copy.deepcopy(old)
    new["properties"]["gift_note"] = {"type": "string"}
    new["required"] = ["id", "gift_note"]

    assert _only(diff_schemas(old, new), "property_added").breaks == (
        "backward",
        "forward",
    )


def test_existing_property_becoming_required_names_it_in_plain_words():
    old = _order()
    new = copy.deepcopy(old)
    new["required"] = ["id", "total"]

    change = _only(diff_schemas(old, new), "required_added")
    assert change.path == "$.total"
    assert change.breaks == ("backward",)
    assert change.message == (
        "Property 'total' is now required at $: payloads written for the old version lack it."
    )
    back = _only(diff_schemas(new, old), "required_removed")
    assert back.breaks == ("forward",)


def test_removed_required_property_from_closed_schema_breaks_both():
    old = _order()
    new = copy.deepcopy(old)
    del new["properties"]["id"]
    new["required"] = []

    change = _only(diff_schemas(old, new), "property_removed")
    assert change.path == "$.id"
    assert change.breaks == ("backward", "forward")
    assert not _accepts(new, {"id": "A1"})  # old data still carrying it
    assert not _accepts(old, {"total": 3})  # new data without it
    # No separate "no longer required" entry: the removal explains it.
    assert [c.kind for c in diff_schemas(old, new)] == ["property_removed"]


def test_removed_required_property_from_open_schema_breaks_forward_only():
    old = _order(closed=False)
    new = copy.deepcopy(old)
    del new["properties"]["id"]
    new["required"] = []

    assert _only(diff_schemas(old, new), "property_removed").breaks == ("forward",)


def test_removed_optional_property_from_closed_schema_breaks_backward_only():
    old = _order()
    new = copy.deepcopy(old)
    del new["properties"]["total"]

    assert _only(diff_schemas(old, new), "property_removed").breaks == ("backward",)


def test_closing_and_opening_an_object():
    open_, closed = _order(closed=False), _order()
    assert _kinds(diff_schemas(open_, closed)) == [
        ("$", "additional_properties_forbidden", ("backward",))
    ]
    assert _kinds(diff_schemas(closed, open_)) == [
        ("$", "additional_properties_allowed", ("forward",))
    ]
    sealed = _order(closed=False, unevaluatedProperties=False)
    assert diff_schemas(closed, sealed) == []


def test_property_names_that_are_not_identifiers_are_quoted():
    old = {"type": "object", "properties": {"unit price": {"type": "number"}}}
    new = {"type": "object", "properties": {"unit price": {"type": "integer"}}}
    assert _only(diff_schemas(old, new), "type_narrowed").path == '$["unit price"]'


def test_allof_branches_of_an_unevaluated_closed_object_count_as_closed():
    def contract(base_props):
        base = {"type": "object", "properties": base_props}
        return {
            "$defs": {"Base": base},
            "allOf": [{"$ref": "#/$defs/Base"}],
            "unevaluatedProperties": False,
        }

    old = contract({"id": {"type": "string"}})
    new = contract({"id": {"type": "string"}, "gift_note": {"type": "string"}})

    change = _only(diff_schemas(old, new), "property_added")
    assert (change.path, change.breaks) == ("$.gift_note", ("forward",))
    assert not _accepts(old, {"id": "A1", "gift_note": "hi"})


# ---------------------------------------------------------------- types


def test_type_narrowed_breaks_backward():
    old = {"type": "object", "properties": {"note": {"type": ["string", "null"]}}}
    new = {"type": "object", "properties": {"note": {"type": "string"}}}

    change = _only(diff_schemas(old, new), "type_narrowed")
    assert (change.path, change.breaks) == ("$.note", ("backward",))
    assert "null" in change.message
    assert _accepts(old, {"note": None}) and not _accepts(new, {"note": None})


def test_type_widened_breaks_forward():
    old = {"type": "object", "properties": {"note": {"type": "string"}}}
    new = {"type": "object", "properties": {"note": {"type": ["string", "null"]}}}

    change = _only(diff_schemas(old, new), "type_widened")
    assert (change.path, change.breaks) == ("$.note", ("forward",))


def test_integer_is_a_subset_of_number():
    number, integer = {"type": "number"}, {"type": "integer"}
    assert _kinds(diff_schemas(number, integer)) == [("$", "type_narrowed", ("backward",))]
    assert _kinds(diff_schemas(integer, number)) == [("$", "type_widened", ("forward",))]
    assert "non-whole numbers" in diff_schemas(number, integer)[0].message
    assert diff_schemas({"type": ["integer", "number"]}, number) == []


def test_type_changed_entirely_breaks_both():
    change = _only(diff_schemas({"type": "string"}, {"type": "integer"}), "type_changed")
    assert change.breaks == ("backward", "forward")


# --------------------------------------------------------- enum / const


def test_enum_value_removed_breaks_backward_and_added_breaks_forward():
    old = {"type": "object", "properties": {"status": {"enum": ["new", "paid"]}}}
    new = {"type": "object", "properties": {"status": {"enum": ["new", "shipped"]}}}

    changes = diff_schemas(old, new)
    assert _kinds(changes) == [
        ("$.status", "enum_value_added", ("forward",)),
        ("$.status", "enum_value_removed", ("backward",)),
    ]
    assert '"paid"' in changes[1].message and '"shipped"' in changes[0].message
    assert [c.kind for c in breaking_changes(old, new, "backward")] == ["enum_value_removed"]
    assert [c.kind for c in breaking_changes(old, new, "forward")] == ["enum_value_added"]


def test_type_added_next_to_an_enum_of_that_type_is_not_a_change():
    old = {"enum": ["new", "paid"]}
    assert diff_schemas(old, {"type": "string", "enum": ["new", "paid"]}) == []
    narrowed = diff_schemas({"type": ["string", "null"]}, {"enum": ["new"]})
    assert {c.kind for c in narrowed} == {"enum_added", "type_narrowed"}


def test_const_counts_as_a_single_allowed_value():
    changes = diff_schemas({"const": "EUR"}, {"enum": ["EUR", "USD"]})
    assert _kinds(changes) == [("$", "enum_value_added", ("forward",))]
    assert diff_schemas({"enum": [1, 2]}, {"enum": [2.0, 1.0]}) == []


# ------------------------------------------------------ nesting and $ref


def _with_lines(line_schema, **defs):
    schema = _order(
        properties={
            "id": {"type": "string"},
            "lines": {"type": "array", "items": line_schema},
        }
    )
    if defs:
        schema["$defs"] = defs
    return schema


def test_nested_property_in_array_items_has_payload_path():
    old = _with_lines({"type": "object", "properties": {"sku": {"type": "string"}}})
    new = _with_lines(
        {"type": "object", "properties": {"sku": {"type": "string", "maxLength": 12}}}
    )

    change = _only(diff_schemas(old, new), "max_length_added")
    assert change.path == "$.lines[*].sku"
    assert change.breaks == ("backward",)
    assert "$.lines[*].sku" in change.message


def test_ref_into_defs_is_followed():
    line_old = {
        "type": "object",
        "properties": {"sku": {"type": "string"}},
        "required": [],
    }
    line_new = {
        "type": "object",
        "properties": {"sku": {"type": "string"}},
        "required": ["sku"],
    }
    old = _with_lines({"$ref": "#/$defs/Line"}, Line=line_old)
    new = _with_lines({"$ref": "#/$defs/Line"}, Line=line_new)

    change = _only(diff_schemas(old, new), "required_added")
    assert change.path == "$.lines[*].sku"
    assert change.breaks == ("backward",)


def test_ref_and_inline_schema_with_same_content_are_equal():
    line = {"type": "object", "properties": {"sku": {"type": "string"}}}
    assert diff_schemas(_with_lines(line), _with_lines({"$ref": "#/$defs/Line"}, Line=line)) == []


def test_recursive_ref_terminates_and_reports_each_level_once():
    def tree(closed):
        node = {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
        }
        if closed:
            node["additionalProperties"] = False
        return {"$defs": {"Node": node}, "$ref": "#/$defs/Node"}

    changes = diff_schemas(tree(False), tree(True))
    assert _kinds(changes) == [
        ("$", "additional_properties_forbidden", ("backward",)),
        ("$.children[*]", "additional_properties_forbidden", ("backward",)),
    ]


def test_unresolvable_local_ref_is_an_error():
    with pytest.raises(ValueError, match="Missing"):
        diff_schemas({"$ref": "#/$defs/Missing"}, {"type": "string"})


def test_invalid_schema_is_rejected():
    with pytest.raises(SchemaError):
        diff_schemas({"type": "text"}, {"type": "string"})


# -------------------------------------------------------------- limits


def test_max_length_lowered_breaks_backward_and_raised_breaks_forward():
    old = _order()
    new = copy.deepcopy(old)
    new["properties"]["id"]["maxLength"] = 20

    change = _only(diff_schemas(old, new), "max_length_lowered")
    assert (change.path, change.breaks) == ("$.id", ("backward",))
    assert "40" in change.message and "20" in change.message
    assert _accepts(old, {"id": "x" * 30}) and not _accepts(new, {"id": "x" * 30})
    assert _kinds(diff_schemas(new, old)) == [("$.id", "max_length_raised", ("forward",))]


def test_exclusive_minimum_is_tighter_than_the_same_minimum():
    old, new = (
        {"type": "number", "minimum": 0},
        {"type": "number", "exclusiveMinimum": 0},
    )
    assert _kinds(diff_schemas(old, new)) == [("$", "minimum_raised", ("backward",))]
    assert _accepts(old, 0) and not _accepts(new, 0)


def test_numeric_and_array_limits():
    assert _kinds(diff_schemas({"maximum": 10}, {"maximum": 5})) == [
        ("$", "maximum_lowered", ("backward",))
    ]
    assert _kinds(diff_schemas({"type": "array", "minItems": 1}, {"type": "array"})) == [
        ("$", "min_items_removed", ("forward",))
    ]
    assert _kinds(diff_schemas({"multipleOf": 0.01}, {"multipleOf": 0.05})) == [
        ("$", "multiple_of_tightened", ("backward",))
    ]
    assert _kinds(diff_schemas({"multipleOf": 2}, {"multipleOf": 3})) == [
        ("$", "multiple_of_changed", ("backward", "forward"))
    ]


def test_pattern_changed_breaks_both_and_format_added_breaks_backward():
    assert _kinds(diff_schemas({"pattern": "^[A-Z]+$"}, {"pattern": "^[A-Z0-9]+$"})) == [
        ("$", "pattern_changed", ("backward", "forward"))
    ]
    assert _kinds(diff_schemas({"type": "string"}, {"type": "string", "format": "date"})) == [
        ("$", "format_added", ("backward",))
    ]


def test_subschema_added_breaks_backward_and_removed_breaks_forward():
    old = {"type": "array"}
    new = {"type": "array", "items": {"type": "string"}}
    assert _kinds(diff_schemas(old, new)) == [("$[*]", "subschema_added", ("backward",))]
    assert _kinds(diff_schemas(new, old)) == [("$[*]", "subschema_removed", ("forward",))]


def test_unmodelled_keyword_change_is_reported_as_breaking_both_ways():
    old = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    new = {"oneOf": [{"type": "string"}, {"type": "boolean"}]}
    change = _only(diff_schemas(old, new), "rule_changed")
    assert change.breaks == ("backward", "forward")
    assert "oneOf" in change.message


# ---------------------------------------------------------------- modes


def test_mode_full_collects_both_directions_and_none_nothing():
    old = {"type": "object", "properties": {"status": {"enum": ["new", "paid"]}}}
    new = {"type": "object", "properties": {"status": {"enum": ["new", "shipped"]}}}

    assert [c.kind for c in breaking_changes(old, new, "full")] == [
        "enum_value_added",
        "enum_value_removed",
    ]
    assert breaking_changes(old, new, "none") == []


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="sideways"):
        breaking_changes({}, {}, "sideways")


def test_changes_are_sorted_by_path_then_kind():
    old = _order(closed=False)
    new = _order()
    new["properties"]["total"] = {"type": "integer"}
    new["properties"]["id"] = {"type": "string", "maxLength": 10}
    new["required"] = ["id", "total"]

    keys = [(c.path, c.kind) for c in diff_schemas(old, new)]
    assert keys == sorted(keys)
    assert keys[0] == ("$", "additional_properties_forbidden")


# --------------------------------------------------------- open objects


def test_open_object_paths_finds_nested_open_object():
    schema = _with_lines(
        {
            "type": "object",
            "properties": {"sku": {"type": "string"}, "meta": {"type": "object"}},
            "additionalProperties": False,
        }
    )
    schema["properties"]["customer"] = {"properties": {"email": {"type": "string"}}}

    assert open_object_paths(schema) == ["$.customer", "$.lines[*].meta"]


def test_open_object_paths_follows_refs_and_unevaluated_properties():
    schema = {
        "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "type": "object",
        "properties": {
            "billing": {"$ref": "#/$defs/Address"},
            "shipping": {
                "allOf": [{"$ref": "#/$defs/Address"}],
                "unevaluatedProperties": False,
            },
        },
        "additionalProperties": False,
    }
    assert open_object_paths(schema) == ["$.billing"]


def test_closed_schema_has_no_open_objects():
    assert open_object_paths(_order()) == []
    assert open_object_paths(_order(closed=False)) == ["$"]
