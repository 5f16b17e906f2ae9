import os

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..lib.vault import KeyRing, VaultError

VAULT_OPTION = "integration_vault_keys"
VAULT_ENV = "INTEGRATION_VAULT_KEYS"


_RINGS = {}
# The cursor cache's key for the ciphertexts the webhook route read with its backend.
_CIPHERTEXTS = "integration.credential.ciphertexts"


def key_ring():
    """The vault key ring from the server option, else the environment.

    Built once per distinct configuration: a changed option gives a new ring.
    """
    sources = (config.get(VAULT_OPTION), os.environ.get(VAULT_ENV))
    ring = _RINGS.get(sources)
    if ring is None:
        ring = KeyRing.from_sources(*sources)
        _RINGS.clear()
        _DECRYPTED.clear()
        _RINGS[sources] = ring
    return ring


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

    @api.model_create_multi
    def create(self, vals_list):
        self._forget_ciphertexts()
        return super().create(vals_list)

    def write(self, vals):
        # A secret changed: what the webhook route remembered is stale.
        self._forget_ciphertexts()
        return super().write(vals)

    def unlink(self):
        self._forget_ciphertexts()
        return super().unlink()

    def _forget_ciphertexts(self):
        """Drop what this cursor and every worker's webhook route hold
        (``integration.backend._webhook_row``)."""
        self.env.cr.cache.pop(_CIPHERTEXTS, None)
        self.env["integration.backend"]._drop_webhook_rows()

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
        # Plain SQL: the webhook route verifies signatures with it, per request
        # (and read the backend's ciphertexts already, in this transaction).
        remembered = self.env.cr.cache.get(_CIPHERTEXTS, {}).get(backend.id)
        if remembered is not None:
            row = (remembered.get(key),)
        else:
            self.flush_model(["ciphertext", "backend_id", "key"])
            self.env.cr.execute(
                "SELECT ciphertext FROM integration_credential WHERE backend_id = %s AND key = %s",
                [backend.id, key],
            )
            row = self.env.cr.fetchone()
        if not row or not row[0]:
            raise UserError(
                self.env._("Backend %(b)s has no secret '%(k)s'.", b=backend.name, k=key)
            )
        try:
            return _decrypt(_ring_or_error(self.env), row[0])
        except VaultError as error:
            raise UserError(f"{backend.name} / {key}: {error}") from error

    @api.model
    def _remember_ciphertexts(self, backend_id, ciphertexts):
        """Keep a backend's ciphertexts, read with it, for this cursor only
        (never the context: a caller may set that); decrypted when used."""
        self.env.cr.cache.setdefault(_CIPHERTEXTS, {})[backend_id] = ciphertexts or {}

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
            try:
                ciphertext = ring.rotate(credential.ciphertext)
            except VaultError as error:
                # Nothing is rotated unless everything can be: say which one.
                raise UserError(
                    f"{credential.backend_id.name} / {credential.key}: {error}"
                ) from error
            credential.write({"ciphertext": ciphertext, "rotated_at": now})
        return len(credentials)


def _ring_or_error(env):
    try:
        return key_ring()
    except VaultError as error:
        raise UserError(str(error)) from error


_DECRYPTED = {}
_DECRYPTED_MAX = 256


def _decrypt(ring, ciphertext):
    """Decrypt, remembering recent results in this worker's memory.

    Keyed by the ciphertext and emptied whenever the key ring changes, so a
    new secret, a rotation or another key ring never reads a stale value.
    """
    cache_key = ciphertext
    plaintext = _DECRYPTED.get(cache_key)
    if plaintext is None:
        plaintext = ring.decrypt(ciphertext)
        if len(_DECRYPTED) >= _DECRYPTED_MAX:
            _DECRYPTED.clear()
        _DECRYPTED[cache_key] = plaintext
    return plaintext
