"""Webhook signatures: what a receiver recomputes and checks."""

from __future__ import annotations

import hashlib
import hmac

from ocop_notifications.domain.signing import sign, verify

SECRET = "s3cret-0123456789abcdef"
BODY = '{"type":"ocop.evaluation.EvaluationCompleted.v1","data":{"name":"Chè Shan tuyết"}}'
BODY_BYTES = BODY.encode()
NOW = 1_790_000_000


def test_the_header_is_timestamp_and_hmac_of_timestamp_dot_body() -> None:
    header = sign(SECRET, NOW, BODY_BYTES)
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY_BYTES,
                        hashlib.sha256).hexdigest()
    assert header == f"t={NOW},v1={expected}"
    assert sign(SECRET, NOW, BODY) == header  # str bodies are signed as UTF-8


def test_a_valid_signature_verifies() -> None:
    assert verify(SECRET, sign(SECRET, NOW, BODY_BYTES), BODY_BYTES, now=NOW + 10)


def test_tampering_a_wrong_secret_or_an_old_timestamp_do_not_verify() -> None:
    header = sign(SECRET, NOW, BODY_BYTES)
    assert not verify(SECRET, header, BODY_BYTES.replace(b"Shan", b"Shen"), now=NOW)
    assert not verify("another-secret-0123456789", header, BODY_BYTES, now=NOW)
    assert not verify(SECRET, header, BODY_BYTES, now=NOW + 301)
    assert not verify(SECRET, header, BODY_BYTES, now=NOW - 301)
    assert verify(SECRET, header, BODY_BYTES, now=NOW + 301, tolerance=600)
    forged = header.replace(f"t={NOW}", f"t={NOW + 5}")
    assert not verify(SECRET, forged, BODY_BYTES, now=NOW)


def test_malformed_headers_do_not_verify() -> None:
    for header in (None, "", "garbage", "t=abc,v1=00", f"t={NOW}", "v1=00", f"t={NOW},v1="):
        assert not verify(SECRET, header, BODY_BYTES, now=NOW)


def test_any_of_several_v1_values_may_match() -> None:
    good = sign(SECRET, NOW, BODY_BYTES).split(",")[1]
    assert verify(SECRET, f"t={NOW},v1=deadbeef,{good}", BODY_BYTES, now=NOW)
