"""Compatibility check between two versions of a contract's JSON Schema.

Works like a schema registry's check for JSON Schema (Draft 2020-12):

* a change breaks **backward** compatibility when a payload valid under the
  old version is rejected by the new one (consumers already on the new
  version cannot read data written for the old one);
* a change breaks **forward** compatibility when a payload valid under the
  new version is rejected by the old one (consumers still on the old version
  cannot read data written for the new one).

The comparison is structural, keyword by keyword, not a proof of set
inclusion. Keywords it cannot reason about (``oneOf``, ``not``, ``if``,
``patternProperties``...) are reported as breaking both ways whenever they
change, so a contract owner is never told "safe" without a reason.

Pure Python: no Odoo import, so it can be used and tested on its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import unquote

from jsonschema import Draft202012Validator

BACKWARD = "backward"
FORWARD = "forward"
BOTH = (BACKWARD, FORWARD)
MODES = {"backward": (BACKWARD,), "forward": (FORWARD,), "full": BOTH, "none": ()}

# Keywords that never change which payloads are valid.
_ANNOTATIONS = frozenset(
    {
        "$id",
        "$schema",
        "$anchor",
        "$dynamicAnchor",
        "$vocabulary",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)

# Assertion keywords this module does not model: any change to them is
# reported as breaking both ways, because safety cannot be shown.
_OPAQUE = (
    "$ref",  # only left after resolution when it points outside the document
    "$dynamicRef",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
)

# (kind prefix, words, which side of the range, keywords giving the bound)
_BOUNDS = (
    ("min_length", "minimum length", "lower", ("minLength",)),
    ("max_length", "maximum length", "upper", ("maxLength",)),
    ("minimum", "minimum value", "lower", ("minimum", "exclusiveMinimum")),
    ("maximum", "maximum value", "upper", ("maximum", "exclusiveMaximum")),
    ("min_items", "minimum number of items", "lower", ("minItems",)),
    ("max_items", "maximum number of items", "upper", ("maxItems",)),
    ("min_properties", "minimum number of properties", "lower", ("minProperties",)),
    ("max_properties", "maximum number of properties", "upper", ("maxProperties",)),
)

_ALL_TYPES = frozenset({"array", "boolean", "null", "number", "object", "string"})
_TYPE_WORDS = {
    "array": "lists",
    "boolean": "true/false values",
    "integer": "whole numbers",
    "null": "empty (null) values",
    "number": "numbers",
    "object": "objects",
    "string": "text",
}
# Keywords whose value maps names to schemas (names are data, not keywords).
_NAME_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Change:
    """One difference between two schema versions, in payload terms."""

    path: str
    kind: str
    breaks: tuple
    message: str


def diff_schemas(old: dict, new: dict) -> list[Change]:
    """Every difference that matters for compatibility, with which directions it breaks.

    Differences that break nothing (an optional property added to an open
    object, say) are listed too, with ``breaks == ()``, so a changelog can
    show them. Raises ``jsonschema.SchemaError`` if either schema is invalid.
    """
    Draft202012Validator.check_schema(old)
    Draft202012Validator.check_schema(new)
    differ = _Differ(old, new)
    differ.compare(old, new, "$")
    unique = dict.fromkeys(differ.changes)
    return sorted(unique, key=lambda c: (c.path, c.kind, c.message))


def breaking_changes(old: dict, new: dict, mode: str) -> list[Change]:
    """The changes that break ``mode``: backward, forward, full (either) or none."""
    if mode not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}; expected one of {sorted(MODES)}")
    wanted = MODES[mode]
    if not wanted:
        return []
    return [c for c in diff_schemas(old, new) if set(c.breaks) & set(wanted)]


def open_object_paths(schema: dict) -> list[str]:
    """Paths of object subschemas that accept undeclared properties.

    A contract should be closed (``additionalProperties: false`` or
    ``unevaluatedProperties: false``): only then can adding a property be
    judged safely, and typos in payloads are caught.
    """
    Draft202012Validator.check_schema(schema)
    found = set()
    _collect_open(schema, schema, "$", sealed=False, found=found, active=set())
    return sorted(found)


# --------------------------------------------------------------- comparison


class _Differ:
    """Walks both schemas side by side and records each difference."""

    def __init__(self, old_root, new_root):
        self.old_root = old_root
        self.new_root = new_root
        self.changes = []
        self._active = set()

    def add(self, path, kind, breaks, message):
        ordered = tuple(b for b in BOTH if b in breaks)
        self.changes.append(Change(path, kind, ordered, message))

    def compare(self, old, new, path, sealed=(False, False)):
        """Compare two subschemas; the guard stops recursive $refs looping.

        ``sealed`` says, per side, whether an enclosing schema at the same
        path closes the object (``unevaluatedProperties: false`` around an
        ``allOf``), so its branches are judged as closed objects.
        """
        key = (id(old), id(new))
        if key in self._active:
            return
        self._active.add(key)
        try:
            old_schema = _as_schema(_resolve(old, self.old_root))
            new_schema = _as_schema(_resolve(new, self.new_root))
            self._compare_resolved(old_schema, new_schema, path, sealed)
        finally:
            self._active.discard(key)

    def _compare_resolved(self, old, new, path, sealed):
        if old is False or new is False:
            self._compare_forbidden(old, new, path)
            return
        old_free, new_free = _unconstrained(old), _unconstrained(new)
        if old_free and new_free:
            return
        if old_free:
            self.add(
                path,
                "subschema_added",
                BACKWARD,
                f"{_subject(path)} must now follow a schema where anything was "
                "accepted before: old payloads that do not fit it are rejected.",
            )
            return
        if new_free:
            self.add(
                path,
                "subschema_removed",
                FORWARD,
                f"{_subject(path)} is no longer checked against a schema: the old "
                "version rejects new payloads that do not fit its rules.",
            )
            return
        for check in (
            self._compare_types,
            self._compare_values,
            self._compare_bounds,
            self._compare_multiple_of,
            self._compare_text_rules,
            self._compare_unique_items,
            self._compare_array,
            self._compare_opaque,
        ):
            check(old, new, path)
        self._compare_object(old, new, path, sealed)
        self._compare_composition(old, new, path, sealed)

    def _compare_forbidden(self, old, new, path):
        """A ``false`` schema accepts nothing, e.g. ``items: false``."""
        if old is False and new is False:
            return
        if old is False:
            self.add(
                path,
                "now_allowed",
                FORWARD,
                f"{_subject(path)} is now allowed where nothing was accepted "
                "before: the old version rejects new payloads that use it.",
            )
        else:
            self.add(
                path,
                "now_forbidden",
                BACKWARD,
                f"{_subject(path)} is no longer allowed: old payloads that use it are rejected.",
            )

    # ------------------------------------------------------------ types

    def _compare_types(self, old, new, path):
        """Types lost break old data; types gained break old readers."""
        if _allowed_values(old) is not None and _allowed_values(new) is not None:
            return  # both list their values: the value-by-value diff says it exactly
        old_types, new_types = _types(old), _types(new)
        lost = sorted(t for t in old_types if not _covered(t, new_types))
        gained = sorted(t for t in new_types if not _covered(t, old_types))
        lost_words = _type_words(lost, new_types)
        gained_words = _type_words(gained, old_types)
        if lost and gained:
            self.add(
                path,
                "type_changed",
                BOTH,
                f"{_subject(path)} no longer accepts {lost_words} and now accepts "
                f"{gained_words}: old payloads with {lost_words} are rejected by the "
                f"new version, new payloads with {gained_words} by the old one.",
            )
        elif lost:
            self.add(
                path,
                "type_narrowed",
                BACKWARD,
                f"{_subject(path)} no longer accepts {lost_words}: old payloads "
                "with such values are rejected.",
            )
        elif gained:
            self.add(
                path,
                "type_widened",
                FORWARD,
                f"{_subject(path)} now also accepts {gained_words}: the old version "
                "rejects new payloads with such values.",
            )

    # ----------------------------------------------------- enum / const

    def _compare_values(self, old, new, path):
        """A fixed list of allowed values (enum or const)."""
        old_values, new_values = _allowed_values(old), _allowed_values(new)
        if old_values is None and new_values is None:
            return
        if old_values is None:
            shown = _join([_show(v) for v in new_values.values()], "or")
            self.add(
                path,
                "enum_added",
                BACKWARD,
                f"{_subject(path)} is now limited to {shown}: old payloads with "
                "other values are rejected.",
            )
            return
        if new_values is None:
            self.add(
                path,
                "enum_removed",
                FORWARD,
                f"{_subject(path)} is no longer limited to a fixed list of values: "
                "the old version rejects new payloads with values outside its list.",
            )
            return
        for key in sorted(old_values.keys() - new_values.keys()):
            self.add(
                path,
                "enum_value_removed",
                BACKWARD,
                f"Value {_show(old_values[key])} is no longer allowed at {path}: "
                "old payloads that use it are rejected.",
            )
        for key in sorted(new_values.keys() - old_values.keys()):
            self.add(
                path,
                "enum_value_added",
                FORWARD,
                f"Value {_show(new_values[key])} is now allowed at {path}: the old "
                "version rejects new payloads that use it.",
            )

    # ----------------------------------------------------------- bounds

    def _compare_bounds(self, old, new, path):
        """Length, value, item-count and property-count limits."""
        for prefix, words, side, keywords in _BOUNDS:
            old_bound = _bound(old, keywords, side)
            new_bound = _bound(new, keywords, side)
            if old_bound != new_bound:
                self._bound_changed(path, prefix, words, side, old_bound, new_bound)

    def _bound_changed(self, path, prefix, words, side, old_bound, new_bound):
        subject = _subject(path)
        if old_bound is None:
            self.add(
                path,
                f"{prefix}_added",
                BACKWARD,
                f"{subject} now has a {words} of {_show_bound(new_bound, side)}: old "
                "payloads outside it are rejected.",
            )
            return
        if new_bound is None:
            self.add(
                path,
                f"{prefix}_removed",
                FORWARD,
                f"{subject} no longer has a {words} (was {_show_bound(old_bound, side)}): "
                "the old version rejects new payloads beyond it.",
            )
            return
        old_text, new_text = _show_bound(old_bound, side), _show_bound(new_bound, side)
        tighter = _tightness(new_bound, side) > _tightness(old_bound, side)
        raised = (side == "lower") == tighter
        verb = "raised" if raised else "lowered"
        if tighter:
            breaks, why = BACKWARD, "old payloads outside the new limit are rejected."
        else:
            breaks, why = (
                FORWARD,
                "the old version rejects new payloads that use the wider range.",
            )
        self.add(
            path,
            f"{prefix}_{verb}",
            breaks,
            f"{subject}: {words} {verb} from {old_text} to {new_text}: {why}",
        )

    def _compare_multiple_of(self, old, new, path):
        """A coarser step accepts fewer numbers, a finer one more."""
        old_step, new_step = old.get("multipleOf"), new.get("multipleOf")
        if old_step == new_step:
            return
        subject, before, after = _subject(path), _show(old_step), _show(new_step)
        stricter = "old payloads that are not are rejected."
        looser = "the old version rejects new payloads that are not."
        if old_step is None:
            kind, breaks = "multiple_of_added", BACKWARD
            text = f"{subject} must now be a multiple of {after}: {stricter}"
        elif new_step is None:
            kind, breaks = "multiple_of_removed", FORWARD
            text = f"{subject} no longer has to be a multiple of {before}: {looser}"
        elif _divides(old_step, new_step):
            kind, breaks = "multiple_of_tightened", BACKWARD
            text = f"{subject} must now be a multiple of {after} (was {before}): {stricter}"
        elif _divides(new_step, old_step):
            kind, breaks = "multiple_of_relaxed", FORWARD
            text = (
                f"{subject} only has to be a multiple of {after} now (was {before}): "
                f"the old version rejects new payloads that are not multiples of {before}."
            )
        else:
            kind, breaks = "multiple_of_changed", BOTH
            text = (
                f"{subject} must now be a multiple of {after} instead of {before}: "
                "payloads may be rejected either way."
            )
        self.add(path, kind, breaks, text)

    def _compare_text_rules(self, old, new, path):
        """Pattern and format: one added narrows, a changed one cannot be proven a subset."""
        for keyword, words in (
            ("pattern", "match the pattern"),
            ("format", "use the format"),
        ):
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            subject = _subject(path)
            if before is None:
                self.add(
                    path,
                    f"{keyword}_added",
                    BACKWARD,
                    f"{subject} must now {words} {_show(after)}: old payloads that "
                    "do not are rejected.",
                )
            elif after is None:
                self.add(
                    path,
                    f"{keyword}_removed",
                    FORWARD,
                    f"{subject} no longer has to {words} {_show(before)}: the old "
                    "version rejects new payloads that do not.",
                )
            else:
                self.add(
                    path,
                    f"{keyword}_changed",
                    BOTH,
                    f"{subject} must now {words} {_show(after)} instead of "
                    f"{_show(before)}: neither can be proven to accept the other's "
                    "values, so payloads may be rejected either way.",
                )

    def _compare_unique_items(self, old, new, path):
        before, after = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
        if before == after:
            return
        if after:
            self.add(
                path,
                "unique_items_added",
                BACKWARD,
                f"{_subject(path)} may no longer contain duplicate items: old "
                "payloads with duplicates are rejected.",
            )
        else:
            self.add(
                path,
                "unique_items_removed",
                FORWARD,
                f"{_subject(path)} may now contain duplicate items: the old version "
                "rejects new payloads with duplicates.",
            )

    # ----------------------------------------------------------- objects

    def _compare_object(self, old, new, path, sealed):
        """Properties, required names and what happens to undeclared properties."""
        old_props, new_props = _properties(old), _properties(new)
        old_required, new_required = _required(old), _required(new)
        old_extra = False if sealed[0] else _extra(old)
        new_extra = False if sealed[1] else _extra(new)
        for name in sorted(new_props.keys() - old_props.keys()):
            self._property_added(path, name, new_props[name], name in new_required, old_extra)
        for name in sorted(old_props.keys() - new_props.keys()):
            self._property_removed(path, name, old_props[name], name in old_required, new_extra)
        for name in sorted(old_props.keys() & new_props.keys()):
            self.compare(old_props[name], new_props[name], _child(path, name))
        moved = old_props.keys() ^ new_props.keys()
        for name in sorted(new_required - old_required - moved):
            self.add(
                _child(path, name),
                "required_added",
                BACKWARD,
                f"Property '{name}' is now required at {path}: payloads written "
                "for the old version lack it.",
            )
        for name in sorted(old_required - new_required - moved):
            self.add(
                _child(path, name),
                "required_removed",
                FORWARD,
                f"Property '{name}' is no longer required at {path}: the old "
                "version rejects new payloads that leave it out.",
            )
        self._compare_extra(old_extra, new_extra, path)

    def _property_added(self, path, name, schema, required, old_extra):
        """Old data lacks a required newcomer; a closed old version rejects it."""
        breaks, reasons = [], []
        if required:
            breaks.append(BACKWARD)
            reasons.append("payloads written for the old version lack it")
        if old_extra is False:
            breaks.append(FORWARD)
            reasons.append(
                "the old version does not allow it, so it rejects new payloads that carry it"
            )
        elif isinstance(old_extra, dict):
            # The old version checked this name against its schema for extras.
            self.compare(old_extra, schema, _child(path, name))
        if not reasons:
            reasons.append("nothing breaks")
        how = "required" if required else "optional"
        self.add(
            _child(path, name),
            "property_added",
            tuple(breaks),
            f"Property '{name}' was added at {path} as {how}: {_sentence(reasons)}",
        )

    def _property_removed(self, path, name, schema, was_required, new_extra):
        """A closed new version rejects old data carrying it; old readers still require it."""
        breaks, reasons = [], []
        if new_extra is False:
            breaks.append(BACKWARD)
            reasons.append(
                "the new version no longer allows it, so it rejects old payloads "
                "that still carry it"
            )
        elif isinstance(new_extra, dict):
            # The new version checks this name against its schema for extras.
            self.compare(schema, new_extra, _child(path, name))
        if was_required:
            breaks.append(FORWARD)
            reasons.append("the old version requires it, so it rejects new payloads that lack it")
        if not reasons:
            reasons.append(
                "the new version still accepts it as an extra property, so nothing breaks"
            )
        self.add(
            _child(path, name),
            "property_removed",
            tuple(breaks),
            f"Property '{name}' was removed at {path}: {_sentence(reasons)}",
        )

    def _compare_extra(self, old_extra, new_extra, path):
        """Closing an object breaks old data; opening it breaks old readers."""
        if old_extra is False and new_extra is False:
            return
        if old_extra is False:
            self.add(
                path,
                "additional_properties_allowed",
                FORWARD,
                f"Undeclared properties are now allowed at {path}: the old version "
                "rejects new payloads that carry them.",
            )
        elif new_extra is False:
            self.add(
                path,
                "additional_properties_forbidden",
                BACKWARD,
                f"Undeclared properties are no longer allowed at {path}: old "
                "payloads that carry them are rejected.",
            )
        else:
            self.compare(old_extra, new_extra, f"{path}.*")

    # ------------------------------------------------------------ arrays

    def _compare_array(self, old, new, path):
        """Positional items (prefixItems) then the schema for the other items."""
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        for index in range(max(len(old_prefix), len(new_prefix))):
            before = old_prefix[index] if index < len(old_prefix) else old.get("items")
            after = new_prefix[index] if index < len(new_prefix) else new.get("items")
            self.compare(before, after, f"{path}[{index}]")
        if "items" in old or "items" in new:
            self.compare(old.get("items"), new.get("items"), f"{path}[*]")

    # -------------------------------------------------- composition / rest

    def _compare_composition(self, old, new, path, sealed):
        """allOf/anyOf branches compared pairwise: narrowing a branch narrows the whole."""
        inner = (
            sealed[0] or old.get("unevaluatedProperties") is False,
            sealed[1] or new.get("unevaluatedProperties") is False,
        )
        for keyword in ("allOf", "anyOf"):
            before, after = old.get(keyword), new.get(keyword)
            if before is not None and after is not None and len(before) == len(after):
                for old_branch, new_branch in zip(before, after, strict=True):
                    self.compare(old_branch, new_branch, path, inner)
            else:
                self._opaque_keyword(keyword, before, after, path)

    def _compare_opaque(self, old, new, path):
        for keyword in _OPAQUE:
            self._opaque_keyword(keyword, old.get(keyword), new.get(keyword), path)

    def _opaque_keyword(self, keyword, before, after, path):
        """A rule this module cannot reason about: any change may break both ways."""
        if _canonical(before, self.old_root) == _canonical(after, self.new_root):
            return
        if before is None:
            what = "was added"
        elif after is None:
            what = "was removed"
        else:
            what = "changed"
        self.add(
            path,
            "rule_changed",
            BOTH,
            f"The '{keyword}' rule {what} at {path}: which payloads it affects "
            "cannot be worked out automatically, so treat it as breaking both ways.",
        )


# ------------------------------------------------------- schema reading


def _as_schema(node):
    """Absent and ``true`` both mean "anything"; ``false`` means "nothing"."""
    if node is None or node is True:
        return {}
    return node


def _unconstrained(schema):
    return isinstance(schema, dict) and all(k in _ANNOTATIONS for k in schema)


def _is_local_pointer(ref):
    return isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))


def _pointer(root, ref):
    """Follow a JSON Pointer fragment such as ``#/$defs/Line``."""
    node = root
    for raw in ref[2:].split("/") if ref != "#" else []:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValueError(f"cannot resolve $ref {ref!r}") from None
    return node


