from odoo import fields, models


class IntegrationStockMark(models.Model):
    """A stock change still to send to a channel, as an appended row.

    Every reservation, move and cancellation of a bound product leaves one,
    inside the business transaction that made it. Rows are only ever
    inserted there, never updated, so two order imports reserving the same
    hot SKUs at peak never collide on them (a flag on the binding row did:
    under REPEATABLE READ the second writer of a row fails). The coalesced
    export takes them (deletes them in its own transaction) with the
    bindings flagged ``stock_dirty``.
    """

    _name = "integration.stock.mark"
    _description = "Stock change to send"
    _log_access = False

    backend_id = fields.Many2one(
        "integration.backend", required=True, ondelete="cascade", index=True
    )
    binding_id = fields.Many2one(
        "integration.binding", required=True, ondelete="cascade", index=True
    )
