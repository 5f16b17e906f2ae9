"""Credential encryption at rest with a Fernet key ring.

The first key encrypts; every key decrypts, so keys can be rotated without
a flag day: prepend the new key, re-encrypt with :meth:`KeyRing.rotate`,
then drop the old key. Errors never carry key material or plaintext.
"""

import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

NO_KEY_MESSAGE = (
    "no vault key configured: set integration_vault_keys in the Odoo "
    "configuration file or INTEGRATION_VAULT_KEYS in the environment"
)
UNDECRYPTABLE_MESSAGE = (
    "a secret cannot be decrypted with the configured vault keys (wrong or missing key)"
)


class VaultError(Exception):
    """Vault failure whose message is safe to log and show to users."""


def split_keys(value: str | None) -> list[str]:
    """Split a comma and/or whitespace separated key list, as written in config files."""
    if not value:
        return []
    return [key for key in re.split(r"[\s,]+", value) if key]


def _fernet(key: str, position: int) -> Fernet:
    """Build one Fernet, reporting a bad key by position only, never by value."""
    try:
        return Fernet(key.encode("ascii") if isinstance(key, str) else key)
    except (ValueError, TypeError, UnicodeError):
        raise VaultError(f"vault key #{position} is not a valid Fernet key") from None


class KeyRing:
    """Ordered Fernet keys: the first encrypts, all of them decrypt."""

    def __init__(self, keys: list[str]):
        keys = [key for key in (keys or []) if key]
        if not keys:
            raise VaultError(NO_KEY_MESSAGE)
        self._multi = MultiFernet(
            [_fernet(key, position) for position, key in enumerate(keys, start=1)]
        )
        self.size = len(keys)

    def __repr__(self) -> str:
        """Keep keys out of logs and tracebacks."""
        return f"<KeyRing keys={self.size}>"

    @classmethod
    def from_sources(cls, option_value: str | None, env_value: str | None) -> "KeyRing":
        """Build from the Odoo option if set, else from the environment variable."""
        keys = split_keys(option_value) or split_keys(env_value)
        return cls(keys)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt with the primary (first) key."""
        if not isinstance(plaintext, str):
            raise VaultError("only text secrets can be encrypted")
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt with any key; an empty or unreadable token is an error, not ''."""
        if not token:
            raise VaultError(UNDECRYPTABLE_MESSAGE)
        try:
            data = self._multi.decrypt(_token_bytes(token))
        except InvalidToken:
            raise VaultError(UNDECRYPTABLE_MESSAGE) from None
        return data.decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt an existing token with the primary key (for key rotation)."""
        if not token:
            raise VaultError(UNDECRYPTABLE_MESSAGE)
        try:
            return self._multi.rotate(_token_bytes(token)).decode("ascii")
        except InvalidToken:
            raise VaultError(UNDECRYPTABLE_MESSAGE) from None

    @staticmethod
    def generate_key() -> str:
        """Return a fresh key suitable for integration_vault_keys."""
        return Fernet.generate_key().decode("ascii")


def _token_bytes(token: str | bytes) -> bytes:
    """Fernet wants bytes; a non-ASCII token can only be garbage."""
    if isinstance(token, bytes):
        return token
    try:
        return token.encode("ascii")
    except UnicodeError:
        raise VaultError(UNDECRYPTABLE_MESSAGE) from None
