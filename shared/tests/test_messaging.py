"""The messaging core against a real JetStream and real PostgreSQL: outbox -> relay ->
JetStream -> idempotent consumer, and what happens when things fail.

A throw-away publisher ("registry" side) and consumer ("promotion" side) are wired through the
real ServiceRuntime; the consumer's handler writes one effect row per call, with no unique
key, so a doubled effect would show as two rows."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import nats
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import create_async_engine

from ocop_shared.contracts import Envelope, Event
from ocop_shared.db import async_url
from ocop_shared.messaging.tables import NOTIFY_TRIGGER_SQL, messaging_tables
from ocop_shared.messaging.topology import ConsumerSpec, Topology, provision
from ocop_shared.runtime import MessagingTables, ServiceDefinition, ServiceRuntime
from ocop_shared.testing.services import settings_for_test


class Ping(Event, service="registry", entity="test-ping"):
    """Test-only event; not part of the published catalogue."""

    id: uuid.UUID
    n: int
    fail_times: int = 0
    poison: bool = False


TOPOLOGY = Topology(
    consumers=(ConsumerSpec("promotion", "registry", (Ping,)),),
    services=("registry",),
)


def _schema() -> tuple[MetaData, MessagingTables, Table]:
    metadata = MetaData()
    tables = MessagingTables(*messaging_tables(metadata))
    effects = Table(
        "effects", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("n", Integer, nullable=False),
        Column("note", String(50)),
    )
    return metadata, tables, effects


class Side:
    """One side of the pipe: its own database, definition and (when started) runtime."""

    def __init__(self, name: str, url: str) -> None:
        self.metadata, self.tables, self.effects = _schema()
        self.url = url
        self.attempts: dict[int, int] = {}
        self.definition = ServiceDefinition(
            name=name, version="0", metadata=self.metadata, tables=self.tables,
            migrations_dir=Path("."), handlers={Ping: self.handle},
        )
        self.runtime: ServiceRuntime | None = None

    async def handle(self, session, event: Ping, env: Envelope) -> None:
        self.attempts[event.n] = self.attempts.get(event.n, 0) + 1
        if event.poison:
            raise ValueError(f"ping {event.n} can never be handled")
        if self.attempts[event.n] <= event.fail_times:
            raise ConnectionError(f"transient failure {self.attempts[event.n]} of ping {event.n}")
        await session.execute(insert(self.effects).values(event_id=env.id, n=event.n))

    async def create_schema(self) -> None:
        engine = create_async_engine(async_url(self.url))
        async with engine.begin() as conn:
            await conn.run_sync(self.metadata.create_all)
            for statement in NOTIFY_TRIGGER_SQL:
                await conn.execute(text(statement))
        await engine.dispose()

    async def start(self, nats_url: str, **settings: object) -> ServiceRuntime:
        self.runtime = ServiceRuntime(
            self.definition, settings_for_test(self.url, nats_url, **settings),
            topology=TOPOLOGY,
        )
        await self.runtime.start()
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    async def scalar(self, query):  # noqa: ANN001, ANN201
        engine = create_async_engine(async_url(self.url))
        try:
            async with engine.connect() as conn:
                return (await conn.execute(query)).scalar()
        finally:
            await engine.dispose()

    async def effect_count(self, n: int | None = None) -> int:
        query = select(func.count()).select_from(self.effects)
        if n is not None:
            query = query.where(self.effects.c.n == n)
        return await self.scalar(query)


@pytest.fixture
async def pipe(postgres_server, jetstream):
    """(publisher, consumer, nats_url) with fresh databases; both stopped afterwards."""
    nc = await nats.connect(jetstream)
    await provision(nc.jetstream(), TOPOLOGY)
    await nc.close()
    sides = []
    for name in ("registry", "promotion"):
        db = f"msg_{name}_{uuid.uuid4().hex[:8]}"
        await postgres_server.create_database(db)
        side = Side(name, postgres_server.url(db))
        await side.create_schema()
        sides.append(side)
    yield sides[0], sides[1], jetstream
    for side in sides:
        await side.stop()


async def write_pings(side: Side, pings: list[Ping]) -> None:
    """Commit pings through the publisher's outbox, as a command would."""
    engine = create_async_engine(async_url(side.url))
    outbox = side.definition.outbox()
    async with engine.begin() as conn:
        for ping in pings:
            await outbox.add(conn, ping)
    await engine.dispose()


