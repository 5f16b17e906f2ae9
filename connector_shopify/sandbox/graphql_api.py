"""The Admin GraphQL endpoint: parse, validate, cost, throttle, execute.

Documents are validated against Shopify's own published schema of the
requested API version, and executed by graphql-core with resolvers over the
store. A field without a resolver here answers an error naming it rather
than a silent null, so a test never passes on data the sandbox made up.
"""

import re
import time

import graphql
from graphql import GraphQLError

from . import bulk
from . import cost as query_cost
from .defaults import resolve_field
from .mutations_admin import AdminMutations
from .mutations_inventory import InventoryMutations
from .mutations_products import ProductMutations
from .nodes_admin import AdminNodes
from .nodes_catalog import CatalogNodes
from .nodes_customers import CustomerNodes
from .nodes_drafts import DraftOrderNodes
from .nodes_fulfillment import FulfillmentNodes
from .nodes_orders import OrderNodes
from .nodes_payments import PaymentNodes
from .query_root import QueryRoot
from .schema_files import load_schema
from .store import money_str, parse_gid

THROTTLE_DOC = "https://shopify.dev/api/usage/rate-limits"
VALIDATION_CODES = [
    (re.compile(r"^Cannot query field '(?P<field>\w+)' on type '(?P<type>\w+)'"), "undefinedField"),
    (re.compile(r"^Unknown argument"), "argumentNotAccepted"),
    (re.compile(r"^Field '.*' argument '.*' of type '.*' is required"), "missingRequiredArguments"),
    (re.compile(r"^Unknown type"), "undefinedType"),
    (re.compile(r"^Unknown fragment"), "undefinedFragment"),
    (re.compile(r"^Fragment '.*' is never used"), "useAndDefineFragment"),
    (re.compile(r"^Unknown directive"), "undefinedDirective"),
    (re.compile(r"^Variable '.*' is never used"), "variableNotUsed"),
    (re.compile(r"^Variable '.*' is not defined"), "undefinedVariable"),
    (
        re.compile(r"must have a selection of subfields|must not have a selection"),
        "selectionMismatch",
    ),
    (re.compile(r"^Variable '.*' of type '.*' used in position"), "variableMismatch"),
    (
        re.compile(r"cannot represent|^Expected value of type|^Enum '.*' cannot"),
        "argumentLiteralsIncompatible",
    ),
]


def _error(message, code, **extensions):
    return {"message": message, "extensions": {"code": code, **extensions}}


def _format_validation_error(error):
    formatted = error.formatted
    code = "validationError"
    for pattern, candidate in VALIDATION_CODES:
        match = pattern.search(error.message)
        if match:
            code = candidate
            if candidate == "undefinedField":
                formatted["message"] = (
                    f"Field '{match['field']}' doesn't exist on type '{match['type']}'"
                )
                formatted.setdefault("extensions", {}).update(
                    typeName=match["type"], fieldName=match["field"]
                )
            break
    formatted.setdefault("extensions", {})["code"] = code
    return formatted


def _format_execution_error(error):
    formatted = error.formatted
    extensions = formatted.setdefault("extensions", {})
    if "code" not in extensions:
        extensions["code"] = (
            "INVALID_VARIABLE"
            if error.message.startswith("Variable '$")
            else ("INTERNAL_SERVER_ERROR" if error.original_error else "BAD_REQUEST")
        )
    return formatted


class ShopGraph(
    QueryRoot,
    AdminNodes,
    DraftOrderNodes,
    PaymentNodes,
    CatalogNodes,
    CustomerNodes,
    OrderNodes,
    FulfillmentNodes,
    AdminMutations,
    InventoryMutations,
    ProductMutations,
):
    """Resolvers of one request: a shop seen through one API version."""

    def __init__(self, store, shop, version, schema, bulk_runner=None):
        self.store = store
        self.shop = shop
        self.version = version
        self.schema = schema
        self.bulk_runner = bulk_runner

    # ------------------------------------------------------------ helpers
    def bag(self, amount, currency=None):
        currency = currency or self.shop.currency
        value = {"amount": money_str(amount), "currencyCode": currency}
        return {"shopMoney": value, "presentmentMoney": dict(value)}

    def has_enum_value(self, enum_name, value):
        enum = self.schema.get_type(enum_name)
        return enum is not None and value in enum.values

    def has_input_field(self, input_name, field):
        input_type = self.schema.get_type(input_name)
        return input_type is not None and field in input_type.fields

    def lookup(self, global_id):
        """The node dict behind any GID this sandbox knows, or None."""
        parsed = parse_gid(global_id)
        if parsed is None:
            raise GraphQLError(
                f"Invalid global id '{global_id}'",
                extensions={"code": "argumentLiteralsIncompatible"},
            )
        kind, record_id = parsed
        shop = self.shop
        tables = {
            "Location": (shop.locations, self.location_node),
            "Product": (shop.products, self.product_node),
            "ProductVariant": (shop.variants, self.variant_node),
            "InventoryItem": (shop.items, self.item_node),
            "Customer": (shop.customers, self.customer_node),
            "Order": (shop.orders, self.order_node),
            "FulfillmentOrder": (shop.fulfillment_orders, self.fulfillment_order_node),
            "Fulfillment": (shop.fulfillments, self.fulfillment_node),
            "WebhookSubscription": (shop.subscriptions, self.subscription_node),
            "InventoryAdjustmentGroup": (shop.adjustment_groups, self.adjustment_group_node),
            "BulkOperation": (bulk.operations(shop), bulk.node),
            "Refund": (shop.refunds, self.refund_node),
            "Return": (shop.returns, self.return_node),
            "DraftOrder": (shop.draft_orders, self.draft_order_node),
            "OrderTransaction": (None, self.transaction_node),  # looked up on demand
        }
        if kind == "AppInstallation":
            return self.app_installation_node() if record_id == shop.id else None
        if kind not in tables:
            return None
        if kind == "OrderTransaction":
            tables[kind] = (self.transactions_by_id(), self.transaction_node)
        table, to_node = tables[kind]
        record = table.get(record_id)
        return to_node(record) if record else None

    def typed_lookup(self, kind):
        def resolve(info, id, **_):
            parsed = parse_gid(id, kind)
            return self.lookup(id) if parsed else None

        return resolve

    # ------------------------------------------------------------ nodes

    def mutation_root(self):
        return {
            "inventorySetQuantities": self.inventory_set_quantities,
            "fulfillmentCreate": self.fulfillment_create,
            "webhookSubscriptionCreate": self.webhook_create,
            "webhookSubscriptionUpdate": self.webhook_update,
            "webhookSubscriptionDelete": self.webhook_delete,
            "productSet": self.product_set,
            "bulkOperationRunQuery": self.bulk_run_query,
            "bulkOperationCancel": self.bulk_cancel,
            "bulkOperationRunMutation": self.bulk_run_mutation,
            "stagedUploadsCreate": self.staged_uploads_create,
        }


