import logging

from odoo import api, models

from .integration_event import LIVE_JOB_STATES

# The sweep leaves alone what changed more recently than this (a job may be on it).
SWEEP_GRACE_MINUTES = 10

_logger = logging.getLogger(__name__)


class IntegrationJobSweep(models.AbstractModel):
    """The safety net under every connector job (a scheduled action, every 5
    minutes): an inbox event orphaned by a killed worker or a restarted
    database goes back to the queue, and a failed job is a dead letter.

    The inbox's own jobs report their failures themselves (queue_job's on-fail
    hook and the pipeline's handling); any other job of the integration
    channels (stock export, fulfilment, catalogue, reconciliation) that queue_job
    marked failed becomes one exception per job, owned by the team the routing
    rules name, so a failure never waits in a list of jobs nobody reads.
    """

    _name = "integration.job.sweep"
    _description = "Lost events back to the queue, failed connector jobs to exceptions"

    @api.model
    def _cron_sweep(self):
        revived = self._revive_lost_events()
        reported = self._report_failed_jobs()
        return revived, reported

    @api.model
    def _revive_lost_events(self, grace_minutes=SWEEP_GRACE_MINUTES, max_attempts=10):
        """Find events left ``received`` or ``processing`` with no live job (a
        killed worker, a lost enqueue, a restarted database) and hand them to
        the queue again; one that keeps getting lost becomes a dead letter."""
        Event = self.env["integration.event"]
        Event.flush_model()
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            """
            SELECT e.id FROM integration_event e
            JOIN integration_backend b ON b.id = e.backend_id AND b.state = 'active'
            WHERE e.state IN ('received', 'processing')
              AND e.write_date < (now() at time zone 'UTC') - %s * interval '1 minute'
              AND NOT EXISTS (SELECT 1 FROM queue_job j
                              WHERE j.uuid = e.job_uuid AND j.state IN %s)
              AND (e.job_uuid IS NOT NULL OR e.state = 'processing'
                   OR NOT EXISTS (SELECT 1 FROM queue_job d
                                  WHERE d.identity_key = 'integration.backend:'
                                        || e.backend_id || ':drain'
                                    AND d.state IN %s))
            ORDER BY e.id
            LIMIT 5000
            FOR UPDATE OF e SKIP LOCKED
            """,
            [grace_minutes, LIVE_JOB_STATES, LIVE_JOB_STATES],
        )
        events = Event.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        lost = events.filtered(lambda e: e.attempts >= max_attempts)
        for event in lost:
            event._dead_letter(f"Lost {event.attempts} times without finishing")
        revived = events - lost
        # Counted in the sweep's own transaction: a killed attempt counts nothing.
        for event in revived:
            event.write({"state": "received", "job_uuid": False, "attempts": event.attempts + 1})
        for backend in revived.mapped("backend_id"):
            backend._ensure_drain_job()
        if revived:
            _logger.warning(
                "integration sweep: %s event(s) handed to the queue again", len(revived)
            )
        return len(revived)

    @api.model
    def _report_failed_jobs(self, limit=500):
        """One dead-letter exception for each failed integration job not reported."""
        self.env["queue.job"].flush_model()
        self.env["integration.exception"].flush_model(["job_uuid"])
        self.env.cr.execute(
            """
            SELECT j.id FROM queue_job j
            WHERE j.state = 'failed'
              AND (j.channel = 'root.integration' OR j.channel LIKE 'root.integration.%%')
              AND NOT EXISTS (SELECT 1 FROM integration_exception x WHERE x.job_uuid = j.uuid)
              -- an inbox event's job reports itself: its event is failed, with its exception
              AND NOT EXISTS (SELECT 1 FROM integration_event e
                              WHERE e.job_uuid = j.uuid AND e.state = 'failed')
            ORDER BY j.id
            LIMIT %s
            """,
            [limit],
        )
        jobs = self.env["queue.job"].sudo().browse([row[0] for row in self.env.cr.fetchall()])
        Exception_ = self.env["integration.exception"]
        for job in jobs:
            backend = self._job_backend(job)
            message = (job.exc_message or job.exc_name or "failed").strip()
            Exception_.raise_exception(
                "internal",
                f"Job {job.name or job.func_string} failed: {message}",
                severity="high",
                system=backend.system_id if backend else None,
                business_object=None,
                job_uuid=job.uuid,
                name=f"Dead letter: {job.name or job.method_name}"[:200],
                fingerprint_parts=["dead_letter_job", job.uuid],
            )
        if jobs:
            _logger.warning("integration sweep: %s failed job(s) raised as exceptions", len(jobs))
        return len(jobs)

    @api.model
    def _job_backend(self, job):
        """The backend a job works for: its record, or the record's backend."""
        records = job.records
        if records._name == "integration.backend":
            return records[:1]
        if "backend_id" in records._fields:
            return records[:1].backend_id
        return None


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _on_job_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """queue_job's on-fail hook of the backends' jobs (export, catch-up,
        reconciliation, catalogue): the job queue_job gave up is raised as a
        dead-letter exception now, not at the next sweep."""
        self.env["integration.job.sweep"]._report_failed_jobs()
        return True