def _resolve(node, root):
    """Follow local $refs so rules see the schema a payload is really checked against.

    Keywords next to a ``$ref`` are laid over the target (they win on a
    clash). References outside the document are left in place and compared
    as text.
    """
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not _is_local_pointer(ref) or ref in seen:
            return node
        seen.add(ref)
        target = _pointer(root, ref)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if target is False:
            return False
        node = {**target, **siblings} if isinstance(target, dict) else siblings
    return node


def _canonical(value, root):
    """Text form of a schema fragment with local $refs inlined, for equality checks."""

    def expand(item, stack):
        if isinstance(item, list):
            return [expand(v, stack) for v in item]
        if not isinstance(item, dict):
            return _normalise_number(item)
        ref = item.get("$ref")
        if _is_local_pointer(ref) and ref not in stack:
            return expand(_resolve(item, root), (*stack, ref))
        out = {}
        for key, sub in item.items():
            if key in _ANNOTATIONS:
                continue
            if key in ("enum", "const"):
                out[key] = _normalise_number(sub)
            elif key in _NAME_MAPS and isinstance(sub, dict):
                out[key] = {name: expand(v, stack) for name, v in sub.items()}
            else:
                out[key] = expand(sub, stack)
        return out

    return json.dumps(expand(value, ()), sort_keys=True)


