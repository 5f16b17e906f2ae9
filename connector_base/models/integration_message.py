import json

from odoo import SUPERUSER_ID, api, fields, models


class IntegrationMessage(models.Model):
    """The outbound message log: one row per call to a channel's API.

    Written in its own transaction so a call is logged even when the job that
    made it rolls back; request and response excerpts are masked by the
    contract's field classification before they are stored.
    """

    _name = "integration.message"
    _description = "Outbound integration message"
    _order = "id desc"

    backend_id = fields.Many2one("integration.backend", index=True, ondelete="cascade")
    method = fields.Char()
    endpoint = fields.Char(index=True)
    url = fields.Char()
    status = fields.Integer(index=True)
    duration_ms = fields.Integer("Duration (ms)")
    request_excerpt = fields.Text()
    response_excerpt = fields.Text()
    error = fields.Text()
    trace_id = fields.Char(index=True)
    traceparent = fields.Char()
    create_date = fields.Datetime(index=True)

    @api.model
    def _log_call(self, backend, record, contract_version=None):
        request, response = record.request_body, record.response_body
        if contract_version:
            request = _masked(contract_version, request)
            response = _masked(contract_version, response)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["integration.message"].create(
                {
                    "backend_id": backend.id,
                    "method": record.method,
                    "endpoint": record.endpoint,
                    "url": record.url,
                    "status": record.status or 0,
                    "duration_ms": record.duration_ms,
                    "request_excerpt": request,
                    "response_excerpt": response,
                    "error": record.error,
                    "trace_id": record.trace_id,
                    "traceparent": record.traceparent,
                }
            )


def _masked(version, text):
    try:
        return json.dumps(version.mask_payload(json.loads(text)))[:2000]
    except (TypeError, ValueError):
        return text
