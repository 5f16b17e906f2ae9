"""19.0.1.2.0 records where each order came from (its first binding) on the
orders imported before, and on their deliveries and invoices."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(
        """
        UPDATE sale_order so
           SET channel_backend_id = b.backend_id,
               channel_external_id = b.external_id,
               channel_order_ref = COALESCE(so.client_order_ref, b.external_id)
          FROM (SELECT DISTINCT ON (res_id) res_id, backend_id, external_id
                  FROM integration_binding WHERE res_model = 'sale.order'
                 ORDER BY res_id, id) b
         WHERE so.id = b.res_id AND so.channel_backend_id IS NULL
     RETURNING so.id
        """
    )
    order_ids = [row[0] for row in cr.fetchall()]
    _logger.info("connector_base: channel origin of %s order(s) recorded", len(order_ids))
    if not order_ids:
        return
    orders = env["sale.order"].browse(order_ids)
    orders.invalidate_recordset()
    env.add_to_compute(env["stock.picking"]._fields["channel_backend_id"], orders.picking_ids)
    env.add_to_compute(env["account.move"]._fields["channel_backend_id"], orders.invoice_ids)
    env.flush_all()
