"""Many stock levels out to Shopify in one bulk mutation.

A full sync that changes thousands of levels would spend about eleven points
per ``inventorySetQuantities`` of 250; Shopify's bulk import runs the same
mutation once per line of an uploaded JSONL file for the cost of the calls
that start it. Each line keeps what a plain call has: one location's batch,
its compare quantities and its idempotency key. The job starts the import
and is retried (never put to sleep) while Shopify runs it; the operation's
text names the run and a digest of its lines, so the resumed job finds its
own import and reads, line by line, what Shopify made of each batch.
(https://shopify.dev/docs/api/usage/bulk-operations/imports)
"""

import hashlib

import requests

from odoo import models
from odoo.addons.connector_base.lib import retry

from ..lib import queries, stock_sync
from ..lib.graphql_client import DEFAULT_VERSION

UPLOAD_NAME = "stock_levels.jsonl"


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _stock_push_levels_bulk(self, batches):
        """All batches in one bulk ``inventorySetQuantities``, inside a job
        (outside one there is no run to wait in: None, plain calls; and with
        ``stock_read_pages``, the method before bulk operations, kept runnable
        for the bench's comparison)."""
        if self.channel_type != "shopify":
            return super()._stock_push_levels_bulk(batches)
        run_id = self._shopify_bulk_run_id()
        if not run_id or self.env.context.get("stock_read_pages"):
            return None
        version = self.shopify_api_version or DEFAULT_VERSION
        body = stock_sync.jsonl([self._shopify_stock_variables(b, run_id) for b in batches])
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        mutation = stock_sync.bulk_push_mutation(version, run_id, digest)
        operation = self._shopify_bulk_operation(
            "MUTATION",
            mutation,
            lambda: self._shopify_start_bulk_mutation(mutation, body),
            what="bulk write of the stock levels",
        )
        if operation is None:
            # Failed or canceled, some lines perhaps applied: plain calls
            # follow, whose compares judge each level against Shopify's state.
            return None
        results = stock_sync.bulk_push_results(self._shopify_bulk_download(operation))
        answers = []
        for number, batch in enumerate(batches):
            if number not in results:
                # Shopify ran no such line: nothing known of it, read it again.
                answers.append(list(batch))
                continue
            answers.append(self._shopify_stock_answer(batch, *results[number]))
        return answers

    def _shopify_start_bulk_mutation(self, mutation, body):
        """Stage the JSONL of variables, upload it, run the mutation over it
        (the operation's id)."""
        staged = self._shopify_call(
            queries.STAGED_UPLOADS_CREATE,
            {
                "input": [
                    {
                        "resource": "BULK_MUTATION_VARIABLES",
                        "filename": UPLOAD_NAME,
                        "mimeType": "text/jsonl",
                        "httpMethod": "POST",
                    }
                ]
            },
            operation="StagedUploadsCreate",
            mutation_field="stagedUploadsCreate",
        )
        target = staged["stagedTargets"][0]
        parameters = {p["name"]: p["value"] for p in target["parameters"]}
        try:
            # The parameters first, the file last, as the signed form requires.
            answer = requests.post(
                target["url"],
                data=parameters,
                files={"file": (UPLOAD_NAME, body.encode(), "text/jsonl")},
                timeout=120,
            )
        except requests.RequestException as error:
            raise retry.TransientError(f"staged upload to Shopify failed: {error}") from error
        if answer.status_code >= 500:
            raise retry.TransientError(f"staged upload to Shopify answered {answer.status_code}")
        if answer.status_code >= 400:
            raise retry.PermanentError(
                f"staged upload to Shopify refused ({answer.status_code}): {answer.text[:300]}"
            )
        return self._shopify_start_bulk(
            queries.BULK_RUN_MUTATION,
            {"mutation": mutation, "stagedUploadPath": parameters["key"]},
            "BulkRunMutation",
        )
