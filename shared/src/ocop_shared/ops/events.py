"""Events in JetStream: tail them, replay a range into one consumer, republish a service's
outbox after the broker lost acknowledged messages.

Replay into one consumer (`replay_into_consumer`) deletes that consumer's inbox rows for the
events in range and publishes copies of the stored messages (same CloudEvents id, fresh
Nats-Msg-Id). Trade-off: the stream then holds a second copy of each event (kept for the
stream's max age), and every other consumer of those subjects receives the copies too; their
inboxes still hold the ids, so they acknowledge them without effect. A handler that inserts
rather than upserts needs its projection cleared first to rebuild it.

Republish (`republish_outbox`) re-sends the service's own published outbox rows with their
ORIGINAL Nats-Msg-Id (the outbox id): within JetStream's duplicate window a message the broker
still has is dropped (counted as duplicate); after a wipe it is accepted again. Consumers'
inboxes make either case safe.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import NotFoundError
from sqlalchemy import MetaData, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ..contracts import MSG_ID_HEADER, SERVICES
from ..messaging.outbox import envelope_of
from ..messaging.tables import messaging_tables
from ..messaging.topology import TOPOLOGY, ConsumerSpec, Topology, stream_name
from .dlq import fresh_msg_id
from .targets import OpsError

OUTBOX, INBOX, _ = messaging_tables(MetaData())
IDLE_SECONDS = 2.0
"""How long a range read waits for a next message before deciding the range is exhausted."""


# --- subjects ----------------------------------------------------------------------------

def intersect(a: str, b: str) -> str | None:
    """The subject filter matching what both NATS filters match, or None if they are disjoint
    (`ocop.>` ∩ `ocop.registry.>` = `ocop.registry.>`)."""
    ta, tb = a.split("."), b.split(".")
    out = []
    for i in range(max(len(ta), len(tb))):
        x = ta[i] if i < len(ta) else None
        y = tb[i] if i < len(tb) else None
        if x == ">":
            return ".".join(out + tb[i:]) if y is not None else None
        if y == ">":
            return ".".join(out + ta[i:]) if x is not None else None
        if x is None or y is None:
            return None
        if x == "*":
            out.append(y)
        elif y in ("*", x):
            out.append(x)
        else:
            return None
    return ".".join(out)


def streams_for(subject_filter: str) -> list[tuple[str, str]]:
    """(stream, filter within it) of every event stream the filter reaches."""
    matches = []
    for service in SERVICES:
        inner = intersect(subject_filter, f"ocop.{service}.>")
        if inner is not None:
            matches.append((stream_name(service), inner))
    if not matches:
        raise OpsError(f"no event stream carries {subject_filter!r} "
                       "(streams carry ocop.<service>.>)")
    return matches


# --- reading -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredEvent:
    stream: str
    seq: int
    subject: str
    time: datetime
    headers: dict[str, str]
    data: bytes

    @classmethod
    def of(cls, stream: str, msg: Msg) -> StoredEvent:
        return cls(stream, msg.metadata.sequence.stream, msg.subject, msg.metadata.timestamp,
                   dict(msg.headers or {}), msg.data)

    @property
    def event_id(self) -> str | None:
        return self.headers.get("ce-id")

    def as_dict(self) -> dict[str, Any]:
        try:
            data: Any = json.loads(self.data)
        except ValueError:
            data = self.data.decode("utf-8", errors="replace")
        h = self.headers
        return {"stream": self.stream, "seq": self.seq, "subject": self.subject,
                "stored_at": self.time, "id": h.get("ce-id"), "type": h.get("ce-type"),
                "time": h.get("ce-time"), "entity": h.get("ce-subject"),
                "correlation_id": h.get("ce-correlationid"), "data": data}


def _ordered_config(since: datetime | None, new_only: bool) -> tuple[api.ConsumerConfig,
                                                                     api.DeliverPolicy]:
    if since is not None:
        return api.ConsumerConfig(opt_start_time=since), api.DeliverPolicy.BY_START_TIME
    if new_only:
        return api.ConsumerConfig(), api.DeliverPolicy.NEW
    return api.ConsumerConfig(), api.DeliverPolicy.ALL


async def read_range(js: JetStreamContext, stream: str, subject_filter: str,
                     since: datetime | None, until: datetime | None = None,
                     ) -> AsyncIterator[StoredEvent]:
    """The stored messages of `stream` matching the filter, stored in [since, until], in
    order (an ephemeral ordered consumer; nothing is acknowledged or changed)."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        raise OpsError(f"stream {stream} does not exist (run `ocop streams apply`)") from None
    if info.state.messages == 0:
        return
    config, policy = _ordered_config(since, new_only=False)
    sub = await js.subscribe(subject_filter, stream=stream, ordered_consumer=True,
                             config=config, deliver_policy=policy)
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=IDLE_SECONDS)
            except TimeoutError:
                return
            event = StoredEvent.of(stream, msg)
            if until is not None and event.time > until:
                return
            yield event
            if msg.metadata.num_pending == 0:
                return
    finally:
        await sub.unsubscribe()


