"""The operator CLI `ocop` against a real JetStream and real PostgreSQL, run as operators run it
(a subprocess: `python -m ocop_shared.ops --config ops.toml ...`), with the real notifications
service running in the test's event loop to produce and consume real state."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import nats
import pytest
from ocop_evaluation.bootstrap import MIGRATIONS as EVALUATION_MIGRATIONS
from ocop_notifications.adapters.tables import recipients
from ocop_notifications.bootstrap import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from ocop_notifications.bootstrap import build_definition as notifications_definition
from ocop_notifications.settings import NotificationsSettings
from ocop_registry.bootstrap import MIGRATIONS as REGISTRY_MIGRATIONS
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from ocop_shared.contracts.registry import ProducerRegistered, ProductSubmittedForEvaluation
from ocop_shared.db import async_url
from ocop_shared.embedded.ports import free_ports
from ocop_shared.messaging.outbox import Outbox, OutboxRelay
from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.ops.events import intersect
from ocop_shared.testing.services import publish_event, running, settings_for_test

OUTBOX, INBOX, DEAD_LETTER = messaging_tables(MetaData())


# --- helpers ---------------------------------------------------------------------------------

def write_config(tmp_path: Path, nats_url: str, databases: dict[str, str]) -> Path:
    """An ops.toml naming the test's NATS and databases; every HTTP URL is a closed port."""
    ports = free_ports(4)
    lines = [f'nats_url = "{nats_url}"']
    for port, service in zip(ports, ("registry", "evaluation", "promotion", "notifications"),
                             strict=True):
        lines.append(f"[services.{service}]")
        lines.append(f'http_url = "http://127.0.0.1:{port}"')
        if service in databases:
            lines.append(f'database_url = "{databases[service]}"')
    path = tmp_path / f"ops-{uuid.uuid4().hex[:6]}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def ocop(config: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI as a process; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocop_shared.ops", "--config", str(config), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "250", "OCOP_CONFIG": ""},
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


async def ocop_ok(config: Path, *args: str) -> str:
    code, out, err = await ocop(config, *args)
    assert code == 0, f"ocop {' '.join(args)} exited {code}\nstdout: {out}\nstderr: {err}"
    return out


async def eventually(check, within: float = 30.0):  # noqa: ANN001, ANN201
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(0.1)


async def scalar(url: str, query):  # noqa: ANN001, ANN201
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar()
    finally:
        await engine.dispose()


async def consumer_drained(nats_url: str, stream: str, durable: str) -> bool:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(stream, durable)
    finally:
        await nc.close()
    return info.num_pending == 0 and info.num_ack_pending == 0


def producer(n: int) -> ProducerRegistered:
    return ProducerRegistered(producer_id=uuid.uuid4(), name=f"HTX số {n}", kind="cooperative",
                              province_code="01", email=f"htx{n}@example.vn")


def submitted(n: int) -> ProductSubmittedForEvaluation:
    return ProductSubmittedForEvaluation(
        product_id=uuid.uuid4(), product_code=f"P-{n}", producer_id=uuid.uuid4(),
        product_name=f"Chè {n}", province_code="01", product_set="food",
        submitted_on=date(2026, 11, 20))


def notifications_settings(url: str, nats_url: str, **overrides: object) -> NotificationsSettings:
    return settings_for_test(url, nats_url, cls=NotificationsSettings, smtp_port=9,
                             retry_base_seconds=3600.0, send_timeout_seconds=0.5, **overrides)


# --- tests -----------------------------------------------------------------------------------

def test_subject_filters_reach_the_right_streams() -> None:
    assert intersect("ocop.>", "ocop.registry.>") == "ocop.registry.>"
    assert intersect("ocop.*.product.>", "ocop.registry.>") == "ocop.registry.product.>"
    assert intersect("ocop.evaluation.>", "ocop.registry.>") is None


