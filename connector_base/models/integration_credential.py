import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..lib.vault import KeyRing, VaultError

VAULT_OPTION = "integration_vault_keys"
VAULT_ENV = "INTEGRATION_VAULT_KEYS"


def key_ring():
    """The vault key ring from the server option, else the environment."""
    return KeyRing.from_sources(config.get(VAULT_OPTION), os.environ.get(VAULT_ENV))


class IntegrationCredential(models.Model):
    """A backend's secret, encrypted at rest with the vault's key ring.

    The ciphertext column is readable by no group through RPC; ``value`` is
    write-only (it always reads empty) and ``is_set`` tells whether a secret
    is there. Only server code decrypts, through ``_read_secret``.
    """

    _name = "integration.credential"
    _description = "Integration secret"
    _order = "backend_id, key"

    backend_id = fields.Many2one("integration.backend", required=True, ondelete="cascade")
    key = fields.Char(required=True, help="e.g. access_token, webhook_secret, client_secret")
    ciphertext = fields.Text(groups="base.group_system", copy=False)
    value = fields.Char(
        "Secret",
        compute="_compute_value",
        inverse="_inverse_value",
        help="Write-only: type a new value to replace the secret.",
    )
    is_set = fields.Boolean(compute="_compute_is_set")
    rotated_at = fields.Datetime(readonly=True)

    _backend_key_unique = models.Constraint(
        "UNIQUE(backend_id, key)", "One secret per backend and key."
    )

    def _compute_value(self):
        for credential in self:
            credential.value = False

    def _inverse_value(self):
        ring = _ring_or_error(self.env)
        for credential in self:
            if credential.value:
                credential.sudo().ciphertext = ring.encrypt(credential.value)

    def _compute_is_set(self):
        for credential in self:
            credential.is_set = bool(credential.sudo().ciphertext)

    @api.model
    def _read_secret(self, backend, key):
        """Decrypt a backend's secret; a clear error when missing or undecryptable."""
        credential = self.sudo().search(
            [("backend_id", "=", backend.id), ("key", "=", key)], limit=1
        )
        if not credential or not credential.ciphertext:
            raise UserError(
                self.env._("Backend %(b)s has no secret '%(k)s'.", b=backend.name, k=key)
            )
        try:
            return _ring_or_error(self.env).decrypt(credential.ciphertext)
        except VaultError as error:
            raise UserError(f"{backend.name} / {key}: {error}") from error

    @api.model
    def _store_secret(self, backend, key, value):
        credential = self.sudo().search(
            [("backend_id", "=", backend.id), ("key", "=", key)], limit=1
        ) or self.sudo().create({"backend_id": backend.id, "key": key})
        credential.ciphertext = _ring_or_error(self.env).encrypt(value)
        return credential

    @api.model
    def _rotate_all(self):
        """Re-encrypt every secret with the newest key of the ring."""
        ring = _ring_or_error(self.env)
        credentials = self.sudo().search([("ciphertext", "!=", False)])
        now = fields.Datetime.now()
        for credential in credentials:
            credential.write({"ciphertext": ring.rotate(credential.ciphertext), "rotated_at": now})
        return len(credentials)


def _ring_or_error(env):
    try:
        return key_ring()
    except VaultError as error:
        raise UserError(str(error)) from error
