import json
import logging
import time

from odoo import http
from odoo.http import request

from ..models.integration_backend_webhook_row import UnknownWebhookToken

_logger = logging.getLogger(__name__)
_LAST_SECURITY_LOG = {}
SECURITY_LOG_EVERY = 10.0


def _reply(status, body):
    return request.make_response(
        json.dumps(body), headers=[("Content-Type", "application/json")], status=status
    )


def _security_log(backend_id, remote):
    """At most one line per backend every few seconds: a flood must not flood logs."""
    now = time.monotonic()
    # Keyed by database too: one server serves several databases' backends.
    key = (request.db, backend_id)
    if now - _LAST_SECURITY_LOG.get(key, 0.0) >= SECURITY_LOG_EVERY:
        _LAST_SECURITY_LOG[key] = now
        _logger.warning(
            "integration webhook: bad signature for backend %s from %s", backend_id, remote
        )


class IntegrationWebhook(http.Controller):
    """The one inbound route every channel shares.

    It does the least that keeps the promise: verify, insert-or-ignore into
    the inbox in one statement, make sure the backend's drain job exists, and
    answer. Everything else happens in jobs.
    """

    @http.route(
        "/integration/webhook/<string:token>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive(self, token, **_kwargs):
        env = request.env(su=True)
        Backend = env["integration.backend"]
        try:
            # What the channel's hooks read of the backend (and of its system,
            # for the trace id) and the ciphertexts along with it (see
            # _read_secret), cached per token: an ORM fetch of the backend's
            # and the system's rows was a quarter of a delivery, the
            # statement that replaced it another tenth.
            backend_id, columns, system_code, ciphertexts = Backend._webhook_row(token)
        except UnknownWebhookToken:
            return _reply(404, {"error": "unknown backend"})
        values = dict(columns)
        if values["state"] in ("draft", "disabled"):
            return _reply(404, {"error": "unknown backend"})
        state, max_kb = values["state"], values["max_payload_kb"]
        length = request.httprequest.content_length or 0
        if max_kb and length > max_kb * 1024:
            return _reply(413, {"error": "payload too large"})
        # Cached: Odoo retries a request on a serialization failure.
        body = request.httprequest.get_data()
        if max_kb and len(body) > max_kb * 1024:
            return _reply(413, {"error": "payload too large"})
        backend = Backend.browse(backend_id)
        backend._update_cache(values, validate=False)
        if values["system_id"]:
            env["integration.system"].browse(values["system_id"])._update_cache(
                {"code": system_code}, validate=False
            )
        env["integration.credential"]._remember_ciphertexts(backend_id, dict(ciphertexts))
        headers = dict(request.httprequest.headers)
        if not backend._webhook_verify(headers, body):
            _security_log(backend_id, request.httprequest.remote_addr)
            return _reply(401, {"error": "invalid signature"})
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _reply(400, {"error": "body is not JSON"})
        problem = backend._webhook_check(headers, payload)
        if problem:
            _logger.warning(
                "integration webhook: backend %s refused a delivery: %s", backend_id, problem
            )
            return _reply(400, {"error": problem})
        description = backend._webhook_describe(headers, payload)
        event_id = env["integration.event"]._insert_received(backend, description, payload, headers)
        if event_id is None:
            return _reply(200, {"status": "duplicate"})
        if state == "active":
            backend._ensure_drain_job(arrival=True)
        return _reply(200, {"status": "accepted", "event": event_id})
