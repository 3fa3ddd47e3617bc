"""Idempotent event consumers on JetStream durable pull consumers.

One fetch takes up to `batch_size` messages that are ready (it returns as soon as one is) and
handles them in ONE database transaction: an inbox row per (consumer, event id) and the
handlers' effects commit together, then the messages are acknowledged. A redelivered event
finds its inbox row and is acknowledged without effect.

If anything in the batch fails, the transaction rolls back and each message is retried alone in
its own transaction, so one bad message never holds up the others:
- a failing handler: `nak` with an exponential delay; on the last allowed delivery the message
  is written to `dead_letter` with its error and terminated;
- a message that cannot be decoded (no envelope, unknown type, invalid payload): dead-lettered
  at once, since no retry can fix it;
- if even the dead-letter write fails (database down) the message is left to JetStream, which
  gives up after `max_deliver` and emits a MAX_DELIVERIES advisory; `AdvisoryDeadLetters`
  stores those advisories durably and writes the dead letter once the database is back.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..contracts import Envelope, EnvelopeError, Event, event_class
from ..correlation import causation_id_var, correlation_id_var
from ..observability import metrics as m
from ..observability.tracing import span, trace_id_hex
from .topology import ConsumerSpec

log = structlog.get_logger("ocop.consumer")

Handler = Callable[[AsyncConnection, Any, Envelope], Awaitable[None]]
"""A handler gets the open session (its writes commit with the inbox row), the typed event
payload and the envelope. It raises to refuse the event (the message is retried).
Its only effects are writes through the session: a handler may run more than once for one
delivery (in its batch, then alone) and only a committed run counts. Work outside the
database (mail, webhooks) is recorded here and carried out by a worker reading those rows."""


class PoisonMessage(Exception):
    """A message no retry can fix (undecodable, unknown type, invalid payload)."""


@dataclass(frozen=True)
class Incoming:
    msg: Msg
    envelope: Envelope
    event: Event


def decode(msg: Msg) -> Incoming:
    try:
        envelope = Envelope.from_headers(msg.headers)
        model = event_class(envelope.type)
        event = model.model_validate_json(msg.data)
    except (EnvelopeError, KeyError, ValidationError, ValueError) as exc:
        raise PoisonMessage(str(exc)) from exc
    return Incoming(msg, envelope, event)


async def pull_forever(
    js: JetStreamContext,
    durable: str,
    stream: str,
    batch_size: int,
    handle: Callable[[list[Msg]], Awaitable[None]],
) -> None:
    """Bind to a provisioned durable pull consumer and hand each fetched batch to `handle`,
    until cancelled. A fetch returns as soon as a message is ready. Broker restarts and a
    missing consumer are waited out (and logged), never fatal."""
    psub = None
    name = f"{durable}@{stream}"
    while True:
        try:
            if psub is None:
                psub = await js.pull_subscribe_bind(durable=durable, stream=stream)
            msgs = await psub.fetch(batch_size, timeout=5)
        except TimeoutError:  # nats' own and asyncio's (both TimeoutError subclasses)
            continue
        except asyncio.CancelledError:
            raise
        except NotFoundError as exc:
            log.error("consumer.not_provisioned", consumer=name, error=repr(exc))
            psub = None
            await asyncio.sleep(2.0)
            continue
        except Exception as exc:  # noqa: BLE001 - broker restarts: reconnect and go on
            log.warning("consumer.fetch_error", consumer=name, error=repr(exc))
            await asyncio.sleep(1.0)
            continue
        await handle(msgs)


def retry_delay(base: float, deliveries: int, cap: float = 60.0) -> float:
    """Exponential backoff for the next delivery: base, 2*base, 4*base... capped."""
    return min(cap, base * 2 ** max(0, deliveries - 1))


class EventConsumer:
    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        js: JetStreamContext,
        engine: AsyncEngine,
        inbox: Table,
        dead_letter: Table,
        handlers: dict[type[Event], Handler],
        batch_size: int = 100,
        retry_base_seconds: float = 2.0,
    ) -> None:
        missing = [e.__name__ for e in spec.events if e not in handlers]
        if missing:
            raise ValueError(f"consumer {spec.durable}@{spec.stream}: no handler for {missing}")
        self.spec = spec
        self.js = js
        self.engine = engine
        self.inbox = inbox
        self.dead_letter = dead_letter
        self.handlers = handlers
        self.batch_size = batch_size
        self.retry_base_seconds = retry_base_seconds
        self.name = f"{spec.durable}@{spec.stream}"
        self.metrics = m.metrics_for(spec.service)
        self._outcomes: list[tuple[str, str]] = []  # (event type, outcome) until commit
        # built once: the batch's rows go as parameters, new ids come back
        self._inbox_insert = (
            pg_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
        )

    async def run(self) -> None:
        """Fetch and handle until cancelled; survives broker restarts and database outages."""
        await pull_forever(self.js, self.spec.durable, self.spec.stream, self.batch_size,
                           self.handle)

    async def handle(self, msgs: list[Msg]) -> None:
        """Handle one fetched batch: all in one transaction, or each alone if that fails."""
        good: list[Incoming] = []
        poison: list[tuple[Msg, str]] = []
        for msg in msgs:
            if msg.metadata.num_delivered > 1:
                self.metrics.redelivered(self.name, (msg.headers or {}).get("ce-type", "unknown"))
            try:
                good.append(decode(msg))
            except PoisonMessage as exc:
                poison.append((msg, f"undecodable message: {exc}"))
        for msg, error in poison:
            await self._dead_letter(msg, error, envelope=None)
        if not good:
            return
        if len(good) == 1:
            await self._handle_one(good[0])
            return
        self._outcomes.clear()
        try:
            async with self.engine.begin() as session:
                await self._apply(session, good)
        except Exception as exc:  # noqa: BLE001 - fall back to one transaction per message
            log.info("consumer.batch_failed", consumer=self.name, size=len(good), error=repr(exc))
            for item in good:
                await self._handle_one(item)
            return
        self._count_committed()
        await asyncio.gather(*(item.msg.ack() for item in good), return_exceptions=True)

    def _count_committed(self) -> None:
        """Count the outcomes `_apply` noted, once their transaction committed."""
        for event_type, outcome in self._outcomes:
            self.metrics.message(self.name, event_type, outcome)
        self._outcomes.clear()

    async def _apply(self, session: AsyncConnection, items: Iterable[Incoming]) -> None:
        items = list(items)
        rows = [
            {"consumer": self.spec.durable, "event_id": i.envelope.id, "event_type": i.envelope.type}
            for i in items
        ]
        result = await session.execute(self._inbox_insert, rows)
        fresh = set(result.scalars().all())
        for item in items:
            if item.envelope.id not in fresh:
                log.info("consumer.duplicate", consumer=self.name, event_id=str(item.envelope.id))
                self._outcomes.append((item.envelope.type, m.DUPLICATE))
                continue
            fresh.discard(item.envelope.id)  # a copy later in the same batch is a duplicate
            self._outcomes.append((item.envelope.type, m.PROCESSED))
            await self._call_handler(session, item)

    async def _call_handler(self, session: AsyncConnection, item: Incoming) -> None:
        env = item.envelope
        handler = self.handlers[type(item.event)]
        bound = structlog.contextvars.bound_contextvars(
            event_id=str(env.id), correlation_id=env.correlation_id,
            subject=item.msg.subject, event_type=env.type, consumer=self.name,
        )
        corr = correlation_id_var.set(env.correlation_id)
        cause = causation_id_var.set(str(env.id))
        started = time.perf_counter()
        try:
            with bound, span(
                self.spec.service, f"{env.type} process", correlation_id=env.correlation_id,
                kind=SpanKind.CONSUMER, headers=item.msg.headers,
                attributes={"messaging.consumer.group.name": self.name,
                            "messaging.message.id": str(env.id),
                            "messaging.destination.name": item.msg.subject},
            ):
                await handler(session, item.event, env)
                log.debug("consumer.handled")
        finally:
            self.metrics.handler_time(self.name, env.type, time.perf_counter() - started)
            correlation_id_var.reset(corr)
            causation_id_var.reset(cause)

    async def _handle_one(self, item: Incoming) -> None:
        self._outcomes.clear()
        try:
            async with self.engine.begin() as session:
                await self._apply(session, [item])
        except Exception as exc:  # noqa: BLE001 - decide between retry and dead letter
            deliveries = item.msg.metadata.num_delivered
            with structlog.contextvars.bound_contextvars(
                event_id=str(item.envelope.id), correlation_id=item.envelope.correlation_id,
                subject=item.msg.subject, consumer=self.name,
                trace_id=trace_id_hex(item.envelope.correlation_id),
            ):
                if deliveries >= self.spec.max_deliver:
                    log.error("consumer.giving_up", deliveries=deliveries, error=repr(exc))
                    await self._dead_letter(item.msg, _describe(exc), envelope=item.envelope)
                else:
                    self.metrics.message(self.name, item.envelope.type, m.FAILED)
                    delay = retry_delay(self.retry_base_seconds, deliveries)
                    log.warning("consumer.retry", deliveries=deliveries, delay=delay,
                                error=repr(exc))
                    await _quietly(item.msg.nak(delay=delay))
            return
        self._count_committed()
        await _quietly(item.msg.ack())

    async def _dead_letter(self, msg: Msg, error: str, envelope: Envelope | None) -> None:
        """Record the message in dead_letter and terminate it; if the write fails, leave it
        unacknowledged so JetStream redelivers it (or its advisory reaches the dead letters)."""
        try:
            async with self.engine.begin() as session:
                await record_dead_letter(
                    session, self.dead_letter, consumer=self.spec.durable, msg_subject=msg.subject,
                    headers=msg.headers or {}, data=msg.data, error=error,
                    deliveries=msg.metadata.num_delivered, stream_seq=msg.metadata.sequence.stream,
                    envelope=envelope,
                )
        except Exception as exc:  # noqa: BLE001
            log.error("consumer.dead_letter_failed", consumer=self.name, error=repr(exc))
            await _quietly(msg.nak(delay=self.retry_base_seconds))
            return
        log.error("consumer.dead_lettered", consumer=self.name, subject=msg.subject, error=error)
        event_type = envelope.type if envelope else (msg.headers or {}).get("ce-type", "unknown")
        self.metrics.message(self.name, event_type, m.DEAD_LETTERED)
        await _quietly(msg.term())


async def record_dead_letter(
    session: AsyncConnection,
    table: Table,
    *,
    consumer: str,
    msg_subject: str,
    headers: dict[str, str],
    data: bytes,
    error: str,
    deliveries: int,
    stream_seq: int | None,
    envelope: Envelope | None = None,
) -> None:
    event_id = envelope.id if envelope else _uuid_or_none(headers.get("ce-id"))
    await session.execute(
        insert(table).values(
            consumer=consumer,
            event_id=event_id,
            event_type=envelope.type if envelope else headers.get("ce-type"),
            subject=msg_subject,
            headers=dict(headers),
            payload=data.decode("utf-8", errors="replace"),
            error=error[:10_000],
            deliveries=deliveries,
            stream_seq=stream_seq,
        )
    )


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _quietly(aw: Awaitable[None]) -> None:
    """Ack/nak/term are best effort: if the connection is gone JetStream redelivers."""
    try:
        await aw
    except Exception as exc:  # noqa: BLE001
        log.warning("consumer.ack_failed", error=repr(exc))


__all__ = ["EventConsumer", "Handler", "PoisonMessage", "decode", "pull_forever",
           "record_dead_letter", "retry_delay"]
