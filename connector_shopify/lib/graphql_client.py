"""A client for Shopify's GraphQL Admin API over an injected HTTP client.

Shopify answers HTTP 200 for most failures and says what went wrong in the
body: ``errors[].extensions.code`` (THROTTLED, MAX_COST_EXCEEDED, ...) and
per-mutation ``userErrors``. This module turns those into the caller's error
taxonomy so jobs know whether to wait, retry or ask a person, and estimates a
document's cost before it is sent so the caller can wait for the bucket
instead of being refused (https://shopify.dev/docs/api/usage/limits).

Plain Python: nothing here imports Odoo or another addon. The taxonomy is
injected, ``ShopifyGraphQL(http, version, errors=retry)``, where ``errors`` is
any module or namespace providing ``TransientError``, ``ThrottledError``,
``AuthenticationError`` and ``PermanentError`` (the ORM side passes
``connector_base.lib.retry``). Shopify's own errors (``ShopifyUserError``,
``ShopifyContractError``, ``ShopifyGraphQLError``) are that taxonomy's
``PermanentError``, so they are made by ``shopify_errors(errors)``, once per
taxonomy: every call with the same module returns the very same classes, so
the client and its callers raise and catch one class. A client carries them
as ``client.shopify_errors``; module code binds them once, e.g.
``ShopifyUserError = shopify_errors(retry).ShopifyUserError``.
"""

from types import SimpleNamespace

from .cost_signals import graphql_cost

DEFAULT_VERSION = "2026-10"
# Versions Shopify publishes in @shopify/dev-mcp 1.16.0 (stable, newest last).
API_VERSIONS = ["2025-10", "2026-01", "2026-04", "2026-07", "2026-10"]

# What ShopifyGraphQL and shopify_errors() need from the injected taxonomy.
TAXONOMY = ("TransientError", "ThrottledError", "AuthenticationError", "PermanentError")


def _check_taxonomy(taxonomy):
    missing = [name for name in TAXONOMY if not isinstance(getattr(taxonomy, name, None), type)]
    if missing:
        raise TypeError(f"errors={taxonomy!r} lacks the error classes {', '.join(missing)}")


# id(taxonomy) -> (taxonomy, its Shopify errors); the taxonomy is kept so its id
# stays its own (a namespace is not hashable, so no functools.cache).
_MADE = {}


def shopify_errors(taxonomy):
    """Shopify's error classes over ``taxonomy``, made once per taxonomy: a
    namespace with ``ShopifyUserError``, ``ShopifyContractError`` and
    ``ShopifyGraphQLError``, each a subclass of ``taxonomy.PermanentError``."""
    made = _MADE.get(id(taxonomy))
    if made is None:
        # setdefault: two threads racing on the first call agree on one set.
        made = _MADE.setdefault(id(taxonomy), (taxonomy, _make_errors(taxonomy)))
    return made[1]


def _make_errors(taxonomy):
    _check_taxonomy(taxonomy)

    class ShopifyUserError(taxonomy.PermanentError):
        """A mutation's ``userErrors``: the data is wrong, retrying cannot help."""

        def __init__(self, operation, user_errors):
            self.user_errors = user_errors
            codes = ", ".join(
                f"{e.get('code') or ''} {'.'.join(e.get('field') or [])}: {e.get('message')}".strip()
                for e in user_errors
            )
            super().__init__(f"{operation}: {codes}")

        @property
        def codes(self):
            return {e.get("code") for e in self.user_errors}

    class ShopifyContractError(taxonomy.PermanentError):
        """An answer that breaks the contract of its document's response: Shopify
        sent something else than what the connector asked for and reads."""

        kind = "contract"

        def __init__(self, operation, violations, contract=None):
            self.operation = operation
            self.violations = violations
            self.contract = contract
            super().__init__(
                f"{operation}: the answer breaks {contract or 'its contract'}: "
                + "; ".join(f"{v['path']} {v['message']}" for v in violations)
            )

    class ShopifyGraphQLError(taxonomy.PermanentError):
        """Top-level ``errors`` other than throttling: a document or data problem."""

        def __init__(self, operation, errors):
            self.errors = errors
            super().__init__(
                f"{operation}: " + "; ".join(str(e.get("message")) for e in errors if e)[:1000]
            )

    classes = (ShopifyUserError, ShopifyContractError, ShopifyGraphQLError)
    for cls in classes:
        # Tracebacks and logs name the class as if it were defined at module level.
        cls.__qualname__ = cls.__name__
        cls.__module__ = __name__
    return SimpleNamespace(**{cls.__name__: cls for cls in classes})


