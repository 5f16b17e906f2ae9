"""Whole-location stock reads through Shopify's bulk operations.

A full stock sync must know every level before it compares. Paging
``inventoryLevels`` costs query points per page; one ``bulkOperationRunQuery``
costs only the mutation, and Shopify writes every level of every location to
a JSONL file. The job starts the operation and is retried (never put to
sleep) while Shopify runs it. Between attempts Shopify's
``currentBulkOperation`` is the state: the query carries the run's id (the
job's uuid) in a comment, so an attempt recognises its own operation and
never takes an older sync's file for today's. Outside a job (no run id) the
levels are read page by page.
(https://shopify.dev/docs/api/usage/bulk-operations/queries)
"""

import logging

import requests

from odoo import models
from odoo.addons.queue_job.exception import RetryableJobError

from .. import const
from ..lib import queries, stock_sync

_logger = logging.getLogger(__name__)
RUNNING = {"CREATED", "RUNNING", "CANCELING"}
BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}
# The last file read, per process: every location of one sync reads the same one.
_LAST_FILE = {}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shopify_bulk_levels(self, location_id):
        """{inventory item: available} at a location, or None when there is no
        run to wait in or Shopify's bulk read failed (the caller then pages)."""
        run_id = self.env.context.get("job_uuid") or self.env.context.get("bulk_run_id")
        if not run_id:
            return None
        query = stock_sync.bulk_levels_query(run_id)
        current = (
            self._shopify_call(queries.CURRENT_BULK_OPERATION, {}, operation="CurrentBulkOperation")
            or {}
        ).get("currentBulkOperation")
        if not current or current.get("query") != query:
            self._shopify_start_bulk(query)
        status = current["status"]
        if status in RUNNING:
            raise RetryableJobError(
                f"waiting for Shopify's bulk read of the stock levels ({status})",
                seconds=const.BULK_POLL_SECONDS,
                ignore_retry=True,
            )
        if status != "COMPLETED":
            _logger.warning(
                "%s: bulk read of the stock levels ended %s (%s); reading page by page",
                self.name,
                status,
                current.get("errorCode"),
            )
            return None
        return self._shopify_bulk_file(current).get(location_id, {})

    def _shopify_bulk_file(self, operation):
        """{location: {item: available}} of a completed operation (read once)."""
        key = (self.env.cr.dbname, operation["id"])
        if key not in _LAST_FILE:
            levels = {}
            if operation.get("url"):  # no object at all: Shopify writes no file
                answer = requests.get(operation["url"], timeout=60)
                answer.raise_for_status()
                levels = stock_sync.bulk_levels(answer.text)
            _LAST_FILE.clear()
            _LAST_FILE[key] = levels
        return _LAST_FILE[key]

    def _shopify_start_bulk(self, query):
        data = self._shopify_call(
            queries.BULK_RUN_QUERY, {"query": query}, operation="BulkRunQuery"
        )
        payload = data.get("bulkOperationRunQuery") or {}
        errors = payload.get("userErrors") or []
        if errors and not any(error.get("code") in BUSY_CODES for error in errors):
            raise const.ShopifyUserError("BulkRunQuery", errors)
        # Started, or another bulk query of this shop runs (one at a time before
        # 2026-01): look again shortly.
        raise RetryableJobError(
            "Shopify's bulk read started" if not errors else errors[0].get("message"),
            seconds=const.BULK_POLL_SECONDS,
            ignore_retry=True,
        )
