"""Servers and databases for the pipeline benchmark.

NATS and PostgreSQL come from `OCOP_BENCH_NATS_URL` / `OCOP_BENCH_DATABASE_URL` when set (used
as is, never stopped), else embedded child processes in a temporary folder, stopped by pid when
the context exits. The bench creates its own databases (dropped and created again each run).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from bench_common import bench_metadata, plain_dsn
from ocop_shared.db import async_url
from ocop_shared.embedded.nats import EmbeddedNats
from ocop_shared.embedded.postgres import (
    EmbeddedPostgres,
    create_database,
    database_url,
    drop_database,
)
from ocop_shared.messaging.tables import NOTIFY_TRIGGER_SQL
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

NATS_URL_ENV = "OCOP_BENCH_NATS_URL"
DATABASE_URL_ENV = "OCOP_BENCH_DATABASE_URL"
DATABASES = {
    ("framework", "producer"): "ocop_bench_fw_registry",
    ("framework", "consumer"): "ocop_bench_fw_evaluation",
    ("raw", "producer"): "ocop_bench_raw_registry",
    ("raw", "consumer"): "ocop_bench_raw_evaluation",
}


@dataclass
class Servers:
    nats_url: str
    postgres_url: str  # server URL (any database); bench databases are derived from it
    nats_pid: int | None
    postgres_pid: int | None
    nats_embedded: bool
    postgres_embedded: bool

    def database(self, path: str, side: str) -> str:
        return database_url(self.postgres_url, DATABASES[(path, side)])


@contextmanager
def bench_servers(workdir: Path) -> Iterator[Servers]:
    with ExitStack() as stack:
        nats_url = os.environ.get(NATS_URL_ENV)
        nats_pid = None
        if not nats_url:
            log(f"starting embedded nats-server in {workdir / 'nats'}")
            port, monitor_port = _two_free_ports()
            server = stack.enter_context(
                EmbeddedNats(workdir / "nats", port, monitor_port=monitor_port)
            )
            nats_url, nats_pid = server.url, server.pid
        pg_url = os.environ.get(DATABASE_URL_ENV)
        pg_pid = None
        if not pg_url:
            log(f"starting embedded PostgreSQL (durable=True) in {workdir / 'pg'}")
            pg = stack.enter_context(EmbeddedPostgres(workdir / "pg", durable=True))
            pg_url, pg_pid = pg.url(), pg.pid
        yield Servers(nats_url, pg_url, nats_pid, pg_pid, nats_pid is not None, pg_pid is not None)


def _two_free_ports() -> tuple[int, int]:
    """Two distinct free ports, both held open while choosing: EmbeddedNats picks its client and
    monitor ports with two separate free_port() calls, which can return the same port."""
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return a.getsockname()[1], b.getsockname()[1]


async def create_bench_databases(servers: Servers) -> None:
    """Drop and create the four bench databases, each with outbox, inbox, dead_letter,
    bench_effect and the outbox NOTIFY trigger (what a service's first migration creates)."""
    for name in DATABASES.values():
        await drop_database(servers.postgres_url, name)
        await create_database(servers.postgres_url, name)
        engine = create_async_engine(async_url(database_url(servers.postgres_url, name)))
        metadata = bench_metadata()[0]
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for statement in NOTIFY_TRIGGER_SQL:
                await conn.execute(text(statement))
        await engine.dispose()


async def settle(servers: Servers, path: str) -> None:
    """Before a measured phase: VACUUM ANALYZE the path's two databases and CHECKPOINT, so the
    previous phase's autovacuum and checkpoint writes do not land in this phase's figures."""
    for side in ("producer", "consumer"):
        conn = await asyncpg.connect(plain_dsn(servers.database(path, side)))
        try:
            await conn.execute("VACUUM ANALYZE")
            if side == "consumer":
                try:
                    await conn.execute("CHECKPOINT")
                except asyncpg.InsufficientPrivilegeError:
                    pass  # an external server without pg_checkpoint: autovacuum only
        finally:
            await conn.close()


async def postgres_settings(servers: Servers) -> dict[str, str]:
    conn = await asyncpg.connect(plain_dsn(servers.database("raw", "producer")))
    try:
        names = ("server_version", "fsync", "synchronous_commit", "full_page_writes",
                 "wal_sync_method", "shared_buffers", "max_connections")
        return {n: await conn.fetchval(f"SHOW {n}") for n in names}
    finally:
        await conn.close()


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)
