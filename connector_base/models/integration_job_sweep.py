import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class IntegrationJobSweep(models.AbstractModel):
    """The safety net under every connector job: a failed job is a dead letter.

    The inbox's own jobs report their failures themselves (queue_job's on-fail
    hook and the pipeline's handling); any other job of the integration
    channels (stock export, fulfilment, catalogue, reconciliation) that queue_job
    marked failed becomes one exception per job, owned by the team the routing
    rules name, so a failure never waits in a list of jobs nobody reads.
    """

    _name = "integration.job.sweep"
    _description = "Dead letters for failed connector jobs"

    @api.model
    def _cron_sweep(self):
        revived = self.env["integration.event"]._cron_sweep()
        reported = self._report_failed_jobs()
        return revived, reported

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
