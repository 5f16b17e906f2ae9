"""Bulk mutations (imports) in the sandbox, driven over HTTP as a client
written against Shopify's documentation drives them."""

import json
import time

import requests

from ..lib import queries
from .sandbox_support import DOMAIN, TIMEOUT
from .test_sandbox_webhooks import WebhookCase

STAGE = """
mutation Stage($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""
RUN = """
mutation Run($mutation: String!, $path: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) {
    bulkOperation { id status type }
    userErrors { field message code }
  }
}
"""
CURRENT = (
    "{ currentBulkOperation(type: MUTATION) { id status type errorCode objectCount"
    " rootObjectCount fileSize url query } }"
)
VARIABLES = {
    "resource": "BULK_MUTATION_VARIABLES",
    "filename": "levels.jsonl",
    "mimeType": "text/jsonl",
    "httpMethod": "POST",
}


class TestBulkImports(WebhookCase):
    def setUp(self):
        super().setUp()
        variant = self.product["variants"][0]  # CHAIR-BLK, 10 available
        self.item = variant["inventory_item_gid"]
        self.location_gid = self.location["admin_graphql_api_id"]

    def line(self, quantity, change_from, key):
        return {
            "key": key,
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": self.item,
                        "locationId": self.location_gid,
                        "quantity": quantity,
                        "changeFromQuantity": change_from,
                    }
                ],
            },
        }

    def stage(self, version="2026-10"):
        staged = self.data(STAGE, {"input": [VARIABLES]}, version=version)["stagedUploadsCreate"]
        self.assertEqual(staged["userErrors"], [])
        target = staged["stagedTargets"][0]
        self.assertIsNone(target["resourceUrl"])
        return target, {p["name"]: p["value"] for p in target["parameters"]}

    def upload(self, target, parameters, body):
        return requests.post(
            target["url"],
            data=parameters,
            files={"file": ("levels.jsonl", body, "text/jsonl")},
            timeout=TIMEOUT,
        )

    def staged_file(self, lines, version="2026-10"):
        """The stagedUploadPath of an uploaded JSONL of ``lines``."""
        target, parameters = self.stage(version)
        body = "".join(json.dumps(line) + "\n" for line in lines)
        answer = self.upload(target, parameters, body.encode())
        self.assertEqual(answer.status_code, 201, answer.text)
        self.assertIn(f"<Key>{parameters['key']}</Key>", answer.text)
        return parameters["key"]

    def run_mutation(self, path, version="2026-10", mutation=queries.INVENTORY_SET):
        return self.data(RUN, {"mutation": mutation, "path": path}, version=version)[
            "bulkOperationRunMutation"
        ]

    def wait_done(self, version="2026-10"):
        deadline = time.time() + 10
        while time.time() < deadline:
            current = self.data(CURRENT, version=version)["currentBulkOperation"]
            if current["status"] not in ("CREATED", "RUNNING"):
                return current
            time.sleep(0.05)
        self.fail("the bulk mutation never finished")

    def test_each_line_runs_the_mutation_and_the_result_has_one_line_each(self):
        self.subscribe("BULK_OPERATIONS_FINISH", include_fields=False)
        path = self.staged_file([self.line(7, 10, "k-0"), self.line(4, 10, "k-1")])
        started = self.run_mutation(path)
        self.assertEqual(started["userErrors"], [])
        self.assertEqual(started["bulkOperation"]["status"], "CREATED")
        self.assertEqual(started["bulkOperation"]["type"], "MUTATION")
        current = self.wait_done()
        self.assertEqual((current["status"], current["type"]), ("COMPLETED", "MUTATION"))
        self.assertEqual(current["query"], queries.INVENTORY_SET)
        self.assertEqual(current["objectCount"], "2")
        result = requests.get(current["url"], timeout=TIMEOUT)
        self.assertEqual(int(current["fileSize"]), len(result.content))
        lines = [json.loads(line) for line in result.text.splitlines()]
        self.assertEqual([line["__lineNumber"] for line in lines], [0, 1])
        first, second = (line["data"]["inventorySetQuantities"] for line in lines)
        self.assertEqual(first["userErrors"], [])
        self.assertTrue(first["inventoryAdjustmentGroup"]["id"])
        # The second line compared with 10: the first had made it 7.
        self.assertIsNone(second["inventoryAdjustmentGroup"])
        self.assertEqual(second["userErrors"][0]["code"], "CHANGE_FROM_QUANTITY_STALE")
        self.assertEqual(self.sandbox.inventory(DOMAIN)["CHAIR-BLK"], {self.location_gid: 7})
        # Read back by id as well, and not as the shop's current bulk query.
        node = self.data(
            f'{{ node(id: "{current["id"]}") {{ ... on BulkOperation {{ type status }} }} }}'
        )["node"]
        self.assertEqual(node, {"type": "MUTATION", "status": "COMPLETED"})
        self.assertIsNone(self.data("{ currentBulkOperation { id } }")["currentBulkOperation"])
        self.settle()
        [delivery] = self.sink.accepted()
        self.assertEqual(delivery["headers"]["X-Shopify-Topic"], "bulk_operations/finish")
        payload = json.loads(delivery["body"])
        self.assertEqual(
            (payload["admin_graphql_api_id"], payload["status"], payload["type"]),
            (current["id"], "completed", "mutation"),
        )

    def test_the_calls_cost_what_a_mutation_costs(self):
        path = self.staged_file([self.line(7, 10, "k-0")])
        self.run_mutation(path)
        self.wait_done()
        costs = {
            call["operation"]: call["actual"]
            for call in self.sandbox.calls(DOMAIN)
            if call["operation"] in ("Stage", "Run")
        }
        self.assertEqual(costs, {"Stage": 11, "Run": 11})

    def test_a_path_never_uploaded_is_no_such_file(self):
        _target, parameters = self.stage()
        for path in (parameters["key"], "tmp/1/bulk/nope/bulk_op_vars"):
            refused = self.run_mutation(path)
            self.assertIsNone(refused["bulkOperation"])
            self.assertEqual(refused["userErrors"][0]["code"], "NO_SUCH_FILE")
            self.assertEqual(refused["userErrors"][0]["field"], ["stagedUploadPath"])

    def test_the_upload_target_checks_its_signed_form(self):
        target, parameters = self.stage()
        forged = dict(parameters, key="tmp/other/bulk/x/bulk_op_vars")
        answer = self.upload(target, forged, b"{}\n")
        self.assertEqual(answer.status_code, 403)
        self.assertIn("<Code>AccessDenied</Code>", answer.text)
        tampered = dict(parameters, **{"x-goog-signature": "0" * 64})
        self.assertEqual(self.upload(target, tampered, b"{}\n").status_code, 403)
        self.assertEqual(
            self.run_mutation(parameters["key"])["userErrors"][0]["code"], "NO_SUCH_FILE"
        )

    def test_a_file_that_is_not_jsonl_or_a_bad_mutation_is_refused(self):
        target, parameters = self.stage()
        self.assertEqual(self.upload(target, parameters, b"not json\n").status_code, 201)
        refused = self.run_mutation(parameters["key"])
        self.assertEqual(refused["userErrors"][0]["code"], "INVALID_STAGED_UPLOAD_FILE")
        path = self.staged_file([self.line(7, 10, "k-0")])
        for mutation in ("{ shop { id } }", "mutation { nope }", queries.BULK_RUN_QUERY):
            refused = self.run_mutation(path, mutation=mutation)
            self.assertIsNone(refused["bulkOperation"])
            self.assertEqual(refused["userErrors"][0]["code"], "INVALID_MUTATION", mutation)

    def test_one_bulk_mutation_at_a_time_before_2026_01_five_since(self):
        self.sandbox.set_faults(DOMAIN, bulk_seconds=1.0)
        line = {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": self.item,
                        "locationId": self.location_gid,
                        "quantity": 3,
                        "compareQuantity": None,
                    }
                ],
                "ignoreCompareQuantity": True,
            }
        }
        old = queries.INVENTORY_SET_2025_10
        path = self.staged_file([line], version="2025-10")
        self.assertEqual(self.run_mutation(path, "2025-10", old)["userErrors"], [])
        refused = self.run_mutation(path, "2025-10", old)
        self.assertIsNone(refused["bulkOperation"])
        self.assertEqual(refused["userErrors"][0]["code"], "OPERATION_IN_PROGRESS")
        # A bulk query is another type: it may run meanwhile.
        query = self.data(
            'mutation { bulkOperationRunQuery(query: "{ products { edges { node { id } } } }")'
            " { bulkOperation { id } userErrors { code } } }",
            version="2025-10",
        )["bulkOperationRunQuery"]
        self.assertEqual(query["userErrors"], [])
        self.wait_done("2025-10")
        path = self.staged_file([self.line(3, None, "k-five")])
        for _index in range(5):
            self.assertEqual(self.run_mutation(path)["userErrors"], [])
        refused = self.run_mutation(path)
        self.assertEqual(refused["userErrors"][0]["code"], "LIMIT_REACHED")
        self.wait_done()
