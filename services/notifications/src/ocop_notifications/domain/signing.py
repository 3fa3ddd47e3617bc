"""Webhook signatures (pure: no I/O).

Every webhook POST carries

    X-OCOP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

where `<body>` is the exact bytes of the request body (the CloudEvent JSON, UTF-8) and the
secret is the subscription's. A receiver recomputes the HMAC over the timestamp, a dot and the
raw body, compares it in constant time with `v1`, and refuses a timestamp too far from its own
clock (a replay). Several `v1=` values may appear (e.g. while a secret is rotated): any match
is enough. Receivers also dedupe on `X-OCOP-Delivery` (the delivery id), which stays the same
across retries.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-OCOP-Signature"
DELIVERY_HEADER = "X-OCOP-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """The `X-OCOP-Signature` value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={int(timestamp)},v1={_digest(secret, int(timestamp), _as_bytes(body))}"


def verify(secret: str, header: str | None, body: bytes | str, now: float,
           tolerance: float = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether `header` is a valid signature of `body` with `secret`, made within `tolerance`
    seconds of `now` (unix seconds). Malformed headers are simply not valid."""
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates or abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, _as_bytes(body))
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
