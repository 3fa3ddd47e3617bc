"""The framework path, wired the way ServiceRuntime wires a service (engine from
`ocop_shared.db.create_engine`, `engine.begin()` as the unit of work, topology through
`provision`):

- FrameworkPublisher (process A, the registry service): producers write one BenchPing each with
  `Outbox.add` in their own transaction, as `unit_of_work` does; `OutboxRelay` publishes;
- FrameworkConsumer (process B, the evaluation service): `EventConsumer` with one handler that
  inserts one effect row in the consumer's transaction.

The only bench wiring is on the consumer's engine, to time commits: the handler notes its seq
in the connection's `info`, and the engine's dialect `do_commit` is wrapped so that, once
PostgreSQL has acknowledged the COMMIT, exactly the seqs handled in that transaction are
stamped (`do_rollback` drops them). SQLAlchemy's `commit` engine event would not do: it fires
before the COMMIT is sent.
"""

from __future__ import annotations

import asyncio
import time

import nats
from bench_common import (
    BENCH_TOPOLOGY,
    CONSUMER_BATCH_SIZE,
    CONSUMER_RETRY_SECONDS,
    FRAMEWORK_SOURCE,
    FRAMEWORK_SPEC,
    OUTBOX_BATCH_SIZE,
    OUTBOX_POLL_SECONDS,
    BenchPing,
    PathConfig,
    Recorder,
    bench_metadata,
    now,
)
from ocop_shared.contracts import Envelope
from ocop_shared.db import create_engine
from ocop_shared.messaging.consumer import EventConsumer
from ocop_shared.messaging.outbox import Outbox, OutboxRelay
from ocop_shared.messaging.topology import provision
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

PENDING = "bench_pending"  # conn.info key: (seq, event id) handled in the open transaction


class FrameworkPublisher:
    def __init__(self, cfg: PathConfig) -> None:
        self.cfg = cfg
        _, self.table, _, _, _ = bench_metadata()

    async def setup(self) -> None:
        self.engine = create_engine(self.cfg.producer_db)
        self.nc = await nats.connect(self.cfg.nats_url, name="bench-fw-registry")
        self.outbox = Outbox(self.table, source=FRAMEWORK_SOURCE)
        relay = OutboxRelay(
            engine=self.engine, table=self.table, js=self.nc.jetstream(),
            source=FRAMEWORK_SOURCE, batch_size=OUTBOX_BATCH_SIZE,
            poll_seconds=OUTBOX_POLL_SECONDS,
        )
        self.task = asyncio.create_task(relay.run(), name="fw-relay")

    async def produce(self, seq: int) -> float:
        """One business transaction writing one event; returns its commit time."""
        async with self.engine.begin() as conn:
            await self.outbox.add(conn, BenchPing(seq=seq, sent_at=time.time()))
        return now()

    async def teardown(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.nc.close()
        await self.engine.dispose()


class FrameworkConsumer:
    def __init__(self, cfg: PathConfig) -> None:
        self.cfg = cfg
        self.recorder = Recorder()
        _, _, self.inbox, self.dead_letter, effect = bench_metadata()
        self.effect_insert = insert(effect)  # built once, as a handler should

    async def setup(self) -> None:
        self.engine = create_engine(self.cfg.consumer_db)
        _stamp_commits(self.engine, self.recorder)
        self.nc = await nats.connect(self.cfg.nats_url, name="bench-fw-evaluation")
        js = self.nc.jetstream()
        await provision(js, BENCH_TOPOLOGY)
        handler, consumer_class = self._handle, EventConsumer
        if self.cfg.batched_effects:
            handler, consumer_class = self._note_only, BatchedEffectsConsumer
        consumer = consumer_class(
            spec=FRAMEWORK_SPEC, js=js, engine=self.engine, inbox=self.inbox,
            dead_letter=self.dead_letter, handlers={BenchPing: handler},
            batch_size=CONSUMER_BATCH_SIZE, retry_base_seconds=CONSUMER_RETRY_SECONDS,
        )
        consumer.effect_insert = self.effect_insert
        self.task = asyncio.create_task(consumer.run(), name="fw-consumer")

    async def _handle(self, conn: AsyncConnection, ev: BenchPing, envelope: Envelope) -> None:
        """The trivial handler: one effect row, in the consumer's transaction."""
        await conn.execute(self.effect_insert, {"seq": ev.seq, "event_id": envelope.id})
        conn.info.setdefault(PENDING, []).append((ev.seq, envelope.id))

    async def _note_only(self, conn: AsyncConnection, ev: BenchPing, envelope: Envelope) -> None:
        """What-if batched-effects: the row is written by BatchedEffectsConsumer."""
        conn.info.setdefault(PENDING, []).append((ev.seq, envelope.id))

    async def teardown(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.nc.close()
        await self.engine.dispose()


class BatchedEffectsConsumer(EventConsumer):
    """What-if batched-effects (--whatif batched-effects): after the handlers ran, the batch's
    effect rows go in with one executemany, in the same transaction (what a batch-aware
    handler API would allow)."""

    effect_insert = None

    async def _apply(self, conn, items) -> None:  # noqa: ANN001
        await super()._apply(conn, items)
        rows = conn.info.get(PENDING)
        if rows:
            await conn.execute(self.effect_insert,
                               [{"seq": seq, "event_id": event_id} for seq, event_id in rows])


def _stamp_commits(engine: AsyncEngine, recorder: Recorder) -> None:
    """Record the commit time of the seqs noted in a transaction, once its COMMIT returned.
    `conn.info` is the pooled DBAPI connection's, the same object `do_commit` receives."""
    dialect = engine.sync_engine.dialect  # this engine's own instance
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def commit(dbapi_connection) -> None:  # noqa: ANN001
        pending = dbapi_connection.info.pop(PENDING, None)
        do_commit(dbapi_connection)  # raises if the commit failed: nothing is stamped
        if pending:
            recorder.committed([seq for seq, _ in pending], now())

    def rollback(dbapi_connection) -> None:  # noqa: ANN001
        try:
            dbapi_connection.info.pop(PENDING, None)
        except NotImplementedError:  # the engine's first-connect check: no pooled info
            pass
        do_rollback(dbapi_connection)

    dialect.do_commit, dialect.do_rollback = commit, rollback
