"""19.0.1.1.0 keys the lineage hash chain with the database secret: re-key
the rows written before, where their old chain verifies."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    count = env["integration.lineage"]._rekey_chains()
    _logger.info("integration_governance: %s lineage row(s) re-keyed", count)
