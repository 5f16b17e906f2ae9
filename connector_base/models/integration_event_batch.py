"""Micro-batched import: a job takes up to ``BATCH_SIZE`` waiting events of one
backend and topic, in one transaction.

Each event keeps its own savepoint, so a bad one becomes its own exception and
never rolls back or delays the others; one that must wait (a transient
error) leaves the batch for a job of its own. The new orders of the batch are
created and confirmed together (one ``create``, one ``action_confirm``), which
is where the ORM is cheapest; if anything about that bulk step fails, its
orders are imported one by one instead, so every event still ends as it
would alone. The staleness rules and the dedup keys stay the authority on
order and exactly-once: a second event of an order already waiting in the
batch first gets that order created.
"""

import logging
import time

from psycopg2 import errors as pg_errors

from odoo import models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from .integration_batch_memo import batch_memo
from .integration_event import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)
BATCH_SIZE = 20
# A batch whose bulk step meets a concurrent write is retried whole this many
# times (after this many seconds) before its events go one by one.
BATCH_WHOLE_RETRIES = 3
BATCH_RETRY_SECONDS = 1


def _by_backend(items):
    """{backend: its items}, items being tuples whose first member is the event."""
    groups = {}
    for item in items:
        groups.setdefault(item[0].backend_id, []).append(item)
    return groups


class BatchRetry(RetryableJobError):
    """The batch's snapshot is older than a row it must write: every later
    event touching such a row would fail the same way, so the whole batch
    runs again in a fresh transaction instead of leaving event by event."""


