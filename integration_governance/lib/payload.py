"""Pure helpers for payloads: JSON paths, contract violations, diffs, ids.

No Odoo import here, so the protocol-level behaviour reads and tests alone.
"""

import difflib
import hashlib
import hmac
import json
import re
import secrets

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match  # noqa: F401  (re-exported for callers)

TRACE_ID_RE = re.compile(r"^[0-9a-f]{32}$")
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def json_path(parts):
    """Render a jsonschema ``absolute_path`` deque as ``$.lines[0].sku``."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(part)):
            path += f".{part}"
        else:
            path += "[" + json.dumps(part) + "]"
    return path


def compile_validator(schema):
    """Check the schema itself, then build a Draft 2020-12 validator once."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def violations(validator, payload):
    """Every violation of ``payload``, each with its JSON path, sorted by path.

    ``additionalProperties`` errors are split per extra property so that each
    unexpected field has its own path.
    """
    found = []
    for error in validator.iter_errors(payload):
        path = json_path(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            patterns = error.schema.get("patternProperties", {})
            for key in sorted(error.instance):
                if key in allowed or any(re.search(p, key) for p in patterns):
                    continue
                found.append(
                    {
                        "path": json_path([*error.absolute_path, key]),
                        "validator": "additionalProperties",
                        "message": f"unexpected property '{key}'",
                    }
                )
            continue
        found.append({"path": path, "validator": error.validator, "message": error.message})
    found.sort(key=lambda v: (v["path"], v["validator"], v["message"]))
    return found


def leaf_values(payload, prefix="$"):
    """Flatten a payload into {json path: scalar value}."""
    out = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            out.update(leaf_values(value, json_path_join(prefix, key)))
    elif isinstance(payload, list):
        for index, value in enumerate(payload):
            out.update(leaf_values(value, f"{prefix}[{index}]"))
    else:
        out[prefix] = payload
    return out


def json_path_join(prefix, key):
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", str(key)):
        return f"{prefix}.{key}"
    return f"{prefix}[{json.dumps(key)}]"


def changed_paths(before, after):
    """Paths whose value differs between two payloads (added, removed, changed)."""
    old, new = leaf_values(before), leaf_values(after)
    return sorted(p for p in set(old) | set(new) if old.get(p, ...) != new.get(p, ...))


def generic_path(path):
    """``$.lines[3].price`` -> ``$.lines[*].price``: the contract's field path."""
    return re.sub(r"\[\d+\]", "[*]", path)


def pretty(payload):
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)


def unified_diff(before, after):
    return "\n".join(
        difflib.unified_diff(
            pretty(before).splitlines(),
            pretty(after).splitlines(),
            "original",
            "edited",
            lineterm="",
        )
    )


def fingerprint(*parts):
    """A stable key grouping occurrences of the same problem."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def business_trace_id(system, business_object, external_id):
    """The trace id of one business transaction, derived from its key.

    Every delivery about the same object of the same system (a webhook, a
    second topic, a catch-up poll, a replay) gets the same id without any
    lookup, so concurrent workers cannot start two traces for one order.
    None when there is no external id to key on.
    """
    if not external_id:
        return None
    key = "\x1f".join(str(part or "") for part in (system, business_object, external_id))
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return digest if digest != "0" * 32 else "1" + digest[1:]


def new_trace_id():
    """A W3C trace-context trace id: 16 random bytes, hex, never all zero."""
    while True:
        trace_id = secrets.token_hex(16)
        if trace_id != "0" * 32:
            return trace_id


def trace_id_from_traceparent(header):
    """The trace id of a ``traceparent`` header, or None when it is malformed."""
    match = TRACEPARENT_RE.match((header or "").strip().lower())
    if not match or match.group(1) == "0" * 32:
        return None
    return match.group(1)


def traceparent(trace_id, span_id=None):
    return f"00-{trace_id}-{span_id or secrets.token_hex(8)}-01"


def chain_hash(previous_hash, row, key=None):
    """SHA-256 over the previous row's hash and this row's canonical JSON;
    an HMAC when ``key`` is given, so that only its holder can forge a row."""
    body = (
        (previous_hash or "") + json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    ).encode()
    if key:
        return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()
