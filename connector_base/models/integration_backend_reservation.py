"""Reservation of a micro-batch's deliveries, one job per backend after it.

At peak, order batches of one backend run side by side and reserve the same
hot SKUs: under REPEATABLE READ the second transaction to lock a quant fails
and its whole batch (twenty orders created and confirmed) runs again. A batch
therefore confirms its orders without reserving (``integration_defer_
reservation``: Odoo's ``at_confirm`` is postponed, nothing else) and flags
their deliveries; one coalesced job per backend then reserves every flagged
delivery, oldest first, as ``at_confirm`` would have. Reserving is about 4 %
of a batch; it is the only part that needs to run one at a time. Until it
ran, the stock export holds the flagged deliveries' units back, so the
channel is never told of stock that is already sold.
"""

from odoo import fields, models
from odoo.addons.queue_job.exception import RetryableJobError

from .integration_backend_jobs import integration_job

RESERVE_STATES = ("confirmed", "partially_available")
# One reservation job at a time (they reserve the same flagged deliveries).
RESERVE_LOCK = 0x1E5E  # pg_try_advisory_xact_lock key


class StockPicking(models.Model):
    _inherit = "stock.picking"

    integration_reserve_pending = fields.Boolean(
        "Reservation pending",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Confirmed by an import batch; the backend's reservation job reserves it next.",
    )


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    def _reservation_defer(self, orders):
        """Flag the deliveries of ``orders`` (confirmed without reserving)
        and coalesce this backend's reservation job; reserve at once when
        the orders flow has no job to run it (off)."""
        self.ensure_one()
        pickings = orders.picking_ids.filtered(
            lambda p: any(m.state in RESERVE_STATES for m in p.move_ids)
        )
        if not pickings:
            return
        # Rows this transaction created: no other writer to meet.
        self._reservation_flag(pickings, True)
        if not self._flow_job("orders_in", "_reserve_deferred", f"{self.name}: reserve"):
            self._reserve_pickings(pickings)

    @integration_job
    def _reserve_deferred(self):
        """Reserve every delivery an import batch left to reserve (a job)."""
        self.ensure_one()
        pickings = (
            self.env["stock.picking"]
            .sudo()
            .search([("integration_reserve_pending", "=", True)], order="id")
        )
        if not pickings:
            return "nothing to reserve"
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s)", [RESERVE_LOCK])
        if not self.env.cr.fetchone()[0]:
            # Another backend's reservation job is reserving these right now.
            raise RetryableJobError("another reservation job is running", seconds=1)
        moves = self._reserve_pickings(pickings)
        return f"{len(moves)} moves of {len(pickings)} deliveries reserved"

    def _reserve_pickings(self, pickings):
        """What ``at_confirm`` would have reserved at confirmation."""
        pickings = pickings.with_context(integration_defer_reservation=False)
        moves = pickings.move_ids.filtered(
            lambda m: m.state in RESERVE_STATES and m._should_assign_at_confirm()
        )
        moves._action_assign()
        self._reservation_flag(pickings, False)
        return moves

    def _reservation_flag(self, pickings, pending):
        """Set the flag in SQL: a picking's ``write`` (its tracking, its
        checks of what changed) is not worth paying for our own marker."""
        self.env["stock.picking"].flush_model(["integration_reserve_pending"])
        self.env.cr.execute(
            "UPDATE stock_picking SET integration_reserve_pending = %s WHERE id = ANY(%s)",
            [True if pending else None, pickings.ids],
        )
        pickings.invalidate_recordset(["integration_reserve_pending"])
