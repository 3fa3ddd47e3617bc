"""The embedded servers are real servers: data survives restarts, processes go away on stop."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import StorageType

from ocop_shared.embedded.nats import EmbeddedNats
from ocop_shared.embedded.postgres import EmbeddedPostgres, database_url
from ocop_shared.testing.servers import NatsServer, PostgresServer


def _process_gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@pytest.mark.asyncio
async def test_nats_jetstream_message_survives_restart(tmp_path: Path) -> None:
    server = EmbeddedNats(tmp_path / "nats", server_name="embedded-test")
    with server:
        url, first_pid = server.url, server.pid
        assert first_pid is not None
        nc = await nats.connect(url)
        js = nc.jetstream()
        await js.add_stream(name="EMBEDDED", subjects=["embedded.>"], storage=StorageType.FILE)
        ack = await js.publish("embedded.hello", b"xin chao")
        await nc.close()

        await asyncio.to_thread(server.restart)

        assert server.url == url, "restart must keep the port"
        assert server.pid not in (None, first_pid)
        assert _process_gone(first_pid)
        nc = await nats.connect(url)
        try:
            msg = await nc.jetstream().get_msg("EMBEDDED", ack.seq)
            assert msg.data == b"xin chao"
        finally:
            await nc.close()
        last_pid = server.pid
    assert server.pid is None
    assert last_pid is not None and _process_gone(last_pid)


@pytest.mark.asyncio
async def test_postgres_row_survives_restart(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg", durable=False)
    with server:
        await server.create_database("ocop_embedded")
        await server.create_database("ocop_embedded")  # idempotent
        conn = await asyncpg.connect(server.url("ocop_embedded"))
        await conn.execute("CREATE TABLE product (name text PRIMARY KEY)")
        await conn.execute("INSERT INTO product VALUES ($1)", "Nước mắm Phú Quốc")
        await conn.close()

        first_pid = server.pid
        assert first_pid is not None
        server.stop()
        assert server.pid is None and _process_gone(first_pid)
        server.start()

        conn = await asyncpg.connect(server.url("ocop_embedded"))
        try:
            assert await conn.fetchval("SELECT name FROM product") == "Nước mắm Phú Quốc"
        finally:
            await conn.close()
        await server.drop_database("ocop_embedded")
        await server.drop_database("ocop_embedded")  # idempotent
        last_pid = server.pid
    assert last_pid is not None and _process_gone(last_pid)


def test_postgres_removes_stale_pid_file(tmp_path: Path) -> None:
    """A postmaster.pid left by a crashed server whose pid is gone must not block a start."""
    server = EmbeddedPostgres(tmp_path / "pg", durable=False)
    server.start()
    server.stop()
    dead = subprocess.Popen(["true"])
    dead.wait()
    (server.data_dir / "postmaster.pid").write_text(f"{dead.pid}\n{server.data_dir}\n")
    with server:
        assert server.pid is not None


def test_database_url_swaps_database_and_driver() -> None:
    assert (
        database_url("postgresql+asyncpg://u:p@db:5432/app?sslmode=disable", "other")
        == "postgresql://u:p@db:5432/other?sslmode=disable"
    )


@pytest.mark.asyncio
async def test_plugin_fixtures_serve_real_servers(
    nats_server: NatsServer, postgres_server: PostgresServer
) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        assert nc.is_connected
    finally:
        await nc.close()
    name = f"ocop_fixture_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    try:
        conn = await asyncpg.connect(postgres_server.url(name))
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    finally:
        await postgres_server.drop_database(name)