async def eventually(check, timeout: float = 20.0):  # noqa: ANN001, ANN201
    """Poll `check()` until it returns a truthy value; return it (or fail after timeout)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(0.1)


def pings(count: int, **fields: object) -> list[Ping]:
    return [Ping(id=uuid.uuid4(), n=i, **fields) for i in range(count)]


async def test_events_flow_exactly_once(pipe) -> None:
    publisher, consumer, url = pipe
    await publisher.start(url)
    await consumer.start(url)
    await write_pings(publisher, pings(50))
    await eventually(lambda: _equals(consumer.effect_count(), 50))
    unpublished = await publisher.scalar(
        text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    )
    assert unpublished == 0
    assert await consumer.scalar(text("SELECT count(*) FROM inbox")) == 50
    await asyncio.sleep(1.0)  # nothing more arrives later
    assert await consumer.effect_count() == 50


async def test_relay_dead_after_commit_event_still_arrives_once(pipe) -> None:
    """(1) Events committed while no relay runs (it died after the commit, before the publish)
    are published when a relay comes back; one that was published but not yet stamped is
    published again, and JetStream's duplicate window plus the inbox keep one effect."""
    publisher, consumer, url = pipe
    await consumer.start(url)
    batch = pings(10)
    await write_pings(publisher, batch)  # committed; no relay is running
    # the dead relay had already published the first row but not stamped it
    engine = create_async_engine(async_url(publisher.url))
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM outbox ORDER BY seq LIMIT 1"))).one()
    await engine.dispose()
    env = Envelope(id=row.id, source="/ocop/registry", type=row.type, time=row.created_at,
                   subject=row.entity_id, correlation_id=row.correlation_id)
    nc = await nats.connect(url)
    await nc.jetstream().publish(row.subject, json.dumps(row.payload).encode(),
                                 headers=env.to_headers())
    await nc.close()
    await eventually(lambda: _equals(consumer.effect_count(), 1))
    assert await consumer.effect_count() == 1  # only the one published so far
    await publisher.start(url)  # the relay is back
    await eventually(lambda: _equals(consumer.effect_count(), 10))
    await asyncio.sleep(1.0)
    assert await consumer.effect_count() == 10
    for ping in batch:
        assert await consumer.effect_count(ping.n) == 1


async def test_same_event_delivered_twice_has_one_effect(pipe) -> None:
    """(2) A copy that escapes JetStream's duplicate window (another Nats-Msg-Id, the same
    CloudEvents id) is dropped by the consumer's inbox."""
    publisher, consumer, url = pipe
    await consumer.start(url)
    ping = Ping(id=uuid.uuid4(), n=7)
    env = Envelope.new(source="/ocop/registry", type=Ping.event_type(), subject=str(ping.id))
    nc = await nats.connect(url)
    js = nc.jetstream()
    for copy in range(3):
        headers = {**env.to_headers(), "Nats-Msg-Id": f"{env.id}-copy-{copy}"}
        await js.publish(Ping.subject(), ping.model_dump_json().encode(), headers=headers)
    await nc.close()
    await eventually(lambda: _equals(consumer.scalar(text("SELECT count(*) FROM inbox")), 1))
    await asyncio.sleep(1.5)
    assert await consumer.effect_count() == 1
    assert consumer.attempts[7] == 1


async def test_transient_failure_is_retried_then_processed(pipe) -> None:
    """(3) A handler that fails twice then succeeds: nak with delay, redelivered, one effect;
    the other events of the batch are not held back."""
    publisher, consumer, url = pipe
    await publisher.start(url)
    await consumer.start(url)
    flaky = Ping(id=uuid.uuid4(), n=100, fail_times=2)
    await write_pings(publisher, [*pings(5), flaky])
    await eventually(lambda: _equals(consumer.effect_count(), 5))
    await eventually(lambda: _equals(consumer.effect_count(100), 1))
    assert consumer.attempts[100] == 3
    assert await consumer.scalar(text("SELECT count(*) FROM dead_letter")) == 0
    assert await consumer.effect_count() == 6


