"""Relay connections and Shopify's search syntax, as the Admin API answers them."""

import base64
import json
import re
from datetime import datetime, timezone

from graphql import GraphQLError

from . import bulk

MAX_PAGE_SIZE = 250


def _encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor):
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(cursor.encode())))
    except (ValueError, TypeError) as error:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from error


def connection(items, args, to_node, sort_key=None):
    """A Relay connection page over ``items`` (dicts with an ``id``)."""
    first, last = args.get("first"), args.get("last")
    whole = False
    page = None
    if first is None and last is None:
        window = bulk.BULK.get()
        if not window:
            raise GraphQLError("you must provide one of first or last")
        first = len(items := list(items))  # a bulk query reads whole connections
        whole = True
        # ... its top one a page at a time (the first connection it resolves).
        page = window.claim()
        if page is not None:
            after, first = page
            if after is not None:
                args = {**args, "after": _encode_cursor(list(after))}
    for name, value in () if whole else (("first", first), ("last", last)):
        if value is not None and (value < 0 or value > MAX_PAGE_SIZE):
            raise GraphQLError(
                f"The '{name}' argument must be between 0 and {MAX_PAGE_SIZE}",
                extensions={"code": "BAD_REQUEST"},
            )
    sort_key = sort_key or (lambda item: item["id"])
    keyed = sorted(((sort_key(item), item["id"]), item) for item in items)
    if args.get("reverse"):
        keyed.reverse()
    ahead = (lambda a, b: a < b) if args.get("reverse") else (lambda a, b: a > b)
    has_previous = has_next = False
    if args.get("after"):
        position = _decode_cursor(args["after"])
        keyed = [(key, item) for key, item in keyed if ahead(key, position)]
        has_previous = True
    if args.get("before"):
        position = _decode_cursor(args["before"])
        keyed = [(key, item) for key, item in keyed if ahead(position, key)]
        has_next = True
    if first is not None:
        has_next = has_next or len(keyed) > first
        keyed = keyed[:first]
    if last is not None:
        has_previous = has_previous or len(keyed) > last
        keyed = keyed[-last:] if last else []
    if page is not None:
        window.read(keyed[-1][0] if keyed else None, has_next)
    edges = [{"cursor": _encode_cursor(list(key)), "node": to_node(item)} for key, item in keyed]
    return {
        "nodes": [edge["node"] for edge in edges],
        "edges": edges,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _search_terms(query):
    """Shopify search syntax, reduced to OR-groups of AND-ed ``field:value`` terms."""
    tokens = re.findall(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+""", query or "")
    groups, current = [], []
    for token in tokens:
        if token == "OR":
            groups.append(current)
            current = []
        elif token != "AND":
            current.append(token)
    groups.append(current)
    parsed = []
    for group in groups:
        terms = []
        for token in group:
            negate = token.startswith("-")
            token = token.lstrip("-")
            field, _, value = token.partition(":")
            if not value:
                continue  # free text: not emulated, ignored like an unknown filter
            match = re.match(r"^(>=|<=|>|<)?(.*)$", value)
            operator, value = match.group(1) or "=", match.group(2).strip("'\"")
            terms.append((field.lower(), operator, value, negate))
        parsed.append(terms)
    return [group for group in parsed if group] or [[]]


def _parse_time(value):
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _compare(left, operator, right):
    if left is None or right is None:
        return False
    return {
        "=": left == right,
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[operator]


def search(items, query, fields):
    """Keep items matching the query; ``fields`` maps a search field to a getter.

    Unknown fields are ignored, as Shopify ignores filters it does not know.
    """
    if not query:
        return list(items)
    groups = _search_terms(query)

    def term_matches(item, term):
        field, operator, value, negate = term
        getter = fields.get(field)
        if getter is None:
            return True
        actual, kind = getter(item)
        if kind == "time":
            result = _compare(actual, operator, _parse_time(value))
        elif kind == "int":
            result = _compare(actual, operator, int(value) if value.lstrip("-").isdigit() else None)
        else:
            result = (actual or "").lower() == value.lower()
        return not result if negate else result

    return [
        item
        for item in items
        if any(all(term_matches(item, term) for term in group) for group in groups)
    ]
