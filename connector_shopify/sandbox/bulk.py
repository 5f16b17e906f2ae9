"""Bulk operations, as Shopify documents them: queries here, the running
of bulk mutations too (their staged upload and lines: ``bulk_imports.py``).

``bulkOperationRunQuery(query:)`` starts an asynchronous run of one query
over whole connections (no page size, no cursors); the operation goes
CREATED -> RUNNING -> COMPLETED (or CANCELED), is read back with
``currentBulkOperation`` / ``bulkOperation(id:)`` / ``node(id:)``, and its
result is a JSONL file at ``url``: one line per object, the objects of a
nested connection on lines of their own with ``__parentId`` (the id of the
object they belong to). Shops subscribed to ``BULK_OPERATIONS_FINISH`` get
the ``bulk_operations/finish`` webhook. Before API 2026-01 one bulk query
runs per shop at a time (``OPERATION_IN_PROGRESS``); since 2026-01 up to
five (``LIMIT_REACHED``); queries and mutations are counted apart.
(https://shopify.dev/docs/api/usage/bulk-operations/queries,
https://shopify.dev/docs/api/admin-graphql/latest/mutations/bulkOperationRunQuery)
"""

import contextvars
import json
import threading
import time

import graphql

from . import bulk_imports
from .defaults import resolve_field
from .store import gid, iso_z

# Set while a bulk query runs: connections then answer every object.
BULK = contextvars.ContextVar("shopify_sandbox_bulk", default=None)
# A bulk query reads its top connection this many objects at a time, the
# store free in between: Shopify answers a shop's other calls (a poll of the
# operation, a sale) while its bulk query runs, and objectCount grows.
PAGE_OF_ROOTS = 250
# Shopify queues a bulk operation before it runs: long enough to be seen CREATED.
START_DELAY = 0.05
RUNNING_STATES = ("CREATED", "RUNNING", "CANCELING")
CONCURRENT_SINCE = "2026-01"
MAX_CONCURRENT = 5


def concurrency(version):
    return MAX_CONCURRENT if version >= CONCURRENT_SINCE or version == "unstable" else 1


class Window:
    """The page of a bulk query's top connection one pass of its run reads:
    the first connection the pass resolves claims it (nested ones are whole)."""

    def __init__(self, after, size):
        self.after, self.size = after, size
        self.claimed = False
        self.last, self.more = None, False

    def claim(self):
        """(after key, size) for the top connection, None for the others."""
        if self.claimed:
            return None
        self.claimed = True
        return self.after, self.size

    def read(self, last, more):
        self.last, self.more = last, more


def operations(shop):
    if not hasattr(shop, "bulk_operations"):
        shop.bulk_operations = {}
    return shop.bulk_operations


def node(op):
    """The BulkOperation object as the API answers it."""
    return {
        "__typename": "BulkOperation",
        "id": gid("BulkOperation", op["id"]),
        "type": op.get("type", "QUERY"),
        "status": op["status"],
        "errorCode": op.get("error_code"),
        "createdAt": iso_z(op["created_at"]),
        "completedAt": iso_z(op["completed_at"]) if op.get("completed_at") else None,
        "objectCount": str(op.get("object_count", 0)),
        "rootObjectCount": str(op.get("root_object_count", 0)),
        "fileSize": str(op["file_size"]) if op.get("file_size") is not None else None,
        "url": op.get("url"),
        "partialDataUrl": None,
        "query": op["query"],
    }


def flatten(data):
    """JSONL lines of a bulk query's answer: the top connection's objects,
    each nested connection's objects after their parent with ``__parentId``."""
    lines, roots = [], 0
    for value in data.values():
        for item in _connection_nodes(value):
            roots += 1
            _emit(item, None, lines)
    return lines, roots


def _connection_nodes(value):
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("edges"), list):
        return [edge.get("node") for edge in value["edges"] if isinstance(edge, dict)]
    if isinstance(value.get("nodes"), list):
        return value["nodes"]
    return []


def _is_connection(value):
    return isinstance(value, dict) and (
        isinstance(value.get("edges"), list) or isinstance(value.get("nodes"), list)
    )


def _emit(item, parent_id, lines):
    if not isinstance(item, dict):
        return
    own = {key: value for key, value in item.items() if not _is_connection(value)}
    if parent_id is not None:
        own["__parentId"] = parent_id
    lines.append(own)
    for value in item.values():
        if _is_connection(value):
            for child in _connection_nodes(value):
                _emit(child, item.get("id"), lines)


