"""Dead letters for messages JetStream gave up on without our handler recording them (for
example the database was down on the last delivery): JetStream's MAX_DELIVERIES advisory,
kept in the advisory stream, names the stream sequence; the original is fetched and stored in
dead_letter with the reason. An inbox row per advisory makes a redelivered advisory harmless."""

from __future__ import annotations

import json
import uuid

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from .consumer import pull_forever, record_dead_letter
from .topology import ADVISORY_STREAM

log = structlog.get_logger("ocop.advisories")

_ADVISORY_NAMESPACE = uuid.UUID("6f1c2c1e-8b8e-4d55-9f0b-0c5c1a7e0d11")


class AdvisoryDeadLetters:
    def __init__(
        self,
        *,
        service: str,
        js: JetStreamContext,
        engine: AsyncEngine,
        inbox: Table,
        dead_letter: Table,
    ) -> None:
        self.service = service
        self.js = js
        self.engine = engine
        self.inbox = inbox
        self.dead_letter = dead_letter
        self.inbox_key = f"{service}:max-deliveries"

    async def run(self) -> None:
        await pull_forever(self.js, self.service, ADVISORY_STREAM, 50, self.handle)

    async def handle(self, msgs: list[Msg]) -> None:
        for msg in msgs:
            try:
                await self.record(json.loads(msg.data))
            except Exception as exc:  # noqa: BLE001 - retried until the database is back
                log.warning("advisories.record_failed", error=repr(exc))
                await msg.nak(delay=2.0)
            else:
                await msg.ack()

    async def record(self, advisory: dict) -> None:
        stream, consumer, seq = advisory["stream"], advisory["consumer"], advisory["stream_seq"]
        try:
            original = await self.js.get_msg(stream, seq)
            subject, headers, data = original.subject, original.headers or {}, original.data or b""
        except NotFoundError:
            subject, headers, data = "?", {}, b""
        key = uuid.uuid5(_ADVISORY_NAMESPACE, advisory.get("id") or f"{stream}:{consumer}:{seq}")
        async with self.engine.begin() as session:
            fresh = await session.execute(
                pg_insert(self.inbox)
                .values(consumer=self.inbox_key, event_id=key, event_type="max-deliveries")
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            )
            if fresh.first() is None:
                return
            await record_dead_letter(
                session, self.dead_letter, consumer=consumer, msg_subject=subject,
                headers=headers, data=data,
                error=f"JetStream gave up after {advisory.get('deliveries')} deliveries "
                      "without a recorded handler error (the service or its database was "
                      "unavailable on the last attempt)",
                deliveries=int(advisory.get("deliveries") or 0), stream_seq=seq,
            )
        log.error("advisories.dead_lettered", stream=stream, consumer=consumer, stream_seq=seq)