async def tail(js: JetStreamContext, subject_filter: str, *, since: datetime | None,
               count: int | None, on_event: Callable[[StoredEvent], None]) -> int:
    """Follow the matching streams (new messages, or from `since`) until `count` events."""
    queue: asyncio.Queue[StoredEvent] = asyncio.Queue()
    subs = []
    for stream, inner in streams_for(subject_filter):
        async def push(msg: Msg, stream: str = stream) -> None:
            await queue.put(StoredEvent.of(stream, msg))

        config, policy = _ordered_config(since, new_only=True)
        try:
            subs.append(await js.subscribe(inner, stream=stream, ordered_consumer=True,
                                           config=config, deliver_policy=policy, cb=push))
        except NotFoundError:
            continue  # a stream not provisioned yet has nothing to tail
    if not subs:
        raise OpsError("none of the matching streams exists (run `ocop streams apply`)")
    shown = 0
    try:
        while count is None or shown < count:
            on_event(await queue.get())
            shown += 1
    finally:
        for sub in subs:
            await sub.unsubscribe()
    return shown


# --- replay into one consumer --------------------------------------------------------------

def consumer_spec(service: str, source: str, topology: Topology = TOPOLOGY) -> ConsumerSpec:
    for spec in topology.consumers_of(service):
        if spec.source == source:
            return spec
    sources = [s.source for s in topology.consumers_of(service)]
    raise OpsError(f"{service} has no consumer of {source} (it consumes: {sources or 'none'})")


async def collect_for_consumer(js: JetStreamContext, spec: ConsumerSpec, since: datetime,
                               until: datetime | None,
                               progress: Callable[[StoredEvent], None] | None = None,
                               ) -> list[StoredEvent]:
    """The stored events of the spec's subjects in range (without replay copies of one
    event twice: one per CloudEvents id)."""
    wanted = set(spec.subjects)
    seen: set[str] = set()
    events = []
    async for event in read_range(js, spec.stream, f"ocop.{spec.source}.>", since, until):
        if event.subject in wanted and event.event_id and event.event_id not in seen:
            seen.add(event.event_id)
            events.append(event)
        if progress:
            progress(event)
    return events


async def forget_in_inbox(engine: AsyncEngine, durable: str, events: list[StoredEvent]) -> int:
    """Delete the consumer's inbox rows of these events, so it processes them again."""
    ids = [e.event_id for e in events if e.event_id]
    deleted = 0
    async with engine.begin() as conn:
        for start in range(0, len(ids), 1000):
            result = await conn.execute(delete(INBOX).where(
                INBOX.c.consumer == durable, INBOX.c.event_id.in_(ids[start:start + 1000])))
            deleted += result.rowcount or 0
    return deleted


async def publish_copy(js: JetStreamContext, event: StoredEvent) -> None:
    headers = dict(event.headers)
    headers[MSG_ID_HEADER] = fresh_msg_id("replay", event.event_id)
    await js.publish(event.subject, event.data, headers=headers)


# --- republish the outbox ---------------------------------------------------------------

def _published_between(since: datetime, until: datetime | None) -> list:
    conditions = [OUTBOX.c.published_at.is_not(None), OUTBOX.c.published_at >= since]
    if until is not None:
        conditions.append(OUTBOX.c.published_at <= until)
    return conditions


async def count_published(engine: AsyncEngine, since: datetime, until: datetime | None) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(OUTBOX).where(
            *_published_between(since, until)))).scalar_one()


async def republish_outbox(engine: AsyncEngine, js: JetStreamContext, service: str,
                           since: datetime, until: datetime | None, *, batch: int = 500,
                           progress: Callable[[bool], None] | None = None) -> dict[str, int]:
    """Re-send the service's outbox rows published in [since, until], in order of writing,
    with their original Nats-Msg-Id; counts of sent (stored anew) and duplicates (dropped
    by JetStream's duplicate window)."""
    source = f"/ocop/{service}"
    sent = duplicates = 0
    last_seq = 0
    while True:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                select(OUTBOX).where(*_published_between(since, until), OUTBOX.c.seq > last_seq)
                .order_by(OUTBOX.c.seq).limit(batch))).all()
        if not rows:
            return {"sent": sent, "duplicates": duplicates}
        for row in rows:
            ack = await js.publish(
                row.subject, json.dumps(row.payload, ensure_ascii=False).encode(),
                headers=envelope_of(row, source).to_headers())
            if ack.duplicate:
                duplicates += 1
            else:
                sent += 1
            if progress:
                progress(bool(ack.duplicate))
            last_seq = row.seq