def check_query(schema, query):
    """A user error for a query Shopify would not run in bulk, or None."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError as error:
        return f"Invalid bulk query: {error.message}"
    operations_ = [
        d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)
    ]
    if len(operations_) != 1 or operations_[0].operation != graphql.OperationType.QUERY:
        return "Bulk queries must contain exactly one query operation"
    errors = graphql.validate(schema, document)
    if errors:
        return f"Invalid bulk query: {errors[0].message}"
    return None


class BulkRunner:
    """Runs a shop's bulk queries in the background, as Shopify's job does."""

    def __init__(self, store, schema_for, graph_for, public_url):
        self.store = store
        self.schema_for = schema_for  # version -> schema
        self.graph_for = graph_for  # (shop, version, schema) -> ShopGraph
        self.public_url = public_url  # () -> the sandbox's base URL

    def start(self, shop, version, query):
        """(operation, user errors) for a bulkOperationRunQuery (store lock held)."""
        schema = self.schema_for(version)
        problem = check_query(schema, query)
        if problem:
            return None, [{"field": ["query"], "message": problem, "code": "INVALID"}]
        busy = self._busy(shop, version, "QUERY")
        if busy:
            return None, busy
        return self._launch(shop, {"type": "QUERY", "query": query, "version": version}), []

    def start_mutation(self, shop, version, mutation, staged_upload_path):
        """(operation, user errors) for a bulkOperationRunMutation (store lock held)."""
        problem = bulk_imports.check_mutation(self.schema_for(version), mutation)
        if problem:
            return None, [{"field": ["mutation"], "message": problem, "code": "INVALID_MUTATION"}]
        staged = bulk_imports.staged_uploads(shop).get(staged_upload_path)
        if not staged or staged["data"] is None:
            message = (
                "The JSONL file could not be found. Try uploading the file again, and check "
                "that you've entered the URL correctly for the stagedUploadPath mutation argument."
            )
            return None, [
                {"field": ["stagedUploadPath"], "message": message, "code": "NO_SUCH_FILE"}
            ]
        lines = bulk_imports.read_lines(staged["data"])
        if lines is None:
            message = "The JSONL file submitted via the stagedUploadsCreate mutation is invalid."
            return None, [
                {
                    "field": ["stagedUploadPath"],
                    "message": message,
                    "code": "INVALID_STAGED_UPLOAD_FILE",
                }
            ]
        busy = self._busy(shop, version, "MUTATION")
        if busy:
            return None, busy
        op = {"type": "MUTATION", "query": mutation, "version": version, "lines": lines}
        return self._launch(shop, op), []

    def _busy(self, shop, version, kind):
        """The user errors of an operation over the shop's limit, or []."""
        running = [
            op
            for op in operations(shop).values()
            if op["status"] in RUNNING_STATES and op.get("type", "QUERY") == kind
        ]
        allowed = concurrency(version)
        if len(running) < allowed:
            return []
        if allowed == 1:
            message = (
                f"A bulk {kind.lower()} operation for this app and shop is already in "
                f"progress: {gid('BulkOperation', running[0]['id'])}."
            )
            return [{"field": None, "message": message, "code": "OPERATION_IN_PROGRESS"}]
        message = f"Only {allowed} bulk {kind.lower()} operations can run at a time."
        return [{"field": None, "message": message, "code": "LIMIT_REACHED"}]

    def _launch(self, shop, op):
        op.update(id=self.store.next_id(), status="CREATED", created_at=self.store.now())
        operations(shop)[op["id"]] = op
        threading.Thread(
            target=self._run, args=(shop, op), name="shopify-sandbox-bulk", daemon=True
        ).start()
        return op

    def cancel(self, shop, op):
        if op["status"] in ("CREATED", "RUNNING"):
            op["status"] = "CANCELING"
            return []
        return [
            {
                "field": ["id"],
                "message": f"A bulk operation cannot be canceled when it is {op['status'].lower()}",
            }
        ]

    def _run(self, shop, op):
        time.sleep(START_DELAY + float(shop.faults.bulk_seconds or 0))
        with self.store.lock:
            if op["status"] == "CANCELING":
                return self._finish(shop, op, "CANCELED")
            op["status"] = "RUNNING"
        schema = self.schema_for(op["version"])
        if op["type"] == "MUTATION":
            return self._run_mutation(shop, op, schema)
        document = graphql.parse(op["query"])
        lines, roots, after = [], 0, None
        while True:
            # One page of the top connection per pass, the store free between.
            with self.store.lock:
                if op["status"] == "CANCELING":
                    return self._finish(shop, op, "CANCELED")
                graph = self.graph_for(shop, op["version"], schema)
                window = Window(after, PAGE_OF_ROOTS)
                token = BULK.set(window)
                try:
                    result = graphql.execute(
                        schema,
                        document,
                        root_value=graph.query_root(),
                        field_resolver=resolve_field,
                    )
                finally:
                    BULK.reset(token)
                if result.errors:
                    op["error_code"] = "INTERNAL_SERVER_ERROR"
                    op["errors"] = [error.message for error in result.errors]
                    return self._finish(shop, op, "FAILED")
                page, page_roots = flatten(result.data or {})
                lines += page
                roots += page_roots
                op["object_count"], op["root_object_count"] = len(lines), roots
                if not (window.claimed and window.more):
                    return self._complete(shop, op, lines, roots)
                after = window.last
            time.sleep(float(shop.faults.bulk_page_seconds or 0))

    def _run_mutation(self, shop, op, schema):
        """Each line in turn, the store free between two lines (other calls,
        a sale, go on meanwhile, as on Shopify)."""
        document = graphql.parse(op["query"])
        results = []
        for number, variables in enumerate(op.pop("lines")):
            with self.store.lock:
                if op["status"] == "CANCELING":
                    return self._finish(shop, op, "CANCELED")
                graph = self.graph_for(shop, op["version"], schema)
                results.append(bulk_imports.run_line(schema, document, graph, variables, number))
        with self.store.lock:
            return self._complete(shop, op, results, len(results))

    def _complete(self, shop, op, lines, roots):
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        op["file"] = body.encode()
        op["object_count"] = len(lines)
        op["root_object_count"] = roots
        op["file_size"] = len(op["file"])
        op["url"] = f"{self.public_url()}/bulk-results/{shop.domain}/{op['id']}.jsonl"
        return self._finish(shop, op, "COMPLETED")

    def _finish(self, shop, op, status):
        op["status"] = status
        op["completed_at"] = self.store.now()
        self.store.emit(
            shop,
            "BULK_OPERATIONS_FINISH",
            {
                "admin_graphql_api_id": gid("BulkOperation", op["id"]),
                "completed_at": iso_z(op["completed_at"]),
                "created_at": iso_z(op["created_at"]),
                "error_code": (op.get("error_code") or "").lower() or None,
                "status": status.lower(),
                "type": op.get("type", "QUERY").lower(),
            },
        )
        return op

    def result_file(self, shop, op_id):
        op = operations(shop).get(op_id)
        return op.get("file") if op else None
