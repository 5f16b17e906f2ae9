"""One job path for every backend job: enqueue, retry, exception, dead letter.

Inbound events have their own handling in ``integration.event._process``;
every other backend job (outbound stock and shipments, reconciliations,
catch-up polls, catalogue imports, a channel's own) is enqueued through
``_flow_delay`` (the flow's mode, priority, channel and eta, one identity-key
scheme) and wrapped in ``integration_job``, so its failures end the same way
an event's do: transient -> queue_job retry with the backend's backoff (no
sleeping in the job), business or contract -> an exception for the owner
team, retries exhausted -> a dead-letter exception.
"""

import contextlib
import contextvars
import functools
import logging

from odoo import api, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

from ..lib.retry import PermanentError, TransientError
from .integration_event import PipelineError

_logger = logging.getLogger(__name__)
# Inside ``_coalescing()``: the coalesced jobs asked for, enqueued when it ends.
_COALESCE_LATER = contextvars.ContextVar("integration_coalesce_later", default=None)


def integration_job(method):
    """Decorate a backend job method: classified errors end as the pipeline's.

    Called outside a queue job (a test, a shell, a heal run inline), errors
    are raised to the caller unchanged.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.env.context.get("job_uuid"):
            return method(self, *args, **kwargs)
        try:
            with self.env.cr.savepoint():
                return method(self, *args, **kwargs)
        except RetryableJobError:
            raise
        except TransientError as error:
            return self._job_transient(error, method.__name__)
        except PipelineError as error:
            kwargs_ = dict(error.exception_kwargs)
            self._job_exception(error.category, str(error), **kwargs_)
            return f"failed: {error}"
        except PermanentError as error:
            self._job_exception(error.kind, str(error))
            return f"failed: {error}"

    wrapper._integration_job = True
    return wrapper


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _job_identity(self, flow, what):
        """The identity key of this backend's job: one pending job per key."""
        self.ensure_one()
        return f"integration.backend:{self.id}:{flow}:{what}"

    def _flow_delay(self, flow, identity_key, description, delay=0, priority=None):
        """This backend's queue_job delayable for a job of ``flow`` (its
        channel and priority, slowed when degraded; a batch flow waits for
        its next window), or None when the flow is off: one place reads the
        flow policy, whatever the job; ``priority`` overrides the flow's
        (the inbox drain goes before the flow's own jobs)."""
        self.ensure_one()
        policy = self.flow_ids.filtered(lambda f: f.flow == flow)[:1]
        if policy.mode == "off":
            return None
        options = policy._job_options() if policy else {"channel": self.job_channel}
        if policy.mode == "batch":
            delay = max(delay, max(policy.batch_minutes, 1) * 60)
        if delay:
            options["eta"] = max(options.get("eta", 0), delay)
        if priority is not None:
            options["priority"] = priority
        return self.sudo().with_delay(identity_key=identity_key, description=description, **options)

    def _flow_job(self, flow, method, description, *args, what=None, delay=0, **kwargs):
        """Enqueue ``method(*args, **kwargs)`` of this backend as a job of
        ``flow``, under the identity key of ``what`` (default: the method);
        None when the flow is off."""
        delayable = self._flow_delay(
            flow, self._job_identity(flow, what or method), description, delay=delay
        )
        return getattr(delayable, method)(*args, **kwargs) if delayable else None

    def _coalesce(self, method, *, flow, delay=10):
        """Enqueue ``method`` of this backend once for a burst of changes.

        Outbound work (stock levels, prices) calls this on every change: the
        identity key keeps one pending job per backend, flow and method, and
        the short delay lets the burst gather: many changes, one call. Inside
        ``_coalescing()`` the job is asked for once, when the block ends
        (None is returned here).
        """
        later = _COALESCE_LATER.get()
        if later is not None:
            later.setdefault((self.id, method, flow), (self, delay))
            return None
        return self._flow_job(flow, method, f"{self.name}: {flow} ({method})", delay=delay)

    @api.model
    @contextlib.contextmanager
    def _coalescing(self):
        """Ask for each coalesced job once for everything done inside (a batch
        of twenty level changes: one look for a pending export, not twenty).
        Nothing is asked for when the block raises: its transaction is lost.
        Asking for a job whose changes a savepoint rolled back is harmless (a
        job that finds nothing to do); never asking would not be."""
        if _COALESCE_LATER.get() is not None:
            yield
            return
        later = {}
        token = _COALESCE_LATER.set(later)
        try:
            yield
        finally:
            _COALESCE_LATER.reset(token)
        for (_id, method, flow), (backend, delay) in later.items():
            backend._coalesce(method, flow=flow, delay=delay)

    def _job_transient(self, error, what):
        """A transient failure: retry with the backend's backoff, or, with the
        job's retries spent, a dead-letter exception (the job ends done)."""
        job = Job.load(self.env, self.env.context["job_uuid"])
        if job.max_retries and job.retry + 1 >= job.max_retries:
            self._job_exception(
                error.kind,
                f"Retries exhausted ({job.max_retries}): {what}: {error}",
                severity="high",
                name=f"Dead letter: {self.name}: {job.description or what}"[:200],
                fingerprint_parts=["dead_letter_job", job.uuid],
            )
            return f"dead letter: {error}"
        delay = self._retry_delay(job.retry + 1, error.retry_after)
        raise RetryableJobError(str(error), seconds=max(int(delay), 1)) from error

    def _job_exception(self, category, message, **kwargs):
        """An exception for the owner team of what the job was doing."""
        self.ensure_one()
        kwargs.setdefault("severity", "high")
        kwargs.setdefault("job_uuid", self.env.context.get("job_uuid"))
        return (
            self.env["integration.exception"]
            .sudo()
            .raise_exception(category, message, system=self.system_id, **kwargs)
        )


class QueueJob(models.Model):
    _inherit = "queue.job"

    def _related_action_integration_subject(self):
        """Open what a connector job is about: the record it was given (the
        picking of a shipment, the event of an import), else its backend.
        Private: queue_job calls it from ``open_related_action``, never RPC."""
        self.ensure_one()
        subject = next(
            (
                arg
                for arg in (self.args or [])
                if isinstance(arg, models.BaseModel) and arg._name != "integration.backend"
            ),
            None,
        )
        if subject is not None and subject.exists():
            return {
                "type": "ir.actions.act_window",
                "name": subject.display_name,
                "res_model": subject._name,
                "res_id": subject.id,
                "view_mode": "form",
            }
        return self.related_action_open_record()