def gid(resource, legacy_id):
    """``gid://shopify/Order/123`` from a REST id."""
    return f"gid://shopify/{resource}/{legacy_id}"


def legacy_id(global_id):
    """``123`` from ``gid://shopify/Order/123`` (None stays None)."""
    if global_id in (None, ""):
        return None
    return str(global_id).rsplit("/", 1)[-1]


def graphql_path(version):
    return f"/admin/api/{version}/graphql.json"


class ShopifyGraphQL:
    """Sends documents, checks the answer, reports the cost to ``on_cost``.

    ``on_data(operation, document, data, trace_id)`` sees every successful
    answer's ``data`` once, before the caller reads it (contract validation).
    ``errors`` is the taxonomy it raises (see the module docstring); the Shopify
    classes over it are ``self.shopify_errors``.
    """

    def __init__(self, http_client, version=DEFAULT_VERSION, *, on_cost=None, on_data=None, errors):
        self.http = http_client
        self.version = version
        self.on_cost = on_cost
        self.on_data = on_data
        self.errors = errors
        self.shopify_errors = shopify_errors(errors)

    def execute(self, document, variables=None, *, operation, trace_id=None):
        """``data`` of a successful answer; raises the taxonomy's errors otherwise."""
        response = self.http.request(
            "POST",
            graphql_path(self.version),
            json={"query": document, "variables": variables or {}}
            | ({"operationName": operation} if operation else {}),
            endpoint=f"graphql:{operation}",
            trace_id=trace_id,
        )
        try:
            body = response.json()
        except ValueError as error:
            raise self.errors.TransientError(f"{operation}: answer is not JSON") from error
        cost = graphql_cost(body.get("extensions"))
        if cost and self.on_cost:
            self.on_cost(cost, operation)
        errors = body.get("errors") or []
        if errors:
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" in codes:
                raise self.errors.ThrottledError(
                    f"{operation}: throttled by Shopify", retry_after=throttle_wait(cost, cost)
                )
            if "INTERNAL_SERVER_ERROR" in codes:
                raise self.errors.TransientError(f"{operation}: Shopify internal error")
            if "ACCESS_DENIED" in codes:
                raise self.errors.AuthenticationError(
                    f"{operation}: access denied (missing scope?)"
                )
            raise self.shopify_errors.ShopifyGraphQLError(operation, errors)
        data = body.get("data")
        if data is None:
            raise self.errors.TransientError(f"{operation}: answer without data")
        if self.on_data:
            self.on_data(operation, document, data, trace_id)
        return data

    def mutate(self, document, variables, *, operation, field, trace_id=None):
        """Run a mutation and raise ShopifyUserError on its ``userErrors``."""
        data = self.execute(document, variables, operation=operation, trace_id=trace_id)
        payload = data.get(field) or {}
        if payload.get("userErrors"):
            raise self.shopify_errors.ShopifyUserError(operation, payload["userErrors"])
        return payload

    def paginate(self, document, variables, *, operation, path, page_size=250, trace_id=None):
        """Yield the nodes of a connection, page after page (cursor pagination)."""
        after = None
        while True:
            data = self.execute(
                document,
                {**variables, "first": page_size, "after": after},
                operation=operation,
                trace_id=trace_id,
            )
            connection = data
            for key in path:
                connection = (connection or {}).get(key)
            if not connection:
                return
            yield from connection.get("nodes") or []
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info.get("endCursor")


def throttle_wait(cost, next_cost_info=None):
    """Seconds until the bucket holds the requested cost again (from throttleStatus)."""
    if not cost:
        return 1.0
    requested = cost.get("requested") or 1.0
    available = cost.get("available") or 0.0
    rate = cost.get("restore_rate") or 50.0
    return max((requested - available) / rate, 0.5)
