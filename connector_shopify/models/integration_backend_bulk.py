"""Whole-location stock reads through Shopify's bulk operations.

A full stock sync must know every level at a location before it compares.
Paging ``inventoryLevels`` costs query points per page; one
``bulkOperationRunQuery`` costs only the mutation, and Shopify writes every
level to a JSONL file. The job starts the operation and is retried (never put
to sleep) while Shopify runs it; Shopify's ``currentBulkOperation`` is the
state between attempts, so a rolled-back attempt loses nothing.
(https://shopify.dev/docs/api/usage/bulk-operations/queries)
"""

import logging
from datetime import datetime, timedelta, timezone

import requests

from odoo import models
from odoo.addons.queue_job.exception import RetryableJobError

from .. import const
from ..lib import dates, queries, stock_sync

_logger = logging.getLogger(__name__)
RUNNING = {"CREATED", "RUNNING", "CANCELING"}
BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shopify_bulk_levels(self, location_id):
        """{inventory item: available} at a location, or None when Shopify's
        bulk read failed (the caller then pages, as before)."""
        query = stock_sync.bulk_levels_query(location_id)
        current = (
            self._shopify_call(queries.CURRENT_BULK_OPERATION, {}, operation="CurrentBulkOperation")
            or {}
        ).get("currentBulkOperation")
        ours = (
            current
            and current.get("query") == query
            and dates.to_utc_naive(current["createdAt"]) >= self._shopify_bulk_since()
        )
        if not ours:
            self._shopify_start_bulk(query)
        status = current["status"]
        if status in RUNNING:
            raise RetryableJobError(
                f"waiting for Shopify's bulk read of {location_id} ({status})",
                seconds=const.BULK_POLL_SECONDS,
                ignore_retry=True,
            )
        if status != "COMPLETED":
            _logger.warning(
                "%s: bulk read of %s ended %s (%s); reading page by page",
                self.name,
                location_id,
                status,
                current.get("errorCode"),
            )
            return None
        if not current.get("url"):
            return {}  # no object at all: Shopify writes no file
        answer = requests.get(current["url"], timeout=60)
        answer.raise_for_status()
        return stock_sync.bulk_levels(answer.text)

    def _shopify_bulk_since(self):
        """A bulk operation created since this (naive UTC, to the second) is
        this read's: the job's own start, or a few minutes back outside a job."""
        job = (
            self.env["queue.job"]
            .sudo()
            .search([("uuid", "=", self.env.context.get("job_uuid") or "")], limit=1)
        )
        moment = (
            job.date_created
            if job
            else datetime.now(timezone.utc).replace(tzinfo=None)
            - timedelta(seconds=const.BULK_FRESH_SECONDS)
        )
        return moment.strftime("%Y-%m-%d %H:%M:%S")

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
