"""19.0.1.4.0 drops the single-column indexes a composite index already leads
with: Odoo keeps an index its field no longer asks for, and each one costs
every binding written (a full stock sync writes thousands) and every
delivery stored."""

import logging

from odoo.tools import sql

_logger = logging.getLogger(__name__)

REDUNDANT = {
    "integration_binding": ("backend_id", "res_model", "res_id"),
    "integration_event": ("backend_id",),
}


def migrate(cr, version):
    if not version:
        return
    for table, columns in REDUNDANT.items():
        for column in columns:
            name = sql.make_index_name(table, column)
            if sql.index_exists(cr, name):
                sql.drop_index(cr, name, table)
                _logger.info("connector_base: index %s dropped", name)
