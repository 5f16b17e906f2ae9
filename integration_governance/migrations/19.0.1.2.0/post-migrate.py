"""19.0.1.2.0 gives every trace an ``integration.trace`` (its journey and
subject): one row per trace id of the lineage written before, then the
subjects and joins its landing steps (imported, exported) give, in order."""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(
        """
        INSERT INTO integration_trace
            (trace_id, last_step_at, create_uid, write_uid, create_date, write_date)
        SELECT trace_id, max(recorded_at), %s, %s, min(recorded_at), max(recorded_at)
          FROM integration_lineage GROUP BY trace_id
        ON CONFLICT (trace_id) DO NOTHING
        """,
        [SUPERUSER_ID, SUPERUSER_ID],
    )
    _logger.info("integration_governance: %s trace(s) recorded", cr.rowcount)
    cr.execute(
        """
        SELECT trace_id, step, res_model, res_id FROM integration_lineage
         WHERE step IN ('imported', 'exported') AND res_model IS NOT NULL
         ORDER BY id
        """
    )
    steps = cr.dictfetchall()
    if steps:
        env["integration.trace"]._register_steps(steps)