class IntegrationEvent(models.Model):
    _inherit = "integration.event"

    def _enqueue(self):
        """One job per batch of up to BATCH_SIZE events of a backend and topic
        (under a trickle a batch is one event: nothing waits to fill one)."""
        groups = {}
        for event in self.sorted("id"):
            groups.setdefault((event.backend_id, event.topic), self.browse())
            groups[(event.backend_id, event.topic)] |= event
        for (backend, topic), events in groups.items():
            for start in range(0, len(events), BATCH_SIZE):
                chunk = events[start : start + BATCH_SIZE]
                if len(chunk) == 1:
                    chunk._enqueue_one()
                    continue
                job = chunk.with_delay(
                    identity_key=f"integration.event.batch:{chunk[0].id}",
                    description=f"Process {len(chunk)} {topic or 'event'} events of {backend.name}",
                    **chunk[0]._job_options(),
                )._process_batch()
                chunk.write({"job_uuid": job.uuid})
        return True

    def _process_batch(self):
        """Run a batch of events (a queue job); see the module's docstring."""
        events = self.filtered(lambda e: e.state not in ("done", "ignored")).sorted("id")
        if len(events) <= 1:
            return events._process() if events else "already processed"
        events = events.with_context(integration_batch=True)
        outcomes, waiting, gathered = [], [], {}
        with (
            self.env["integration.lineage"]._batched(),
            self.env["integration.backend"]._coalescing(),
            # Each order asks for the same SKUs, rules and distributions.
            batch_memo(),
        ):
            for event in events:
                outcome = event._batch_prepare(waiting, outcomes, gathered)
                if outcome is not None:
                    outcomes.append(outcome)
            self._batch_create(waiting, outcomes)
            self._batch_import_gathered(gathered, outcomes)
            # What one look per event did in _mark_done, once for the batch.
            events.filtered(lambda e: e.state == "done")._resolve_own_exceptions()
        done = sum(1 for outcome in outcomes if outcome.startswith("done"))
        return f"{done} of {len(events)} done\n" + "\n".join(outcomes)

    def _batch_prepare(self, waiting, outcomes, gathered):
        """Take one event as far as it goes alone; a new order waits in
        ``waiting`` for the bulk create, a document its importer takes many at
        a time (``_import_<doc type>_many``) in ``gathered``. Its outcome, or
        None while it waits."""
        self.ensure_one()
        attempt = self.attempts + 1
        try:
            with self.env.cr.savepoint():
                self.write({"state": "processing", "attempts": attempt})
                if attempt == 1:
                    self._step("received", message=f"{self.source} {self.topic or ''}")
                try:
                    with self.env.cr.savepoint():
                        started = time.monotonic()
                        prepared = self._prepare_document(self.payload)
                        if prepared is None:
                            return self._mark_done(None)
                        doc_type, document = prepared
                        importer = self.env["integration.canonical.importer"]
                        if doc_type == "order":
                            if any(w[1]["external_id"] == document["external_id"] for w in waiting):
                                # The same order twice in a batch: create the first now.
                                self._batch_create(waiting, outcomes)
                            bound = self.env["integration.binding"]._record(
                                self.backend_id, "sale.order", document["external_id"]
                            )
                            if not bound:
                                values = importer._new_order_values(self.backend_id, document, self)
                                waiting.append((self, document, values, started))
                                return None
                        elif importer._imports_many(doc_type):
                            gathered.setdefault(doc_type, []).append((self, document, started))
                            return None
                        record = importer._import(self.backend_id, doc_type, document, self)
                        record = self._finish_import(doc_type, document, record, started)
                except RetryableJobError:
                    raise
                except Exception as error:
                    # Two batches of one backend met on a hot row (a SKU's
                    # level, a customer): all of this one again, shortly.
                    self._batch_retry_on(error, pg_errors.SerializationFailure)
                    return self._handle_error(error, attempt)
                return self._mark_done(record)
        except BatchRetry:
            raise
        except RetryableJobError as wait:
            return self._batch_leave(wait)

    def _batch_leave(self, wait):
        """The event must wait: it leaves the batch for a job of its own, which
        counts its retries as every event's job does."""
        job = self.with_delay(
            identity_key=f"integration.event:{self.id}",
            description=f"Process {self.topic or 'event'} {self.external_id or self.id}",
            eta=max(int(wait.seconds or 1), 1),
            **self._job_options(),
        )._process()
        self.write({"state": "received", "job_uuid": job.uuid, "last_error": str(wait)})
        return f"{self.id}: waits in a job of its own ({wait})"

    def _batch_create(self, waiting, outcomes):
        """Create and confirm the waiting orders together; if that fails, each
        is imported alone (its own savepoint, its own exception)."""
        if not waiting:
            return
        items = list(waiting)
        waiting.clear()
        importer = self.env["integration.canonical.importer"]
        for backend, group in _by_backend(items).items():
            try:
                with self.env.cr.savepoint():
                    orders = importer.with_context(
                        integration_defer_reservation=True
                    )._create_orders(
                        backend, [(document, values) for _e, document, values, _s in group]
                    )
                    backend._reservation_defer(orders)
                    # The checks of every order first: lineage says "imported"
                    # only of orders this savepoint keeps.
                    for (event, document, _values, _started), order in zip(
                        group, orders, strict=True
                    ):
                        backend._check_order_taxes(document, order)
                        backend._after_import(event, "order", order)
            except RetryableJobError:
                raise
            except Exception as error:
                # Another job reserved the same stock (or changed a row these
                # orders refer to): the whole batch again in a fresh snapshot,
                # rather than twenty jobs of one that would meet it too.
                self._batch_retry_on(error, CONCURRENCY_ERRORS)
                _logger.info("batch create of %s orders failed (%s): one by one", len(group), error)
                for event, *_rest in group:
                    outcomes.append(event._batch_alone())
                continue
            outcomes += self._batch_imported(
                [
                    (event, started, order)
                    for (event, *_d, started), order in zip(group, orders, strict=True)
                ],
                f"order imported ({len(group)} created together)",
            )

    def _batch_import_gathered(self, gathered, outcomes):
        """Import each doc type's gathered documents in one call of its
        importer (a batch of level changes: one look-up of their bindings, one
        write); if that fails, each is imported alone (its own savepoint, its
        own exception)."""
        importer = self.env["integration.canonical.importer"]
        for doc_type, items in gathered.items():
            for backend, group in _by_backend(items).items():
                try:
                    with self.env.cr.savepoint():
                        records = importer._import_many(
                            backend, doc_type, [(event, document) for event, document, _s in group]
                        )
                        for (event, _document, _started), record in zip(
                            group, records, strict=True
                        ):
                            backend._after_import(event, doc_type, record)
                except RetryableJobError:
                    raise
                except Exception as error:
                    self._batch_retry_on(error, CONCURRENCY_ERRORS)
                    _logger.info(
                        "batch import of %s %s failed (%s): one by one", len(group), doc_type, error
                    )
                    for event, document, started in group:
                        outcomes.append(event._batch_alone((doc_type, document, started)))
                    continue
                outcomes += self._batch_imported(
                    [
                        (event, started, record)
                        for (event, _d, started), record in zip(group, records, strict=True)
                    ],
                    f"{doc_type} imported ({len(group)} together)",
                )

    def _batch_imported(self, imported, message):
        """The end of events imported together: [(event, start, record)] each
        gets its lineage step and is done. Their outcomes."""
        outcomes = []
        for event, started, record in imported:
            event._step(
                "imported",
                record=record,
                duration_ms=(time.monotonic() - started) * 1000,
                message=message,
            )
            outcomes.append(event._mark_done(record))
        return outcomes

    def _batch_retry_on(self, error, kinds):
        """Raise BatchRetry for ``error`` when it is one of ``kinds`` and the
        batch's job has retries to spare for a conflict."""
        if isinstance(error, kinds) and self._batch_retry_whole():
            raise BatchRetry(
                f"concurrent write in the batch: {error.pgerror or error}",
                seconds=BATCH_RETRY_SECONDS,
            ) from error

    def _batch_retry_whole(self):
        """True while the batch's job has retries to spare for a conflict."""
        job_uuid = self.env.context.get("job_uuid")
        job = Job.load(self.env, job_uuid) if job_uuid else None
        return bool(job) and job.retry < BATCH_WHOLE_RETRIES

    def _batch_alone(self, prepared=None):
        """The single-event pipeline, inside the batch's transaction; from
        its import on when ``prepared`` (doc type, document, start) says the
        checks and the mapping are done."""
        try:
            with self.env.cr.savepoint():
                try:
                    with self.env.cr.savepoint():
                        if prepared is None:
                            record = self._run_pipeline(self.payload)
                        else:
                            doc_type, document, started = prepared
                            record = self.env["integration.canonical.importer"]._import(
                                self.backend_id, doc_type, document, self
                            )
                            record = self._finish_import(doc_type, document, record, started)
                except RetryableJobError:
                    raise
                except Exception as error:
                    return self._handle_error(error, self.attempts)
                return self._mark_done(record)
        except RetryableJobError as wait:
            return self._batch_leave(wait)