class GraphQLEndpoint:
    """One POST to ``/admin/api/<version>/graphql.json`` of an authenticated shop."""

    def __init__(self, store, public_url=lambda: ""):
        self.store = store
        self.bulk_runner = bulk.BulkRunner(
            store,
            load_schema,
            lambda shop, version, schema: ShopGraph(store, shop, version, schema),
            public_url,
        )

    def execute(self, shop, version, body):
        """Answer (HTTP status, JSON body) for a parsed request body."""
        schema = load_schema(version)
        query = body.get("query") if isinstance(body, dict) else None
        if not isinstance(query, str) or not query.strip():
            return 400, {"errors": {"query": "Required parameter missing or invalid"}}
        variables = body.get("variables") or {}
        operation_name = body.get("operationName")
        try:
            document = graphql.parse(query)
        except GraphQLError as error:
            formatted = error.formatted
            formatted["extensions"] = {"code": "syntaxError"}
            return 200, {"errors": [formatted]}
        validation = graphql.validate(schema, document)
        if validation:
            return 200, {"errors": [_format_validation_error(e) for e in validation]}
        requested = query_cost.query_cost(schema, document, operation_name, variables)
        with self.store.lock:
            bucket = shop.bucket
            available_before = bucket.available()
            call = {
                "at": time.time(),
                "operation": operation_name or _operation_name(document),
                "version": version,
                "requested": requested,
                "actual": None,
                "throttled": False,
                "available_before": available_before,
            }
            shop.calls.append(call)
            if requested > shop.max_query_cost:
                return 200, {
                    "errors": [
                        _error(
                            f"Query cost is {requested}, which exceeds the single query max cost "
                            f"limit ({shop.max_query_cost}).",
                            "MAX_COST_EXCEEDED",
                            cost=requested,
                            maxCost=shop.max_query_cost,
                            documentation=THROTTLE_DOC,
                        )
                    ],
                }
            forced = shop.faults.throttle_next > 0
            if forced:
                shop.faults.throttle_next -= 1
            else:
                forced = shop.faults.roll(shop.faults.throttle_rate)
            if forced or requested > available_before:
                call["throttled"] = True
                return 200, {
                    "errors": [_error("Throttled", "THROTTLED", documentation=THROTTLE_DOC)],
                    "extensions": {"cost": self._cost(requested, None, bucket)},
                }
            bucket.take(requested)
            graph = ShopGraph(self.store, shop, version, schema, self.bulk_runner)
            is_mutation = _is_mutation(document, operation_name)
            result = graphql.execute(
                schema,
                document,
                root_value=graph.mutation_root() if is_mutation else graph.query_root(),
                variable_values=variables,
                operation_name=operation_name,
                field_resolver=resolve_field,
            )
            if result.data is None and result.errors:
                actual = 0
            else:
                actual = query_cost.query_cost(
                    schema, document, operation_name, variables, data=result.data or {}
                )
            bucket.give_back(max(requested - actual, 0))
            call["actual"] = actual
            # What was asked and refused, for tests and the control API's call log.
            call["variables"] = variables
            call["user_errors"] = [
                error
                for payload in (result.data or {}).values()
                if isinstance(payload, dict)
                for error in payload.get("userErrors") or []
            ]
            response = {}
            if result.errors:
                response["errors"] = [_format_execution_error(e) for e in result.errors]
            if result.data is not None or not result.errors:
                response["data"] = result.data
            response["extensions"] = {"cost": self._cost(requested, actual, bucket)}
            return 200, response

    @staticmethod
    def _cost(requested, actual, bucket):
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": bucket.status(),
        }


def _operations(document):
    return [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]


def _operation_name(document):
    operations = _operations(document)
    return operations[0].name.value if len(operations) == 1 and operations[0].name else None


def _is_mutation(document, operation_name):
    for operation in _operations(document):
        if operation_name is None or (operation.name and operation.name.value == operation_name):
            return operation.operation == graphql.OperationType.MUTATION
    return False
