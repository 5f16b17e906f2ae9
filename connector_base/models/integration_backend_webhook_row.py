"""The backend a webhook token names, kept in each worker's cache.

Before it can verify a delivery's signature, the webhook route needs the
backend's webhook columns, its system's code and its secrets' ciphertexts.
They are read once per token and kept in Odoo's ormcache (the ``default``
cache, which every worker drops when the registry signals a change) until
one of them changes: a delivery then costs its INSERT alone. A token no
backend has is never cached: a flood of made-up URLs must not evict Odoo's
own cached entries.
"""

from odoo import api, models, tools
from odoo.tools import SQL


class UnknownWebhookToken(KeyError):
    """No backend has this webhook token (raised, so that nothing is cached)."""


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    @api.model
    @tools.ormcache("token")
    def _webhook_row(self, token):
        """(backend id, ((column, value), ...), system code, ((key,
        ciphertext), ...)) of the backend whose webhook token is ``token``,
        in one statement; immutable, since every request of the worker
        shares it."""
        names = self._webhook_columns()
        self.env.cr.execute(
            SQL(
                "SELECT id, %s, (SELECT code FROM integration_system WHERE id = b.system_id), "
                "(SELECT jsonb_object_agg(key, ciphertext) FROM integration_credential "
                "  WHERE backend_id = b.id AND ciphertext IS NOT NULL) "
                "FROM integration_backend b WHERE webhook_token = %s",
                SQL(", ").join(SQL.identifier(name) for name in names),
                token,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            raise UnknownWebhookToken(token)
        values = tuple(zip(names, row[1 : 1 + len(names)], strict=True))
        return row[0], values, row[-2], tuple(sorted((row[-1] or {}).items()))

    @api.model
    def _drop_webhook_rows(self):
        """Drop the cached rows now and once this transaction commits: a
        request of another thread of this process may cache the old row in
        between (other workers drop theirs on the registry's signal)."""
        self.env.registry.clear_cache()
        self.env.cr.postcommit.add(self.env.registry.clear_cache)

    def write(self, vals):
        result = super().write(vals)
        if {"webhook_token", *self._webhook_columns()} & vals.keys():
            self._drop_webhook_rows()
        return result

    def unlink(self):
        result = super().unlink()
        self._drop_webhook_rows()
        return result


class IntegrationSystem(models.Model):
    _inherit = "integration.system"

    def write(self, vals):
        result = super().write(vals)
        if "code" in vals:
            # The cached rows carry the system's code (the events' trace ids).
            self.env["integration.backend"]._drop_webhook_rows()
        return result
