"""The raw baseline: the same work with asyncpg and nats-py only, no framework.

RawPublisher (process A) runs the producers and the relay, RawConsumer (process B) the consumer:
- producers: one outbox row per transaction (asyncpg pool, same concurrency, no reset query on
  release, like SQLAlchemy's pool after a commit);
- relay: SELECT unpublished rows FOR UPDATE SKIP LOCKED in batches of the framework's size,
  publish them concurrently (asyncio.gather) with Nats-Msg-Id and the same CloudEvents
  headers, mark them published, commit; woken by LISTEN/NOTIFY (the same trigger), polling as
  a fallback with the same period;
- consumer: pull subscription on a durable, fetch(batch=<same>, timeout=5), one transaction
  per fetched batch inserting the inbox rows (ON CONFLICT DO NOTHING RETURNING) and the effect
  rows (one statement per batch; one per event with --raw-per-event-effects), commit, then ack
  each.

Its stream and durable are its own (BENCH_RAW / bench_raw) with the framework's settings, so
the two paths never share messages. Schema setup is not measured and reuses bench_metadata.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import nats
from bench_common import (
    CONSUMER_BATCH_SIZE,
    FETCH_TIMEOUT_SECONDS,
    OUTBOX_BATCH_SIZE,
    OUTBOX_POLL_SECONDS,
    RAW_DURABLE,
    RAW_SOURCE,
    RAW_STREAM,
    RAW_STREAM_SUBJECTS,
    RAW_SUBJECT,
    BenchPing,
    PathConfig,
    Recorder,
    now,
    plain_dsn,
)
from nats.js import api
from nats.js.errors import NotFoundError
from ocop_shared.messaging.tables import OUTBOX_CHANNEL
from ocop_shared.messaging.topology import DUPLICATE_WINDOW_SECONDS, MAX_AGE_SECONDS

EVENT_TYPE = BenchPing.event_type()

INSERT_OUTBOX = """
INSERT INTO outbox (id, subject, type, entity_id, payload, correlation_id, causation_id,
                    created_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
"""
SELECT_PENDING = """
SELECT seq, id, subject, type, entity_id, payload::text AS payload, correlation_id,
       causation_id, created_at
FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
"""
MARK_PUBLISHED = "UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])"
MARK_FAILED = "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1"
INSERT_INBOX = """
INSERT INTO inbox (consumer, event_id, event_type)
SELECT $1, e, t FROM unnest($2::uuid[], $3::text[]) AS u(e, t)
ON CONFLICT DO NOTHING RETURNING event_id
"""
INSERT_EFFECTS = """
INSERT INTO bench_effect (seq, event_id) SELECT * FROM unnest($1::bigint[], $2::uuid[])
"""
INSERT_EFFECT = "INSERT INTO bench_effect (seq, event_id) VALUES ($1, $2)"


class RawPublisher:
    """Process A of the raw path: producers and relay."""

    def __init__(self, cfg: PathConfig) -> None:
        self.cfg = cfg
        self.db = plain_dsn(cfg.producer_db)
        self._wake = asyncio.Event()

    async def setup(self) -> None:
        # Pool capped like the framework's engine (pool_size 10 + max_overflow 10).
        self.pool = await asyncpg.create_pool(
            self.db, min_size=min(self.cfg.producers + 1, 20), max_size=20, reset=_keep_session
        )
        self.listen_conn = await asyncpg.connect(self.db)
        await self.listen_conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
        self.nc = await nats.connect(self.cfg.nats_url, name="bench-raw-registry")
        self.js = self.nc.jetstream()
        self.task = asyncio.create_task(self._relay(), name="raw-relay")

    async def produce(self, seq: int) -> float:
        """One transaction writing one outbox row; returns its commit time."""
        event_id = uuid.uuid4()
        payload = json.dumps({"seq": seq, "sent_at": time.time()})
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                await conn.execute(
                    INSERT_OUTBOX, event_id, RAW_SUBJECT, EVENT_TYPE, None, payload,
                    uuid.uuid4().hex, None, datetime.now(UTC),
                )
            return now()

    async def _relay(self) -> None:
        self._wake.set()  # catch up on anything committed before we listened
        while True:
            try:
                published = await self._publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                print(f"raw relay error: {exc!r}", flush=True)
                await asyncio.sleep(0.5)
                continue
            if published < OUTBOX_BATCH_SIZE:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=OUTBOX_POLL_SECONDS)
                except TimeoutError:
                    pass
                self._wake.clear()

    async def _publish_pending(self) -> int:
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                rows = await conn.fetch(SELECT_PENDING, OUTBOX_BATCH_SIZE)
                if not rows:
                    return 0
                results = await asyncio.gather(
                    *(self._publish(row) for row in rows), return_exceptions=True
                )
                done = [row["seq"] for row, r in zip(rows, results, strict=True) if r is None]
                if done:
                    await conn.execute(MARK_PUBLISHED, done)
                for row, r in zip(rows, results, strict=True):
                    if r is not None:
                        await conn.execute(MARK_FAILED, row["seq"], repr(r)[:2000])
        return len(done)

    async def _publish(self, row: asyncpg.Record) -> None:
        event_id = str(row["id"])
        headers = {
            "Nats-Msg-Id": event_id,
            "content-type": "application/json",
            "ce-id": event_id,
            "ce-source": RAW_SOURCE,
            "ce-type": row["type"],
            "ce-time": row["created_at"].isoformat(),
            "ce-specversion": "1.0",
            "ce-correlationid": row["correlation_id"],
        }
        if row["entity_id"] is not None:
            headers["ce-subject"] = row["entity_id"]
        if row["causation_id"] is not None:
            headers["ce-causationid"] = row["causation_id"]
        await self.js.publish(
            row["subject"], row["payload"].encode(), timeout=5.0, headers=headers
        )

    async def teardown(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.nc.close()
        await self.listen_conn.close()
        await self.pool.close()


class RawConsumer:
    """Process B of the raw path: one transaction per fetched batch."""

    def __init__(self, cfg: PathConfig) -> None:
        self.cfg = cfg
        self.recorder = Recorder()

    async def setup(self) -> None:
        self.pool = await asyncpg.create_pool(
            plain_dsn(self.cfg.consumer_db), min_size=1, max_size=20, reset=_keep_session
        )
        self.nc = await nats.connect(self.cfg.nats_url, name="bench-raw-evaluation")
        js = self.nc.jetstream()
        await _ensure_stream_and_consumer(js)
        self.psub = await js.pull_subscribe_bind(durable=RAW_DURABLE, stream=RAW_STREAM)
        self.task = asyncio.create_task(self._consume(), name="raw-consumer")

    async def _consume(self) -> None:
        while True:
            try:
                msgs = await self.psub.fetch(CONSUMER_BATCH_SIZE, timeout=FETCH_TIMEOUT_SECONDS)
            except TimeoutError:  # nats' own and asyncio's
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                print(f"raw consumer fetch error: {exc!r}", flush=True)
                await asyncio.sleep(1.0)
                continue
            try:
                await self._handle(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - left unacked: JetStream redelivers
                print(f"raw consumer error: {exc!r}", flush=True)

    async def _handle(self, msgs: list) -> None:
        ids: list[uuid.UUID] = []
        types: list[str] = []
        seqs: list[int] = []
        for msg in msgs:
            ids.append(uuid.UUID(msg.headers["ce-id"]))
            types.append(msg.headers["ce-type"])
            seqs.append(json.loads(msg.data)["seq"])
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                fresh = {r[0] for r in await conn.fetch(INSERT_INBOX, RAW_DURABLE, ids, types)}
                eff_seqs, eff_ids = [], []
                for event_id, seq in zip(ids, seqs, strict=True):
                    if event_id in fresh:
                        fresh.discard(event_id)  # a copy later in the batch is a duplicate
                        eff_seqs.append(seq)
                        eff_ids.append(event_id)
                if self.cfg.per_event_effects:
                    for seq, event_id in zip(eff_seqs, eff_ids, strict=True):
                        await conn.execute(INSERT_EFFECT, seq, event_id)
                elif eff_seqs:
                    await conn.execute(INSERT_EFFECTS, eff_seqs, eff_ids)
            if eff_seqs:
                self.recorder.committed(eff_seqs, now())
        await asyncio.gather(*(msg.ack() for msg in msgs), return_exceptions=True)

    async def teardown(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.nc.close()
        await self.pool.close()


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """Pool release without asyncpg's default reset query (RESET ALL, UNLISTEN *, ...: one more
    round trip per transaction). asyncpg still rolls back a transaction left open; SQLAlchemy's
    pool likewise skips its reset after a committed transaction, so both paths do the same
    round trips."""


async def _ensure_stream_and_consumer(js) -> None:  # noqa: ANN001
    """The raw stream and durable, with the settings `Topology`/`ConsumerSpec` give the
    framework's (file storage, 2 h duplicate window, explicit ack, same limits)."""
    stream = api.StreamConfig(
        name=RAW_STREAM, subjects=RAW_STREAM_SUBJECTS, retention=api.RetentionPolicy.LIMITS,
        storage=api.StorageType.FILE, num_replicas=1, duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=MAX_AGE_SECONDS, discard=api.DiscardPolicy.OLD,
    )
    try:
        await js.stream_info(RAW_STREAM)
        await js.update_stream(stream)
    except NotFoundError:
        await js.add_stream(stream)
    await js.add_consumer(RAW_STREAM, api.ConsumerConfig(
        durable_name=RAW_DURABLE, deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT, ack_wait=30.0, max_deliver=5, max_ack_pending=2000,
        filter_subjects=[RAW_SUBJECT],
    ))
