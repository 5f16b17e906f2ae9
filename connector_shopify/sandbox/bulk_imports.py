"""Bulk mutations (imports), as Shopify documents them.

A client asks ``stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES,
filename, mimeType: "text/jsonl", httpMethod: POST}])`` for a staged target,
POSTs a multipart form there (every parameter, then the ``file`` field; the
storage answers ``success_action_status``, 201, with an XML ``PostResponse``),
then runs ``bulkOperationRunMutation(mutation:, stagedUploadPath:)`` with
the ``key`` parameter as the path. Shopify executes the mutation once per
JSONL line, with that line as its variables, in the background; the result
file has one line per input line: the mutation's ``data`` (and ``errors``,
if any) with ``__lineNumber`` (from 0). Since the 2025 "faster bulk
operations" change any mutation is accepted and the file may be 100 MB.
(https://shopify.dev/docs/api/usage/bulk-operations/imports,
https://shopify.dev/changelog/posts/faster-bulk-operations,
https://shopify.dev/docs/api/admin-graphql/latest/enums/BulkMutationErrorCode)
"""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone

import graphql

from .defaults import resolve_field

UPLOAD_LIMIT = 100 * 1024 * 1024
# A staged target is short-lived on Shopify's storage (a signed policy).
UPLOAD_TTL = 3600
UPLOAD_PATH = "/staged-uploads"
# The bulk operation mutations themselves cannot run in bulk.
NOT_IN_BULK = {"bulkOperationRunMutation", "bulkOperationRunQuery", "bulkOperationCancel"}
_SIGNING_KEY = secrets.token_bytes(32)


def staged_uploads(shop):
    if not hasattr(shop, "staged_uploads"):
        shop.staged_uploads = {}
    return shop.staged_uploads


def _signature(key, policy):
    return hmac.new(_SIGNING_KEY, f"{key}\n{policy}".encode(), hashlib.sha256).hexdigest()


def create_targets(shop, inputs, base_url):
    """(stagedTargets, userErrors) of a ``stagedUploadsCreate`` (store lock held)."""
    targets, errors = [], []
    for index, spec in enumerate(inputs):
        if spec["resource"] != "BULK_MUTATION_VARIABLES":
            raise graphql.GraphQLError(
                f"Staged uploads for {spec['resource']} are not emulated by the Shopify sandbox",
                extensions={"code": "NOT_EMULATED_BY_SANDBOX"},
            )
        if (spec.get("httpMethod") or "PUT") != "POST":
            errors.append(
                {
                    "field": ["input", str(index), "httpMethod"],
                    "message": "Bulk mutation variables must be uploaded with httpMethod POST",
                }
            )
            continue
        key = f"tmp/{shop.id}/bulk/{uuid.uuid4()}/bulk_op_vars"
        expires = datetime.now(timezone.utc) + timedelta(seconds=UPLOAD_TTL)
        policy = base64.b64encode(
            json.dumps(
                {
                    "conditions": [
                        {"Content-Type": spec["mimeType"]},
                        {"success_action_status": "201"},
                        {"acl": "private"},
                        ["content-length-range", 1, UPLOAD_LIMIT],
                        {"key": key},
                    ],
                    "expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            ).encode()
        ).decode()
        staged_uploads(shop)[key] = {
            "mime_type": spec["mimeType"],
            "expires": time.time() + UPLOAD_TTL,
            "data": None,
        }
        date = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        parameters = [
            ("key", key),
            ("Content-Type", spec["mimeType"]),
            ("success_action_status", "201"),
            ("acl", "private"),
            ("policy", policy),
            ("x-goog-credential", f"sandbox-storage/{date[:8]}/auto/storage/goog4_request"),
            ("x-goog-algorithm", "GOOG4-RSA-SHA256"),
            ("x-goog-date", date),
            ("x-goog-signature", _signature(key, policy)),
        ]
        targets.append(
            {
                "url": f"{base_url}{UPLOAD_PATH}",
                "resourceUrl": None,
                "parameters": [{"name": n, "value": v} for n, v in parameters],
            }
        )
    return targets, errors


def parse_form(content_type, body):
    """{field: bytes} of a multipart/form-data body (fields in order)."""
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    if not message.is_multipart():
        return None
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True) or b""
    return fields


def _xml_error(code, message):
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


def receive_upload(shops, fields, base_url):
    """(status, XML body) of a POST to the staged target, as Google Cloud
    Storage answers a signed POST policy upload (store lock held)."""
    if fields is None or "file" not in fields or "key" not in fields:
        return 400, _xml_error("InvalidArgument", "A multipart form with key and file is required.")
    key = fields["key"].decode()
    staged = None
    for shop in shops:
        staged = staged_uploads(shop).get(key)
        if staged:
            break
    policy = (fields.get("policy") or b"").decode()
    signature = (fields.get("x-goog-signature") or b"").decode()
    if staged is None or not hmac.compare_digest(signature, _signature(key, policy)):
        return 403, _xml_error("AccessDenied", "Invalid argument: the policy does not match.")
    if time.time() > staged["expires"]:
        return 400, _xml_error("ExpiredToken", "The provided token has expired.")
    if (fields.get("Content-Type") or b"").decode() != staged["mime_type"]:
        return 403, _xml_error("AccessDenied", "Policy condition failed: Content-Type.")
    if len(fields["file"]) > UPLOAD_LIMIT:
        return 400, _xml_error("EntityTooLarge", "Your proposed upload exceeds the maximum size.")
    staged["data"] = fields["file"]
    etag = hashlib.md5(fields["file"], usedforsecurity=False).hexdigest()  # GCS ETag
    body = (
        "<?xml version='1.0' encoding='UTF-8'?><PostResponse>"
        f"<Location>{base_url}{UPLOAD_PATH}/{key}</Location>"
        f"<Bucket>shopify-staged-uploads</Bucket><Key>{key}</Key>"
        f'<ETag>"{etag}"</ETag></PostResponse>'
    ).encode()
    return 201, body


def check_mutation(schema, mutation):
    """A user error message for a mutation Shopify would not run in bulk, or None."""
    try:
        document = graphql.parse(mutation)
    except graphql.GraphQLError as error:
        return f"Invalid mutation: {error.message}"
    operations = [d for d in document.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != graphql.OperationType.MUTATION:
        return "Bulk mutations must contain exactly one mutation operation"
    fields = operations[0].selection_set.selections
    if len(fields) != 1 or not isinstance(fields[0], graphql.FieldNode):
        return "Bulk mutations must contain exactly one top-level mutation field"
    if fields[0].name.value in NOT_IN_BULK:
        return f"{fields[0].name.value} cannot run in a bulk mutation"
    errors = graphql.validate(schema, document)
    if errors:
        return f"Invalid mutation: {errors[0].message}"
    return None


def read_lines(data):
    """The variables of each JSONL line, or None when a line is not a JSON object."""
    lines = []
    for raw in data.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        try:
            variables = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(variables, dict):
            return None
        lines.append(variables)
    return lines


def run_line(schema, document, graph, variables, number):
    """One result line: the mutation executed with one line's variables."""
    result = graphql.execute(
        schema,
        document,
        root_value=graph.mutation_root(),
        variable_values=variables,
        field_resolver=resolve_field,
    )
    line = {"data": result.data}
    if result.errors:
        line["errors"] = [error.formatted for error in result.errors]
    line["__lineNumber"] = number
    return line
