"""Run a service in the test's event loop, exactly as its process does (ServiceRuntime: relay,
consumers, HTTP app), with an httpx client on its ASGI app and tokens for each role."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import nats

from ..auth import Principal, Role, issue_token
from ..contracts import Envelope, Event
from ..runtime import ServiceDefinition, ServiceRuntime
from ..settings import ServiceSettings

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def token(role: Role, **claims: str) -> str:
    principal = Principal(subject=f"test-{role.value}", role=role, **claims)
    return issue_token(principal, TEST_SECRET)


def auth_header(role: Role, **claims: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, **claims)}"}


def settings_for_test(database_url: str, nats_url: str, *,
                      cls: type[ServiceSettings] = ServiceSettings,
                      **overrides: object) -> ServiceSettings:
    """Settings of a service under test (`cls`: the service's own settings class)."""
    values = {
        "OCOP_NATS_URL": nats_url,
        "OCOP_JWT_SECRET": TEST_SECRET,
        "database_url": database_url,
        "consumer_retry_delay_seconds": 0.2,
        "outbox_poll_seconds": 0.5,
    }
    values.update(overrides)
    return cls.model_validate(values)


@dataclass
class RunningService:
    runtime: ServiceRuntime
    http: httpx.AsyncClient


@asynccontextmanager
async def running(definition: ServiceDefinition, settings: ServiceSettings,
                  **runtime_kwargs: object) -> AsyncIterator[RunningService]:
    runtime = ServiceRuntime(definition, settings, **runtime_kwargs)
    app = runtime.app()
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(runtime, client)
    finally:
        await runtime.stop()


async def publish_event(nats_url: str, event: Event, *, event_id: uuid.UUID | None = None,
                        correlation_id: str | None = None) -> Envelope:
    """Publish `event` to JetStream as its service's relay would (envelope headers,
    Nats-Msg-Id = the event id).

    With `event_id` of an event published before, this is a redelivery: the same CloudEvent id
    (the consumers' inbox key) under a fresh Nats-Msg-Id, so that JetStream's duplicate window
    does not drop it and the consumer itself must absorb it (as after a relay retried past the
    window, or a replay)."""
    envelope = Envelope.new(source=f"/ocop/{event.contract_service}", type=event.event_type(),
                            subject=event.entity_id(), id=event_id,
                            correlation_id=correlation_id)
    headers = envelope.to_headers()
    if event_id is not None:
        headers["Nats-Msg-Id"] = f"redelivery-{uuid.uuid4()}"
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(event.subject(), event.model_dump_json().encode(),
                                     headers=headers)
    finally:
        await nc.close()
    return envelope


@dataclass(frozen=True)
class StreamMessage:
    type: str
    """The CloudEvents type (ce-type header)."""
    payload: dict


async def stream_messages(nats_url: str, subject: str, *, at_least: int = 0,
                          timeout: float = 10.0) -> list[StreamMessage]:
    """Every message on `subject` (wildcards allowed) in its publisher's stream so far, read
    with an ephemeral consumer; waits up to `timeout` for at least `at_least` of them (a relay
    may not have published yet), then returns what is there, oldest first."""
    stream = f"OCOP_{subject.split('.')[1].upper()}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(subject, stream=stream)
        found: list[StreamMessage] = []
        while True:
            try:
                batch = await sub.fetch(100, timeout=0.5)
            except nats.errors.TimeoutError:
                if len(found) >= at_least or loop.time() > deadline:
                    return found
                continue
            found += [StreamMessage((m.headers or {}).get("ce-type", ""), json.loads(m.data))
                      for m in batch]
    finally:
        await nc.close()


async def published_payloads(nats_url: str, subject: str, **wait: float) -> list[dict]:
    """The payloads of `stream_messages` (`at_least`, `timeout` as there)."""
    return [m.payload for m in await stream_messages(nats_url, subject, **wait)]