def _types(schema):
    """JSON types a schema accepts; an enum or const limits them to its values' types.

    So adding ``"type": "string"`` next to an all-text enum is not a change.
    """
    declared = schema.get("type")
    if declared is None:
        declared = set(_ALL_TYPES)
    elif isinstance(declared, str):
        declared = {declared}
    else:
        declared = set(declared)
    values = _allowed_values(schema)
    if values is None:
        return declared
    return {t for t in map(_value_type, values.values()) if _covered(t, declared)}


def _value_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _covered(type_name, types):
    """Whether values of ``type_name`` are accepted by ``types`` ("integer" is a "number")."""
    return type_name in types or (type_name == "integer" and "number" in types)


def _type_words(type_names, other_types):
    words = []
    for name in type_names:
        if name == "number" and "integer" in other_types:
            words.append("non-whole numbers")
        else:
            words.append(_TYPE_WORDS.get(name, name))
    return _join(words, "or")


def _allowed_values(schema):
    """Allowed values keyed by their canonical text, or None if any value goes."""
    if "const" in schema:
        values = [schema["const"]]
    elif "enum" in schema:
        values = schema["enum"]
    else:
        return None
    return {json.dumps(_normalise_number(v), sort_keys=True): v for v in values}


def _normalise_number(value):
    """1 and 1.0 are the same JSON value."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_normalise_number(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_number(v) for k, v in value.items()}
    return value


def _bound(schema, keywords, side):
    """The tightest limit among e.g. ``minimum``/``exclusiveMinimum``, as (value, exclusive)."""
    candidates = [
        (schema[keyword], exclusive)
        for keyword, exclusive in zip(keywords, (False, True), strict=False)
        if isinstance(schema.get(keyword), int | float)
        and not isinstance(schema.get(keyword), bool)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda bound: _tightness(bound, side))


def _tightness(bound, side):
    """Bigger means fewer values accepted."""
    value, exclusive = bound
    return (value if side == "lower" else -value, exclusive)


def _divides(step, multiple):
    return (Fraction(str(multiple)) / Fraction(str(step))).denominator == 1


def _properties(schema):
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def _required(schema):
    return set(schema.get("required") or ())


def _extra(schema):
    """What an object says about undeclared properties.

    False when closed, None when anything goes, else the schema they must fit.
    """
    keywords = ("additionalProperties", "unevaluatedProperties")
    if any(schema.get(k) is False for k in keywords):
        return False
    for keyword in keywords:
        value = schema.get(keyword)
        if isinstance(value, dict) and not _unconstrained(value):
            return value
    return None


def _is_object(schema):
    declared = schema.get("type")
    declared = [declared] if isinstance(declared, str) else declared or []
    return "object" in declared or "properties" in schema


# ------------------------------------------------------------ open objects


def _collect_open(node, root, path, sealed, found, active):
    """Record open objects; ``sealed`` means an enclosing schema at this path closes it."""
    if not isinstance(node, dict) or id(node) in active:
        return
    active.add(id(node))
    try:
        schema = _resolve(node, root)
        if not isinstance(schema, dict):
            return
        closed = sealed or _extra(schema) is False
        if _is_object(schema) and not closed:
            found.add(path)
        for name, sub in _properties(schema).items():
            _collect_open(sub, root, _child(path, name), False, found, active)
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            _collect_open(schema.get(keyword), root, f"{path}.*", False, found, active)
        for sub in (schema.get("patternProperties") or {}).values():
            _collect_open(sub, root, f"{path}.*", False, found, active)
        for index, sub in enumerate(schema.get("prefixItems") or ()):
            _collect_open(sub, root, f"{path}[{index}]", False, found, active)
        _collect_open(schema.get("items"), root, f"{path}[*]", False, found, active)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(keyword) or ():
                _collect_open(sub, root, path, closed, found, active)
        for keyword in ("then", "else"):
            _collect_open(schema.get(keyword), root, path, closed, found, active)
        for sub in (schema.get("dependentSchemas") or {}).values():
            _collect_open(sub, root, path, closed, found, active)
    finally:
        active.discard(id(node))


# ---------------------------------------------------------------- wording


def _child(path, name):
    """Same notation as ``payload.json_path``: ``$.sku`` or ``$["unit price"]``."""
    if _IDENTIFIER.match(name):
        return f"{path}.{name}"
    return f"{path}[{json.dumps(name)}]"


def _subject(path):
    """How a sentence names the place in the payload."""
    if path == "$":
        return "The payload"
    if path.endswith("[*]"):
        return f"Each item of {path[:-3]}"
    if path.endswith(".*"):
        return f"Each undeclared property of {path[:-2]}"
    return f"Field {path}"


def _show(value):
    return json.dumps(value, ensure_ascii=False)


def _show_bound(bound, side):
    """``5`` for an inclusive limit, ``above 5`` / ``below 5`` for an exclusive one."""
    value, exclusive = bound
    if not exclusive:
        return _show(value)
    return f"{'above' if side == 'lower' else 'below'} {_show(value)}"


def _join(words, conjunction):
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _sentence(reasons):
    return "; ".join(reasons) + "."