async def test_status_shows_a_consumers_lag(jetstream, databases, postgres_server,
                                            tmp_path) -> None:
    evaluation_db = await databases.fresh("evaluation", EVALUATION_MIGRATIONS)
    missing_db = postgres_server.url(f"missing_{uuid.uuid4().hex[:8]}")
    config = write_config(tmp_path, jetstream, {"evaluation": evaluation_db,
                                                "promotion": missing_db})
    for n in range(5):  # no evaluation service runs: its consumer of registry lags by 5
        await publish_event(jetstream, submitted(n))

    report = json.loads(await ocop_ok(config, "status", "--json"))

    by_name = {s["service"]: s for s in report["services"]}
    evaluation = by_name["evaluation"]
    lagging = [c for c in evaluation["consumers"] if c["source"] == "registry"]
    assert lagging[0]["durable"] == "evaluation" and lagging[0]["stream"] == "OCOP_REGISTRY"
    assert lagging[0]["num_pending"] == 5
    assert lagging[0]["num_ack_pending"] == 0 and lagging[0]["num_redelivered"] == 0
    assert by_name["registry"]["stream"]["messages"] == 5
    assert evaluation["http"]["status"] == "unreachable"
    assert evaluation["database"] == {"outbox_backlog": 0, "outbox_oldest_age_seconds": None,
                                      "dead_letters": 0}
    assert "database unreachable" in by_name["promotion"]["database"]["error"]

    table = await ocop_ok(config, "status")
    assert "Durable consumers" in table and "OCOP_REGISTRY" in table and "unreachable" in table


async def test_poisoned_event_is_listed_and_replayed_once_fixed(
        jetstream, databases, tmp_path) -> None:
    url = await databases.fresh("notifications", NOTIFICATIONS_MIGRATIONS)
    config = write_config(tmp_path, jetstream, {"notifications": url})
    definition = notifications_definition()
    real_handler = definition.handlers[ProducerRegistered]
    fault = {"on": True}
    handled: list[uuid.UUID] = []

    async def directory_with_a_fault(session, event, env):  # noqa: ANN001, ANN202
        if fault["on"]:
            raise RuntimeError("producer directory unavailable: disk quota exceeded")
        await real_handler(session, event, env)
        handled.append(env.id)

    definition.handlers[ProducerRegistered] = directory_with_a_fault
    settings = notifications_settings(url, jetstream, consumer_max_deliver=2)
    async with running(definition, settings):
        event = producer(1)
        envelope = await publish_event(jetstream, event)
        dead = select(func.count()).select_from(DEAD_LETTER)
        await eventually(lambda: _equals(scalar(url, dead), 1))

        listed = json.loads(await ocop_ok(config, "dlq", "list", "--service", "notifications",
                                          "--json"))
        assert len(listed) == 1
        letter = listed[0]
        assert letter["consumer"] == "notifications"
        assert letter["event_type"] == ProducerRegistered.event_type()
        assert letter["event_id"] == str(envelope.id) and letter["deliveries"] == 2
        assert "disk quota exceeded" in letter["error"] and letter["replayed_at"] is None
        table = await ocop_ok(config, "dlq", "list")  # every service (others unreachable)
        assert "RuntimeError: producer directory unavailable" in table
        shown = await ocop_ok(config, "dlq", "show", str(letter["id"]), "-s", "notifications")
        assert "disk quota exceeded" in shown and str(event.producer_id) in shown

        fault["on"] = False
        await ocop_ok(config, "dlq", "replay", str(letter["id"]), "--service", "notifications")

        recipient = select(func.count()).select_from(recipients).where(
            recipients.c.email == "htx1@example.vn")
        await eventually(lambda: _equals(scalar(url, recipient), 1))
        await eventually(lambda: consumer_drained(jetstream, "OCOP_REGISTRY", "notifications"))
        assert handled == [envelope.id]
        inbox_rows = select(func.count()).select_from(INBOX).where(
            INBOX.c.consumer == "notifications", INBOX.c.event_id == envelope.id)
        assert await scalar(url, inbox_rows) == 1

        after = json.loads(await ocop_ok(config, "dlq", "list", "-s", "notifications",
                                         "--replayed", "--json"))
        assert after[0]["replayed_at"] is not None
        assert json.loads(await ocop_ok(config, "dlq", "list", "-s", "notifications",
                                        "--json")) == []
        code, _, err = await ocop(config, "dlq", "replay", str(letter["id"]), "-s",
                                  "notifications")
        assert code == 1 and "already replayed" in err
        await ocop_ok(config, "dlq", "drop", str(letter["id"]), "-s", "notifications", "--yes")
        assert await scalar(url, dead) == 0


