"""Shopify's bulk operations from a job: the whole-location stock read here,
and the waiting any bulk operation shares (the bulk stock write uses it).

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

from odoo import fields, models
from odoo.addons.queue_job.exception import RetryableJobError

from .. import const
from ..lib import bulk_wait, dates, queries, stock_sync

_logger = logging.getLogger(__name__)
RUNNING = {"CREATED", "RUNNING", "CANCELING"}
# How the state of the shop's latest operation of each type is read.
CURRENT = {
    "QUERY": (queries.CURRENT_BULK_OPERATION, "CurrentBulkOperation"),
    "MUTATION": (queries.CURRENT_BULK_MUTATION, "CurrentBulkMutation"),
}
BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}
# The last file read, per process: every location of one sync reads the same one.
_LAST_FILE = {}


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _shopify_bulk_run_id(self):
        """The id of this sync's run (its job's uuid): None outside a job."""
        return self.env.context.get("job_uuid") or self.env.context.get("bulk_run_id")

    def _shopify_bulk_levels(self, location_id):
        """{inventory item: available} at a location, or None when there is no
        run to wait in or Shopify's bulk read failed (the caller then pages)."""
        run_id = self._shopify_bulk_run_id()
        if not run_id:
            return None
        query = stock_sync.bulk_levels_query(run_id)
        operation = self._shopify_bulk_operation(
            "QUERY",
            query,
            lambda: self._shopify_start_bulk(
                queries.BULK_RUN_QUERY, {"query": query}, "BulkRunQuery"
            ),
            what="bulk read of the stock levels",
        )
        if operation is None:
            return None
        return self._shopify_bulk_file(operation).get(location_id, {})

    def _shopify_bulk_operation(self, kind, text, start, what):
        """This run's completed bulk operation of ``kind`` (QUERY, MUTATION):
        Shopify's latest of that type, recognised by its text (which names the
        run). Started with ``start()`` when it is not there; while it runs the
        job is retried, never put to sleep. None when it failed or was canceled."""
        document, operation = CURRENT[kind]
        current = (self._shopify_call(document, {}, operation=operation) or {}).get(
            "currentBulkOperation"
        )
        if not current or current.get("query") != text:
            started = start()
            raise RetryableJobError(
                f"Shopify's {what} started{bulk_wait.mark(self.id, started)}",
                seconds=const.BULK_POLL_SECONDS,
                ignore_retry=True,
            )
        status = current["status"]
        if status in RUNNING:
            age = dates.age_seconds(current.get("createdAt"))
            raise RetryableJobError(
                f"waiting for Shopify's {what} ({status})"
                f"{bulk_wait.mark(self.id, current.get('id'))}",
                seconds=min(max(age / 2, const.BULK_POLL_SECONDS), const.BULK_POLL_MAX_SECONDS),
                ignore_retry=True,
            )
        if status != "COMPLETED":
            _logger.warning(
                "%s: %s ended %s (%s); going on without it",
                self.name,
                what,
                status,
                current.get("errorCode"),
            )
            return None
        return current

    def _shopify_wake_bulk_waits(self, operation_id):
        """The jobs of this backend waiting for that operation run now rather
        than at their next look (up to BULK_POLL_MAX_SECONDS away); queue_job's
        runner hears of the new eta at once. The jobs woken."""
        mark = bulk_wait.mark(self.id, operation_id).strip()
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search([("state", "=", "pending"), ("result", "like", mark)])
        )
        now = fields.Datetime.now()
        late = jobs.filtered(lambda job: job.eta and job.eta > now)
        late.write({"eta": now})
        return late

    def _shopify_bulk_download(self, operation):
        """The text of a completed operation's result file ("" without one:
        Shopify writes no file when there is no object at all)."""
        if not operation.get("url"):
            return ""
        answer = requests.get(operation["url"], timeout=60)
        answer.raise_for_status()
        return answer.text

    def _shopify_bulk_file(self, operation):
        """{location: {item: available}} of a completed operation (read once)."""
        key = (self.env.cr.dbname, operation["id"])
        if key not in _LAST_FILE:
            levels = stock_sync.bulk_levels(self._shopify_bulk_download(operation))
            _LAST_FILE.clear()
            _LAST_FILE[key] = levels
        return _LAST_FILE[key]

    def _shopify_start_bulk(self, document, variables, operation):
        """Start a bulk operation (its id); another one of this shop running
        (one at a time before 2026-01, five since) means: look again shortly."""
        data = self._shopify_call(document, variables, operation=operation)
        payload = next(iter(data.values()), None) or {}
        errors = payload.get("userErrors") or []
        if errors and not any(error.get("code") in BUSY_CODES for error in errors):
            raise const.ShopifyUserError(operation, errors)
        if errors:
            raise RetryableJobError(
                errors[0].get("message"), seconds=const.BULK_POLL_SECONDS, ignore_retry=True
            )
        return (payload.get("bulkOperation") or {}).get("id")
