"""Webhook signature helpers (HMAC-SHA256, base64 as Shopify, or hex).

Verification is constant-time and returns False, never raises, for a
missing or garbled header, so a controller can simply reject the call.
"""

import base64
import hashlib
import hmac


def _key(secret: str | bytes) -> bytes:
    """Accept the secret as stored (text) or raw bytes."""
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def _digest(secret: str | bytes, body: bytes) -> bytes:
    """Raw HMAC-SHA256 of the exact request body bytes."""
    return hmac.new(_key(secret), body or b"", hashlib.sha256).digest()


def hmac_sha256_base64(secret: str | bytes, body: bytes) -> str:
    """Signature as sent by Shopify in X-Shopify-Hmac-Sha256."""
    return base64.b64encode(_digest(secret, body)).decode("ascii")


def hmac_sha256_hex(secret: str | bytes, body: bytes) -> str:
    """Signature as sent by most other platforms (lower-case hex)."""
    return _digest(secret, body).hex()


def verify_base64(secret: str | bytes, body: bytes, received: str | None) -> bool:
    """True only if `received` is the base64 HMAC of body; garbage gives False."""
    if not received or not secret:
        return False
    try:
        received_raw = base64.b64decode(received.strip(), validate=True)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(received_raw, _digest(secret, body))


def verify_hex(secret: str | bytes, body: bytes, received: str | None) -> bool:
    """True only if `received` is the hex HMAC of body (any case, optional sha256= prefix)."""
    if not received or not secret:
        return False
    try:
        value = received.strip()
        if value.lower().startswith("sha256="):
            value = value[len("sha256=") :]
        received_raw = bytes.fromhex(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(received_raw, _digest(secret, body))