async def test_poison_message_is_dead_lettered_and_others_flow(pipe) -> None:
    """(4) A message that always fails lands in dead_letter after max_deliver with its error;
    an undecodable one at once; later messages are still processed."""
    publisher, consumer, url = pipe
    await publisher.start(url)
    await consumer.start(url, consumer_max_deliver=3)
    await write_pings(publisher, [Ping(id=uuid.uuid4(), n=666, poison=True)])
    nc = await nats.connect(url)
    garbage = Envelope.new(source="/ocop/registry", type=Ping.event_type(), subject=None)
    await nc.jetstream().publish(Ping.subject(), b'{"not": "a ping"}',
                                 headers=garbage.to_headers())
    await nc.close()
    await write_pings(publisher, pings(20))

    await eventually(lambda: _equals(consumer.effect_count(), 20))
    await eventually(lambda: _equals(consumer.scalar(text("SELECT count(*) FROM dead_letter")),
                                     2))
    engine = create_async_engine(async_url(consumer.url))
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT error, deliveries, event_type FROM dead_letter ORDER BY deliveries"
        ))).all()
    await engine.dispose()
    undecodable, poison = rows
    assert "undecodable" in undecodable.error and undecodable.deliveries == 1
    assert "can never be handled" in poison.error and poison.deliveries == 3
    # each delivery may run the handler twice (in its batch, then alone): never committed
    assert 3 <= consumer.attempts[666] <= 6
    assert await consumer.effect_count(666) == 0


async def test_nats_restart_mid_flow_loses_and_doubles_nothing(pipe, nats_server) -> None:
    """(5) The broker stops while commands keep committing and restarts: every event arrives,
    none twice."""
    if not nats_server.supports_restart:
        pytest.skip("NATS comes from OCOP_TEST_NATS_URL: this test must restart it")
    publisher, consumer, url = pipe
    await publisher.start(url)
    await consumer.start(url)
    await write_pings(publisher, pings(100))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(nats_server.stop)
    after = [Ping(id=uuid.uuid4(), n=1000 + i) for i in range(100)]
    await write_pings(publisher, after)  # committed while the broker is down
    await asyncio.sleep(1.0)
    await asyncio.to_thread(nats_server.start)
    await eventually(lambda: _equals(consumer.effect_count(), 200), timeout=60)
    await asyncio.sleep(2.0)
    assert await consumer.effect_count() == 200
    duplicates = await consumer.scalar(text(
        "SELECT count(*) FROM (SELECT n FROM effects GROUP BY n HAVING count(*) > 1) d"
    ))
    assert duplicates == 0


async def _equals(awaitable, expected):  # noqa: ANN001, ANN202
    value = await awaitable
    return value == expected or None


async def test_max_deliveries_advisory_dead_letters_when_the_database_failed(pipe) -> None:
    """When even the dead-letter write fails on the last delivery, JetStream gives up by
    itself; its MAX_DELIVERIES advisory, kept in OCOP_ADVISORIES, is turned into a dead letter
    once the table is writable again, and only once."""
    publisher, consumer, url = pipe
    engine = create_async_engine(async_url(consumer.url))
    async with engine.begin() as conn:  # a real database failure for the dead-letter write
        await conn.execute(text("ALTER TABLE dead_letter RENAME TO dead_letter_away"))
    await publisher.start(url)
    await consumer.start(url, consumer_max_deliver=2)
    await write_pings(publisher, [Ping(id=uuid.uuid4(), n=13, poison=True)])
    await eventually(lambda: _at_least(lambda: consumer.attempts.get(13, 0), 2))
    await asyncio.sleep(1.5)  # JetStream gives up and announces it; recording fails for now
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE dead_letter_away RENAME TO dead_letter"))
    rows = await eventually(lambda: _dead_letters(engine), timeout=30)
    await asyncio.sleep(3.0)  # a redelivered advisory must not add a second row
    rows = await _dead_letters(engine)
    await engine.dispose()
    assert len(rows) == 1
    assert "JetStream gave up after 2 deliveries" in rows[0].error
    assert rows[0].consumer == "promotion" and rows[0].event_type == Ping.event_type()
    assert json.loads(rows[0].payload)["n"] == 13
    assert await consumer.effect_count() == 0


async def _dead_letters(engine):  # noqa: ANN001, ANN202
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT * FROM dead_letter"))).all()


async def _at_least(value, minimum):  # noqa: ANN001, ANN202
    return value() >= minimum or None
