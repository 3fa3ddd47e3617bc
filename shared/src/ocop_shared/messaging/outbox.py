"""Transactional outbox: events are rows written in the business transaction; a relay publishes
them to JetStream after commit, with `Nats-Msg-Id` = event id, until JetStream acknowledges.

Crash anywhere and nothing is lost: an unpublished row is picked up again by the next relay
run; a row published but not yet stamped is published again and JetStream's duplicate window
(and every consumer's inbox) drops the copy.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import structlog
from nats.js import JetStreamContext
from opentelemetry.trace import SpanKind
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..contracts import Envelope, Event
from ..correlation import causation_id_var, current_correlation_id
from ..observability.metrics import metrics_for, service_of_source
from ..observability.tracing import inject_traceparent, span
from .tables import OUTBOX_CHANNEL

log = structlog.get_logger("ocop.outbox")


class Outbox:
    """Writes events into a service's outbox table inside the caller's transaction."""

    def __init__(self, table: Table, *, source: str) -> None:
        self.table = table
        self.source = source
        # built once (the row goes as parameters); inline: no RETURNING of the new key
        self._insert = insert(table).inline()

    async def add(
        self,
        session: AsyncConnection,
        event: Event,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        envelope = Envelope.new(
            source=self.source,
            type=event.event_type(),
            subject=event.entity_id(),
            correlation_id=correlation_id or current_correlation_id(),
            causation_id=causation_id or causation_id_var.get(),
        )
        await session.execute(
            self._insert,
            {
                "id": envelope.id,
                "subject": event.subject(),
                "type": envelope.type,
                "entity_id": envelope.subject,
                "payload": event.model_dump(mode="json"),
                "correlation_id": envelope.correlation_id,
                "causation_id": envelope.causation_id,
                "created_at": envelope.time,
            },
        )
        return envelope


def envelope_of(row: object, source: str) -> Envelope:
    """Rebuild the envelope of an outbox row (the row is the source of truth)."""
    return Envelope(
        id=row.id,
        source=source,
        type=row.type,
        time=row.created_at,
        subject=row.entity_id,
        correlation_id=row.correlation_id,
        causation_id=row.causation_id,
    )


class OutboxRelay:
    """Publishes committed outbox rows in order of writing, wakes on NOTIFY, polls as a fallback,
    and deletes published rows after `retention` (kept so operators can republish them)."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        table: Table,
        js: JetStreamContext,
        source: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.engine = engine
        self.table = table
        self.js = js
        self.source = source
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.retention = retention
        self._wake = asyncio.Event()
        self.metrics = metrics_for(service_of_source(source))

    async def run(self) -> None:
        """Relay until cancelled. Errors (NATS or database down) back off and retry."""
        listener = asyncio.create_task(self._listen(), name="outbox-listen")
        backoff = 0.1
        last_purge = datetime.min.replace(tzinfo=UTC)
        try:
            while True:
                try:
                    published = await self.publish_pending()
                    backoff = 0.1
                    if datetime.now(UTC) - last_purge > timedelta(hours=1):
                        await self.purge_published()
                        last_purge = datetime.now(UTC)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                    log.warning("outbox.relay_error", error=repr(exc), retry_in=backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                if published < self.batch_size:
                    await self._wait_for_wake()
        finally:
            listener.cancel()

    async def _wait_for_wake(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that arrives as the wait ends, and the relay would then never stop
        try:
            async with asyncio.timeout(self.poll_seconds):
                await self._wake.wait()
        except TimeoutError:
            pass
        self._wake.clear()

    async def _listen(self) -> None:
        """LISTEN for commits of new outbox rows; reconnects; polling covers any gap."""
        while True:
            try:
                async with self.engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    await raw.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
                    self._wake.set()  # catch up on anything committed before we listened
                    while not raw.is_closed():
                        await asyncio.sleep(self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - fall back to polling and retry
                log.info("outbox.listen_retry", error=repr(exc))
                await asyncio.sleep(1.0)

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many JetStream acknowledged."""
        t = self.table
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(t)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                self.metrics.published(0, 0, lag_seconds=0.0)
                return 0
            results = await asyncio.gather(
                *(self._publish(row) for row in rows), return_exceptions=True
            )
            done = [row.seq for row, r in zip(rows, results, strict=True) if r is None]
            failed = [(row, r) for row, r in zip(rows, results, strict=True) if r is not None]
            if done:
                await conn.execute(
                    update(t).where(t.c.seq.in_(done)).values(published_at=datetime.now(UTC))
                )
            for row, error in failed:
                await conn.execute(
                    update(t)
                    .where(t.c.seq == row.seq)
                    .values(attempts=t.c.attempts + 1, last_error=repr(error)[:2000])
                )
        lag = (datetime.now(UTC) - rows[0].created_at).total_seconds()
        self.metrics.published(len(done), len(failed), lag_seconds=lag)
        if failed:
            log.warning("outbox.publish_failed", failed=len(failed), error=repr(failed[0][1]))
            if not done:
                raise failed[0][1]
        return len(done)

    async def _publish(self, row: object) -> None:
        envelope = envelope_of(row, self.source)
        with span(service_of_source(self.source), f"{row.subject} publish",
                  correlation_id=row.correlation_id, kind=SpanKind.PRODUCER,
                  attributes={"messaging.message.id": str(row.id),
                              "messaging.destination.name": row.subject}):
            await self.js.publish(
                row.subject,
                json.dumps(row.payload, ensure_ascii=False).encode(),
                timeout=self.publish_timeout,
                headers=inject_traceparent(envelope.to_headers()),
            )

    async def purge_published(self) -> int:
        cutoff = datetime.now(UTC) - self.retention
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(self.table).where(self.table.c.published_at < cutoff)
            )
        return result.rowcount or 0
