import json

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from ..lib import masking


class IntegrationMessage(models.Model):
    """The outbound message log: one row per call to a channel's API.

    Written in its own transaction so a call is logged even when the job that
    made it rolls back; request and response excerpts are masked by the
    contract's field classification before they are stored, and every
    credential (token, secret, password, authorization, API key fields,
    headers and query parameters) is masked whatever the channel.
    """

    _name = "integration.message"
    _description = "Outbound integration message"
    _inherit = ["integration.replayable.mixin"]
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
    replay_model = fields.Char(help="Record whose method sends this message again.")
    replay_res_id = fields.Many2oneReference(model_field="replay_model")
    replay_method = fields.Char()

    def _integration_replay(self, exception, payload):
        """Send again by calling the method that built this message from the
        current Odoo state (never by resending a stored, masked body)."""
        self.ensure_one()
        if not (self.replay_model and self.replay_res_id and self.replay_method):
            raise UserError(self.env._("This message was not sent by a replayable flow."))
        record = self.env[self.replay_model].browse(self.replay_res_id).exists()
        if not record:
            raise UserError(self.env._("The record that sent this message is gone."))
        return getattr(record, self.replay_method)()

    @api.model
    def _log_call(self, backend, record, contract_version=None):
        # Credentials first (any caller, any channel), then the contract's
        # classification (personal and secret business fields).
        request = masking.mask_text(record.request_body)
        response = masking.mask_text(record.response_body)
        if contract_version:
            request = _masked(contract_version, request)
            response = _masked(contract_version, response)
        replay = self.env.context.get("integration_replay") or (False, False, False)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # Its own transaction, so the log outlives a failed job; a backend
            # not committed yet (onboarding) logs in the caller's transaction.
            cr.execute("SELECT 1 FROM integration_backend WHERE id = %s", [backend.id])
            if not cr.fetchone():
                env = self.env(su=True)
            env["integration.message"].create(
                {
                    "replay_model": replay[0],
                    "replay_res_id": replay[1],
                    "replay_method": replay[2],
                    "backend_id": backend.id,
                    "method": record.method,
                    "endpoint": record.endpoint,
                    "url": masking.mask_url(record.url),
                    "status": record.status or 0,
                    "duration_ms": record.duration_ms,
                    "request_excerpt": request,
                    "response_excerpt": response,
                    "error": masking.mask_text(record.error),
                    "trace_id": record.trace_id,
                    "traceparent": record.traceparent,
                }
            )


def _masked(version, text):
    try:
        return json.dumps(version.mask_payload(json.loads(text)))[:2000]
    except (TypeError, ValueError):
        return text
