from odoo import api, fields, models


class IntegrationSystemHeartbeat(models.Model):
    """When a system last exchanged successfully, in a row of its own.

    Every lineage row and exception references its system, and PostgreSQL
    locks the referenced row (``FOR KEY SHARE``) on insert: under REPEATABLE
    READ, a system row another transaction updated since the snapshot makes
    that insert fail. A success time written on the system row itself made
    every job in flight on that system fail at peak, once a minute. Nothing
    references this row.
    """

    _name = "integration.system.heartbeat"
    _description = "System heartbeat"
    _log_access = False

    system_id = fields.Many2one("integration.system", required=True, ondelete="cascade", index=True)
    last_success_at = fields.Datetime(required=True)

    _system_unique = models.Constraint("UNIQUE(system_id)", "One heartbeat per system.")

    @api.model
    def _beat(self, cr, system_id, when):
        """Record a success of ``system_id`` at ``when`` through ``cr`` (a
        short transaction of the caller's): never moves the time back."""
        cr.execute(
            """
            INSERT INTO integration_system_heartbeat (system_id, last_success_at)
            VALUES (%s, %s)
            ON CONFLICT (system_id) DO UPDATE
               SET last_success_at = GREATEST(
                   integration_system_heartbeat.last_success_at, EXCLUDED.last_success_at)
            """,
            [system_id, when],
        )

    @api.model
    def _beat_in_own_transaction(self, system_id, when):
        """``_beat`` in a short transaction of its own (a postcommit hook's)."""
        with self.env.registry.cursor() as cr:
            self._beat(cr, system_id, when)
