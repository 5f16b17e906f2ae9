"""Webhook signature computation and constant-time verification."""

import base64
import hashlib
import hmac

import pytest

from odoo.addons.connector_base.lib import signatures

SECRET = "whsec_test"
BODY = b'{"id": 820982911946154508, "total_price": "10.00"}'


def test_matches_reference_hmac():
    raw = hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
    assert signatures.hmac_sha256_base64(SECRET, BODY) == base64.b64encode(raw).decode()
    assert signatures.hmac_sha256_hex(SECRET, BODY) == raw.hex()
    assert signatures.hmac_sha256_hex(SECRET.encode(), BODY) == raw.hex()


def test_known_vector():
    # RFC 4231 test case 2.
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signatures.hmac_sha256_hex("Jefe", b"what do ya want for nothing?") == expected


def test_verify_accepts_valid_signatures():
    assert signatures.verify_base64(SECRET, BODY, signatures.hmac_sha256_base64(SECRET, BODY))
    hex_sig = signatures.hmac_sha256_hex(SECRET, BODY)
    assert signatures.verify_hex(SECRET, BODY, hex_sig)
    assert signatures.verify_hex(SECRET, BODY, hex_sig.upper())
    assert signatures.verify_hex(SECRET, BODY, "sha256=" + hex_sig)


def test_verify_rejects_wrong_secret_and_tampered_body():
    good = signatures.hmac_sha256_base64(SECRET, BODY)
    assert not signatures.verify_base64("other", BODY, good)
    assert not signatures.verify_base64(SECRET, BODY.replace(b"10.00", b"0.01"), good)
    good_hex = signatures.hmac_sha256_hex(SECRET, BODY)
    assert not signatures.verify_hex("other", BODY, good_hex)
    assert not signatures.verify_hex(SECRET, BODY + b" ", good_hex)


@pytest.mark.parametrize(
    "received", [None, "", "   ", "not base64 !!!", "@@@", "AAAA", "c2hvcnQ=", "é"]
)
def test_verify_base64_garbled_header_is_false(received):
    assert signatures.verify_base64(SECRET, BODY, received) is False


@pytest.mark.parametrize("received", [None, "", "zz", "abc", "sha256=", "00" * 32, "é"])
def test_verify_hex_garbled_header_is_false(received):
    assert signatures.verify_hex(SECRET, BODY, received) is False


def test_hex_signature_is_not_accepted_as_base64():
    assert not signatures.verify_base64(SECRET, BODY, signatures.hmac_sha256_hex(SECRET, BODY))


def test_empty_secret_never_verifies():
    sig = signatures.hmac_sha256_base64("", BODY)
    assert signatures.verify_base64("", BODY, sig) is False
    assert signatures.verify_hex("", BODY, signatures.hmac_sha256_hex("", BODY)) is False


def test_uses_constant_time_compare(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signatures.hmac, "compare_digest", spy)
    assert signatures.verify_base64(SECRET, BODY, signatures.hmac_sha256_base64(SECRET, BODY))
    assert signatures.verify_hex(SECRET, BODY, signatures.hmac_sha256_hex(SECRET, BODY))
    assert len(calls) == 2
