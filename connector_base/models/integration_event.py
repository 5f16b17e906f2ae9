import json
import logging
import time

import psycopg2.extensions
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.addons.integration_governance.lib import payload as payload_lib
from odoo.addons.integration_governance.lib.vocabulary import OPEN_STATES
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.exceptions import UserError

from ..lib.retry import (
    ConcurrencyError,
    IntegrationError,
    PermanentError,
    TransientError,
    UnexpectedError,
)

_logger = logging.getLogger(__name__)

SOURCES = [("webhook", "Webhook"), ("poll", "Poll"), ("replay", "Replay"), ("manual", "Manual")]
STATES = [
    ("received", "Received"),
    ("processing", "Processing"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("ignored", "Ignored"),
]
KEPT_HEADERS = ("content-type", "user-agent", "traceparent")
# Another job wrote the same key first: a retry in a new transaction sees it.
CONCURRENCY_ERRORS = (
    pg_errors.UniqueViolation,
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)
# An error nobody classified gets this many tries in all, then a dead letter.
UNEXPECTED_ATTEMPTS = 3
# Queue job states in which a job will still run.
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class PipelineError(IntegrationError):
    """A business or contract failure: becomes an exception, never retried."""

    def __init__(self, category, message, **exception_kwargs):
        super().__init__(message)
        self.category = category
        self.exception_kwargs = exception_kwargs


def contract_breach(subject, result, **exception_kwargs):
    """The ``contract`` PipelineError of a payload that broke its contract
    (``result`` of ``validate_payload``): every violation with its JSON path."""
    version, violations = result["version"], result["violations"]
    exception_kwargs.setdefault("name", f"{version.display_name}: {len(violations)} violation(s)")
    return PipelineError(
        "contract",
        f"{subject} breaks {version.display_name}: "
        + "; ".join(f"{v['path']} {v['message']}" for v in violations),
        violations=violations,
        contract_version=version,
        **exception_kwargs,
    )


class IntegrationEvent(models.Model):
    """The inbox: every inbound delivery, stored once, processed by a job.

    The webhook route only verifies and inserts (one round trip); a per-backend
    drain job hands events to the queue in bulk.
    """

    _name = "integration.event"
    _description = "Inbound integration event"
    _inherit = ["integration.replayable.mixin"]
    _order = "id desc"
    _rec_name = "dedup_key"

    # Indexed by the unique key and the received index, which lead with it.
    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade")
    topic = fields.Char(index=True)
    external_id = fields.Char(index=True)
    dedup_key = fields.Char(required=True)
    source = fields.Selection(SOURCES, default="webhook", required=True)
    payload = fields.Json()
    headers = fields.Json()
    trace_id = fields.Char(index=True)
    state = fields.Selection(STATES, default="received", required=True, index=True)
    attempts = fields.Integer()
    last_error = fields.Text()
    received_at = fields.Datetime(default=fields.Datetime.now, index=True)
    processed_at = fields.Datetime()
    external_updated_at = fields.Datetime()
    job_uuid = fields.Char(index=True)
    res_model = fields.Char()
    res_id = fields.Many2oneReference(model_field="res_model")

    _backend_dedup_unique = models.Constraint(
        "UNIQUE(backend_id, dedup_key)", "A delivery is stored once per backend."
    )
    _received_idx = models.Index("(backend_id, id) WHERE state = 'received'")

    # -------------------------------------------------------------- intake
    @api.model
    def _insert_received(self, backend, description, payload, headers, source="webhook"):
        """Insert one delivery in a single statement; its id, or None for a duplicate.

        A redelivery of an event that never got done (failed, or left without a
        live job by a killed worker) brings it back to ``received`` so the drain
        picks it up again, instead of being folded away as a duplicate.
        """
        kept = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        # One trace per business transaction: every delivery about the same
        # object (webhook, other topic, poll, replay) derives the same id.
        trace_id = (
            backend._event_trace_id(description)
            or payload_lib.trace_id_from_traceparent(
                kept.get("traceparent") or kept.get("Traceparent")
            )
            or payload_lib.new_trace_id()
        )
        self.env.cr.execute(
            """
            INSERT INTO integration_event
                (backend_id, topic, external_id, dedup_key, source, payload, headers,
                 trace_id, state, attempts, received_at, external_updated_at,
                 create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'received', 0,
                    now() at time zone 'UTC', %s, %s, %s,
                    now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (backend_id, dedup_key) DO UPDATE
                SET state = 'received', job_uuid = NULL,
                    write_date = now() at time zone 'UTC'
                WHERE integration_event.state = 'failed'
                   OR (integration_event.state IN ('received', 'processing')
                       AND integration_event.job_uuid IS NOT NULL
                       AND NOT EXISTS (
                           SELECT 1 FROM queue_job
                           WHERE queue_job.uuid = integration_event.job_uuid
                             AND queue_job.state IN %s))
            RETURNING id
            """,
            [
                backend.id,
                description.get("topic"),
                description.get("external_id"),
                description["dedup_key"],
                source,
                json.dumps(payload),
                json.dumps(kept),
                trace_id,
                description.get("updated_at"),
                self.env.uid,
                self.env.uid,
                LIVE_JOB_STATES,
            ],
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    def _job_options(self):
        """The job options (channel, priority) of the flow this event's topic
        belongs to (the backend's ``_event_flow`` hook), its priority the
        topic's own if the backend gives one (``_event_priority``)."""
        backend, topic = self[:1].backend_id, self[:1].topic
        name = backend._event_flow(topic)
        flow = backend.flow_ids.filtered(lambda f: f.flow == name)[:1]
        options = flow._job_options() if flow else {"channel": backend.job_channel}
        priority = backend._event_priority(topic)
        if priority is not None:
            options = {**options, "priority": priority}
        return options

    def _enqueue_one(self):
        """One job per event; its identity key keeps it from running twice at once."""
        for event in self:
            job = event.with_delay(
                identity_key=f"integration.event:{event.id}",
                description=f"Process {event.topic or 'event'} {event.external_id or event.id}",
                **event._job_options(),
            )._process()
            event.job_uuid = job.uuid
        return True

    # ----------------------------------------------------------- pipeline
    def _process(self):
        """The governed pipeline for one event (run as a queue job).

        Every error ends somewhere a person sees: transient ones are retried
        with backoff, business and contract ones become exceptions, and what
        nobody classified (a bug, a constraint) is retried a few times and then
        becomes a dead-letter exception; nothing leaves the event in limbo.
        """
        self.ensure_one()
        if self.state in ("done", "ignored"):
            return "already processed"
        attempt = self.attempts + 1
        self.write({"state": "processing", "attempts": attempt})
        try:
            # One insert for the event's lineage steps; the steps taken before a
            # failure are written too: they are facts.
            with self.env["integration.lineage"]._batched():
                if attempt == 1:
                    self._step("received", message=f"{self.source} {self.topic or ''}")
                with self.env.cr.savepoint():
                    record = self._run_pipeline(self.payload)
        except RetryableJobError:
            raise  # a hook already chose its delay
        except Exception as error:
            if self._transaction_aborted():
                # Failed outside the pipeline's savepoint (e.g. a concurrent update
                # of this event): nothing can be written here; queue_job postpones
                # the job from its own cursor, and gives it up to the on-fail hook.
                raise RetryableJobError(f"{type(error).__name__}: {error}", seconds=2) from error
            return self._handle_error(error, attempt)
        return self._mark_done(record)

    def _mark_done(self, record):
        """The event's end once its pipeline ran (stale, nothing to do, or imported)."""
        if self.state == "ignored":
            return "ignored: stale update"
        self.write(
            {
                "state": "done",
                "processed_at": fields.Datetime.now(),
                "last_error": False,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
        if not self.env.context.get("integration_batch"):
            self._resolve_own_exceptions()  # a batch resolves its events' at once
        self.backend_id._mark_flow_success("orders_in")
        if not record:
            return "done: nothing to import"
        # The record's own name, not its display name (computed, at times
        # through related records: a cost on every event of a batch).
        return f"done: {record[record._rec_name] if record._rec_name else record.id}"

    def _handle_error(self, error, attempt):
        """Where a failed attempt ends: a retry, an exception, or a dead letter."""
        if isinstance(error, TransientError):
            return self._handle_transient(error)
        if isinstance(error, PipelineError):
            self._fail(error.category, str(error), **error.exception_kwargs)
            return f"failed: {error}"
        if isinstance(error, PermanentError):
            self._fail(error.kind, str(error))
            return f"failed: {error}"
        if isinstance(error, UserError):
            self._fail("internal", str(error))
            return f"failed: {error}"
        if isinstance(error, CONCURRENCY_ERRORS):
            # Two jobs created the same customer, binding or order: the other
            # one won; the next attempt finds its record.
            return self._handle_transient(
                ConcurrencyError(f"concurrent write: {error.pgerror or error}"), quick=True
            )
        _logger.exception("integration event %s: unexpected error", self.id)
        # A retry rolls this transaction back: the job counts the tries.
        job_uuid = self.env.context.get("job_uuid")
        job = Job.load(self.env, job_uuid) if job_uuid else None
        tries = job.retry + 1 if job else attempt
        if tries < UNEXPECTED_ATTEMPTS:
            return self._handle_transient(UnexpectedError(f"{type(error).__name__}: {error}"))
        self._dead_letter(f"{type(error).__name__}: {error}")
        return f"dead letter: {error}"

    def _transaction_aborted(self):
        status = self.env.cr._cnx.info.transaction_status
        return status == psycopg2.extensions.TRANSACTION_STATUS_INERROR

    def _handle_transient(self, error, quick=False):
        job_uuid = self.env.context.get("job_uuid")
        job = Job.load(self.env, job_uuid) if job_uuid else None
        self.last_error = str(error)
        # queue_job counts this attempt only once it returns: it is retry + 1.
        # In a batch, the tries are the batch job's: the event leaves it for a
        # job of its own (_batch_leave), which counts the event's own.
        in_batch = bool(self.env.context.get("integration_batch"))
        exhausted = job is None or (job.max_retries and job.retry + 1 >= job.max_retries)
        if exhausted and not in_batch:
            self._dead_letter(f"Retries exhausted: {error}", category=error.kind)
            return f"dead letter: {error}"
        self.state = "received"
        if quick:
            # The conflicting transaction has committed: a second or two will do.
            delay = self.backend_id._retry_delay(1, None) / 5 + 1
        else:
            tries = 1 if in_batch or job is None else job.retry + 1
            delay = self.backend_id._retry_delay(tries, error.retry_after)
        self._step("received", outcome="warning", message=f"retry in {delay:.0f}s: {error}")
        raise RetryableJobError(str(error), seconds=max(int(delay), 1))

    def _dead_letter(self, message, category="internal"):
        """The last stop of an event: failed, replayable, owned by a team.

        One exception per event (its fingerprint), however often it dies.
        """
        return self._fail(
            category,
            message,
            severity="high",
            name=f"Dead letter: {self.topic or 'event'} {self.external_id or self.id}",
            fingerprint_parts=["dead_letter", self._name, self.id],
        )

    def _on_job_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """queue_job's on-fail hook: a job that died outside the pipeline's own
        handling (an error escaping it, retries spent by queue_job) still ends
        as a dead letter, never as a failed job nobody reads."""
        for event in self.filtered(lambda e: e.state in ("received", "processing")):
            event._dead_letter(f"Job failed: {exc_name or ''} {exc_message or ''}".strip())
        return True

    def _resolve_own_exceptions(self):
        """A later attempt succeeded: the exceptions these events raised are
        over (one look for all of them)."""
        if not self:
            return
        exceptions = (
            self.env["integration.exception"]
            .sudo()
            .search(
                [
                    ("source_model", "=", self._name),
                    ("source_id", "in", self.ids),
                    ("state", "in", OPEN_STATES),
                ]
            )
        )
        raised_by = set(exceptions.mapped("source_id"))
        for event in self.filtered(lambda e: e.id in raised_by):
            exceptions.filtered(lambda x, event=event: x.source_id == event.id)._set_state(
                "resolved",
                self.env._("Processed on attempt %(attempt)s.", attempt=event.attempts),
            )

    def _run_pipeline(self, payload):
        """Contract, mapping, canonical contract, system of record, import."""
        started = time.monotonic()
        prepared = self._prepare_document(payload)
        if prepared is None:
            return None
        doc_type, document = prepared
        importer = self.env["integration.canonical.importer"]
        record = importer._import(self.backend_id, doc_type, document, self)
        return self._finish_import(doc_type, document, record, started)

    def _prepare_document(self, payload):
        """(doc type, canonical document) once the delivery passed its checks,
        or None when there is nothing to import (stale, or a topic we skip)."""
        backend = self.backend_id
        if self._is_stale():
            self.state = "ignored"
            self._step(
                "ignored", outcome="skipped", message="older than the update already applied"
            )
            return None
        if not self.topic:
            raise PipelineError(
                "contract",
                f"Delivery {self.dedup_key} names no topic: nothing can say what it is",
                name=f"Delivery without a topic on {backend.name}",
            )
        contract_code = backend._event_contract_code(self)
        if contract_code:
            self._check_contract(contract_code, payload)
        doc_type, document = backend._map_event(self, payload)
        if not doc_type:
            self._step(
                "mapped", outcome="skipped", message=f"topic {self.topic}: nothing to import"
            )
            return None
        self._step("mapped", message=f"{self.topic} -> canonical {doc_type}")
        self._check_contract(f"canonical.{doc_type}", document)
        return doc_type, document

    def _finish_import(self, doc_type, document, record, started):
        """What follows an import: the money checks, the channel's hook, lineage."""
        backend = self.backend_id
        if doc_type == "order":
            backend._check_order_taxes(document, record)
        backend._after_import(self, doc_type, record)
        self._step(
            "imported",
            record=record,
            duration_ms=(time.monotonic() - started) * 1000,
            message=f"{doc_type} imported",
        )
        return record

    def _check_contract(self, code, payload):
        result = self.env["integration.contract"].validate_payload(code, payload)
        if result["violations"]:
            raise contract_breach(f"{self.topic or 'payload'} {self.external_id or ''}", result)
        self._step("validated", message=f"{result['version'].display_name}: valid")

    def _is_stale(self):
        """True when a newer update of the same object was already applied,
        whatever its topic: an ``orders/create`` that arrives (or is retried)
        after an ``orders/updated`` of the same order must not undo it."""
        if not self.external_updated_at or not self.external_id:
            return False
        newer = self.search_count(
            [
                ("backend_id", "=", self.backend_id.id),
                ("external_id", "=", self.external_id),
                ("state", "=", "done"),
                ("external_updated_at", ">", self.external_updated_at),
            ],
            limit=1,
        )
        return bool(newer)

    def _step(self, step, **kwargs):
        kwargs.setdefault("outcome", "success")
        return self.env["integration.lineage"].record_step(
            step,
            trace_id=self.trace_id,
            system=self.backend_id.system_id,
            external_ref=self.external_id,
            job_uuid=self.env.context.get("job_uuid"),
            source=self,
            **kwargs,
        )

    def _fail(self, category, message, **kwargs):
        self.write({"state": "failed", "last_error": message})
        kwargs.setdefault("severity", "medium")
        exception = self.env["integration.exception"].raise_exception(
            category,
            message,
            system=self.backend_id.system_id,
            business_object=kwargs.pop("business_object", None)
            or self.backend_id._event_business_object(self),
            external_ref=self.external_id,
            source=self,
            job_uuid=self.env.context.get("job_uuid"),
            payload=self.payload,
            trace_id=self.trace_id,
            **kwargs,
        )
        return exception

    # -------------------------------------------------------------- replay
    def _integration_replay(self, exception, payload):
        """Run the pipeline again now; raising keeps the exception open."""
        self.ensure_one()
        try:
            record = self._run_pipeline(payload)
        except TransientError as error:
            raise UserError(self.env._("The channel is unavailable: %s", error)) from error
        except IntegrationError as error:
            raise UserError(str(error)) from error
        self.write(
            {
                "state": "done",
                "payload": payload,
                "processed_at": fields.Datetime.now(),
                "last_error": False,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
        return record

    def _integration_replay_payload(self):
        return self.payload

    def action_requeue(self):
        """Hand failed or waiting events to the queue again (Integration Manager)."""
        self.env["integration.backend"]._check_integration_manager()
        self.check_access("write")
        self.filtered(lambda e: e.state in ("failed", "received")).write(
            {"state": "received", "job_uuid": False}
        )
        for backend in self.mapped("backend_id"):
            backend._ensure_drain_job()
        return True
