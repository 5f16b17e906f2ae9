"""Vault key ring: encryption at rest, key rotation and safe error messages."""

import pytest
from cryptography.fernet import Fernet

from odoo.addons.connector_base.lib import vault
from odoo.addons.connector_base.lib.vault import KeyRing, VaultError


def test_round_trip_and_ciphertext_hides_plaintext():
    ring = KeyRing([KeyRing.generate_key()])
    token = ring.encrypt("shpat_secret-token")
    assert "shpat_secret-token" not in token
    assert ring.decrypt(token) == "shpat_secret-token"


def test_unicode_secret_round_trips():
    ring = KeyRing([KeyRing.generate_key()])
    assert ring.decrypt(ring.encrypt("pässwörd ✓")) == "pässwörd ✓"


def test_same_plaintext_gives_different_tokens():
    ring = KeyRing([KeyRing.generate_key()])
    assert ring.encrypt("x") != ring.encrypt("x")


def test_wrong_key_fails_with_safe_message():
    token = KeyRing([KeyRing.generate_key()]).encrypt("top-secret")
    other_key = KeyRing.generate_key()
    with pytest.raises(VaultError) as info:
        KeyRing([other_key]).decrypt(token)
    message = str(info.value)
    assert message == vault.UNDECRYPTABLE_MESSAGE
    assert "top-secret" not in message and other_key not in message


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAAB-garbage", "ünïcode"])
def test_garbage_token_raises_instead_of_returning_empty(token):
    ring = KeyRing([KeyRing.generate_key()])
    with pytest.raises(VaultError):
        ring.decrypt(token)


def test_tampered_token_is_rejected():
    ring = KeyRing([KeyRing.generate_key()])
    token = ring.encrypt("amount=10")
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(VaultError):
        ring.decrypt(tampered)


def test_every_key_decrypts_but_only_first_encrypts():
    old, new = KeyRing.generate_key(), KeyRing.generate_key()
    old_token = KeyRing([old]).encrypt("legacy")
    ring = KeyRing([new, old])
    assert ring.decrypt(old_token) == "legacy"
    fresh = ring.encrypt("fresh")
    assert KeyRing([new]).decrypt(fresh) == "fresh"
    with pytest.raises(VaultError):
        KeyRing([old]).decrypt(fresh)


def test_rotate_moves_token_to_new_key():
    old, new = KeyRing.generate_key(), KeyRing.generate_key()
    token = KeyRing([old]).encrypt("api-key")
    rotated = KeyRing([new, old]).rotate(token)
    assert rotated != token
    assert KeyRing([new]).decrypt(rotated) == "api-key"
    with pytest.raises(VaultError):
        KeyRing([old]).decrypt(rotated)


def test_rotate_unknown_token_raises():
    with pytest.raises(VaultError):
        KeyRing([KeyRing.generate_key()]).rotate(KeyRing([KeyRing.generate_key()]).encrypt("x"))


@pytest.mark.parametrize("keys", [[], [""], None])
def test_no_key_message_points_to_configuration(keys):
    with pytest.raises(VaultError) as info:
        KeyRing(keys)
    assert "integration_vault_keys" in str(info.value)
    assert "INTEGRATION_VAULT_KEYS" in str(info.value)


def test_bad_key_reported_by_position_only():
    bad = "this-is-not-a-fernet-key-but-a-leaked-secret"
    with pytest.raises(VaultError) as info:
        KeyRing([KeyRing.generate_key(), bad])
    assert str(info.value) == "vault key #2 is not a valid Fernet key"
    assert bad not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_from_sources_option_wins_and_separators():
    k1, k2, k3 = (KeyRing.generate_key() for _ in range(3))
    ring = KeyRing.from_sources(f" {k1},\n {k2} ", k3)
    assert ring.size == 2
    token = KeyRing([k2]).encrypt("via option")
    assert ring.decrypt(token) == "via option"
    with pytest.raises(VaultError):
        ring.decrypt(KeyRing([k3]).encrypt("env only"))


def test_from_sources_falls_back_to_env():
    key = KeyRing.generate_key()
    ring = KeyRing.from_sources("", f"{key}")
    assert ring.decrypt(KeyRing([key]).encrypt("env")) == "env"
    with pytest.raises(VaultError, match="no vault key configured"):
        KeyRing.from_sources(None, "  ,  ")


def test_generate_key_is_valid_and_repr_hides_keys():
    key = KeyRing.generate_key()
    Fernet(key)  # raises if invalid
    assert key != KeyRing.generate_key()
    assert key not in repr(KeyRing([key]))
