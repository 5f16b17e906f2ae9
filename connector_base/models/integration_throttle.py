import time

from odoo import SUPERUSER_ID, api, fields, models

from ..lib import throttle as throttle_lib


class IntegrationThrottle(models.Model):
    """A leaky bucket per backend, shared by all workers in PostgreSQL.

    Each call takes a token; the bucket also follows what the channel says of
    itself (call-limit or cost headers), so many workers stay under one limit.
    """

    _name = "integration.throttle"
    _description = "Integration rate limiter"

    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="cascade", index=True
    )
    level = fields.Float()
    updated_at = fields.Float(help="Epoch seconds of the last update.")

    _backend_unique = models.Constraint("UNIQUE(backend_id)", "One bucket per backend.")

    @api.model
    def _acquire(self, backend, cost=1.0):
        """Admit one call; returns the seconds the caller must wait first."""
        now = time.time()
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT level, updated_at FROM integration_throttle WHERE backend_id = %s FOR UPDATE",
                [backend.id],
            )
            row = cr.fetchone() or (0.0, now)
            wait, level = throttle_lib.leaky_bucket_wait(
                row[0] or 0.0,
                row[1] or now,
                now,
                backend.rate_capacity,
                backend.rate_per_second,
                cost,
            )
            self._save(cr, backend, level, now + wait)
        return wait

    @api.model
    def _observe(self, backend, used, capacity):
        """Align the bucket with the level the channel reports."""
        level = backend.rate_capacity * used / capacity if capacity else 0.0
        with self.env.registry.cursor() as cr:
            self._save(cr, backend, level, time.time())

    @api.model
    def _save(self, cr, backend, level, updated_at):
        cr.execute(
            """
            INSERT INTO integration_throttle
                (backend_id, level, updated_at, create_uid, write_uid, create_date, write_date)
            -- A backend not committed yet (e.g. in the onboarding's transaction)
            -- has no shared bucket: nothing is stored until it exists for all.
            SELECT b.id, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM integration_backend b WHERE b.id = %s
            ON CONFLICT (backend_id) DO UPDATE SET
                level = EXCLUDED.level, updated_at = EXCLUDED.updated_at,
                write_date = EXCLUDED.write_date
            """,
            [level, updated_at, SUPERUSER_ID, SUPERUSER_ID, backend.id],
        )
