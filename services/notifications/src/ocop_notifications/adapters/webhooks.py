"""Webhooks: POST the delivery's CloudEvent (structured JSON) to the subscription's URL, signed
(see `domain.signing`). A 2xx is success; anything else, a timeout or a connection error is a
failure with a short detail ("HTTP 503", "timeout after 10 s", ...)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from ..domain.dispatch import SendFailed
from ..domain.signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign

CONTENT_TYPE = "application/cloudevents+json"


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


async def post_webhook(client: httpx.AsyncClient, *, url: str, secret: str,
                       delivery_id: uuid.UUID, payload: dict[str, Any],
                       timeout_seconds: float) -> None:
    body = encode(payload)
    headers = {
        "content-type": CONTENT_TYPE,
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
        DELIVERY_HEADER: str(delivery_id),
        "ce-id": str(payload.get("id", "")),
    }
    try:
        response = await client.post(url, content=body, headers=headers,
                                     timeout=timeout_seconds)
    except httpx.TimeoutException as exc:
        raise SendFailed(f"timeout after {timeout_seconds:g} s") from exc
    except httpx.HTTPError as exc:
        raise SendFailed(f"connection failed: {type(exc).__name__}: {exc}"[:500]) from exc
    if not 200 <= response.status_code < 300:
        raise SendFailed(f"HTTP {response.status_code}")
