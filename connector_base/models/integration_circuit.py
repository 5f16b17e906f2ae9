import time

from odoo import SUPERUSER_ID, api, fields, models

from ..lib import circuit as circuit_lib
from ..lib.retry import CircuitOpenError


class IntegrationCircuit(models.Model):
    """Circuit breaker state per backend and endpoint, shared by all workers.

    Transitions are computed by ``lib.circuit`` and written in their own
    transaction, so a job that fails and rolls back still counts its failure.
    """

    _name = "integration.circuit"
    _description = "Integration circuit breaker"
    _order = "backend_id, endpoint"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade")
    endpoint = fields.Char(required=True)
    state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half open")],
        default="closed",
        required=True,
    )
    failures = fields.Integer()
    opened_at = fields.Float(help="Epoch seconds when the circuit opened.")

    _backend_endpoint_unique = models.Constraint(
        "UNIQUE(backend_id, endpoint)", "One circuit per backend and endpoint."
    )

    @api.model
    def _load(self, cr, backend, endpoint, lock=False):
        cr.execute(
            "SELECT state, failures, opened_at FROM integration_circuit "
            "WHERE backend_id = %s AND endpoint = %s" + (" FOR UPDATE" if lock else ""),
            [backend.id, endpoint],
        )
        row = cr.fetchone()
        if not row:
            return circuit_lib.Circuit()
        return circuit_lib.Circuit(state=row[0], failures=row[1], opened_at=row[2] or None)

    @api.model
    def _save(self, cr, backend, endpoint, circuit):
        cr.execute(
            """
            INSERT INTO integration_circuit
                (backend_id, endpoint, state, failures, opened_at,
                 create_uid, write_uid, create_date, write_date)
            -- Nothing is stored for a backend other transactions cannot see yet.
            SELECT b.id, %s, %s, %s, %s, %s, %s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM integration_backend b WHERE b.id = %s
            ON CONFLICT (backend_id, endpoint) DO UPDATE SET
                state = EXCLUDED.state, failures = EXCLUDED.failures,
                opened_at = EXCLUDED.opened_at, write_date = EXCLUDED.write_date
            """,
            [
                endpoint,
                circuit.state,
                circuit.failures,
                circuit.opened_at,
                SUPERUSER_ID,
                SUPERUSER_ID,
                backend.id,
            ],
        )

    @api.model
    def _check(self, backend, endpoint):
        """Raise CircuitOpenError unless a call to ``endpoint`` may go out now."""
        with self.env.registry.cursor() as cr:
            current = self._load(cr, backend, endpoint, lock=True)
            allowed, new = circuit_lib.allow(current, time.time(), backend.circuit_reset_seconds)
            if new != current:
                self._save(cr, backend, endpoint, new)
        if not allowed:
            raise CircuitOpenError(
                f"circuit open for {backend.name} {endpoint}: calls paused",
                retry_after=backend.circuit_reset_seconds,
            )

    @api.model
    def _record(self, backend, endpoint, ok, failure):
        """Count one call's outcome; only transport-level failures trip the breaker."""
        if not ok and not failure:
            return
        with self.env.registry.cursor() as cr:
            current = self._load(cr, backend, endpoint, lock=True)
            if ok:
                new = circuit_lib.record_success(current)
            else:
                new = circuit_lib.record_failure(current, time.time(), backend.circuit_threshold)
            if new != current:
                self._save(cr, backend, endpoint, new)

    @api.model
    def _trip(self, backend, endpoint):
        """Open the circuit now: the channel said no in a way retries cannot fix."""
        with self.env.registry.cursor() as cr:
            current = self._load(cr, backend, endpoint, lock=True)
            opened = circuit_lib.Circuit(
                state="open",
                failures=max(current.failures, backend.circuit_threshold),
                opened_at=time.time(),
            )
            self._save(cr, backend, endpoint, opened)