async def test_republish_after_the_broker_lost_a_stream(jetstream, databases, tmp_path) -> None:
    registry_db = await databases.fresh("registry", REGISTRY_MIGRATIONS)
    notifications_db = await databases.fresh("notifications", NOTIFICATIONS_MIGRATIONS)
    config = write_config(tmp_path, jetstream, {"registry": registry_db,
                                                "notifications": notifications_db})
    since = datetime.now(UTC) - timedelta(seconds=1)
    engine = create_async_engine(async_url(registry_db))
    nc = await nats.connect(jetstream)
    try:
        js = nc.jetstream()
        outbox = Outbox(OUTBOX, source="/ocop/registry")
        async with engine.begin() as conn:
            for n in range(6):
                await outbox.add(conn, producer(n))
        relay = OutboxRelay(engine=engine, table=OUTBOX, js=js, source="/ocop/registry")
        assert await relay.publish_pending() == 6  # acknowledged by JetStream ...

        await js.delete_stream("OCOP_REGISTRY")  # ... and lost by the broker

        planned = json.loads(await ocop_ok(config, "streams", "apply", "--dry-run", "--json"))
        assert {"kind": "stream", "name": "OCOP_REGISTRY", "action": "create", "diff": {}} \
            in planned["changes"] and planned["applied"] == []
        applied = json.loads(await ocop_ok(config, "streams", "apply", "--yes", "--json"))
        assert "stream OCOP_REGISTRY: created" in applied["applied"]
        assert "consumer OCOP_REGISTRY/notifications: created" in applied["applied"]
        again = json.loads(await ocop_ok(config, "streams", "apply", "--yes", "--json"))
        assert again == {"changes": [], "applied": []}
        assert "nothing to change" in await ocop_ok(config, "streams", "apply")

        sent = json.loads(await ocop_ok(config, "events", "republish", "--service", "registry",
                                        "--since", since.isoformat(), "--json"))
        assert sent == {"service": "registry", "sent": 6, "duplicates": 0}
        # within the duplicate window a second run stores nothing new
        twice = json.loads(await ocop_ok(config, "events", "republish", "-s", "registry",
                                         "--since", "1h", "--json"))
        assert twice == {"service": "registry", "sent": 0, "duplicates": 6}
        assert (await js.stream_info("OCOP_REGISTRY")).state.messages == 6

        tailed = await ocop_ok(config, "events", "tail", "--subject", "ocop.registry.>",
                               "--since", since.isoformat(), "--count", "3", "--json")
        lines = [json.loads(line) for line in tailed.splitlines()]
        assert [e["seq"] for e in lines] == [1, 2, 3]
        assert {e["type"] for e in lines} == {ProducerRegistered.event_type()}
        pretty = await ocop_ok(config, "events", "tail", "--since", since.isoformat(),
                               "--count", "1")
        assert ProducerRegistered.subject() in pretty and "HTX số 0" in pretty
    finally:
        await nc.close()
        await engine.dispose()

    settings = notifications_settings(notifications_db, jetstream,
                                      OCOP_OUTBOX_RETENTION_DAYS=3)
    async with running(notifications_definition(), settings) as svc:
        assert svc.runtime.relay.retention == timedelta(days=3)  # republishable that long
        directory = select(func.count()).select_from(recipients)
        await eventually(lambda: _equals(scalar(notifications_db, directory), 6))
        await eventually(lambda: consumer_drained(jetstream, "OCOP_REGISTRY", "notifications"))
        inbox = select(func.count()).select_from(INBOX).where(INBOX.c.consumer == "notifications")
        assert await scalar(notifications_db, inbox) == 6

        # rebuild notifications' projection from registry: its inbox rows go, copies come
        replayed = await ocop_ok(config, "events", "replay", "--service", "notifications",
                                 "--consumer-source", "registry", "--since", since.isoformat(),
                                 "--yes")
        assert "replayed 6 event(s)" in replayed
        await eventually(lambda: _equals(scalar(notifications_db, inbox), 6))
        await eventually(lambda: consumer_drained(jetstream, "OCOP_REGISTRY", "notifications"))
        assert await scalar(notifications_db, directory) == 6
        assert await scalar(notifications_db, inbox) == 6


async def test_db_migrate_brings_a_new_database_to_head(postgres_server, tmp_path) -> None:
    name = f"ops_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    config = write_config(tmp_path, "nats://127.0.0.1:1", {"notifications": url})
    try:
        out = await ocop_ok(config, "db", "migrate", "--service", "notifications")
        assert "notifications" in out
        tables = text("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                      "('outbox', 'inbox', 'dead_letter', 'recipients')")
        assert await scalar(url, tables) == 4
    finally:
        await postgres_server.drop_database(name)


async def test_every_command_documents_an_example(tmp_path) -> None:
    config = write_config(tmp_path, "nats://127.0.0.1:1", {})
    commands = [["status"], ["dlq", "list"], ["dlq", "show"], ["dlq", "replay"], ["dlq", "drop"],
                ["events", "tail"], ["events", "replay"], ["events", "republish"],
                ["streams", "apply"], ["db", "migrate"]]
    for command in commands:
        out = await ocop_ok(config, *command, "--help")
        assert "Example: ocop " in out, command


async def _equals(awaitable, expected) -> bool:  # noqa: ANN001
    return await awaitable == expected
