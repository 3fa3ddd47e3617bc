"""pytest plugin `ocop` (entry point `pytest11`): session-wide NATS and PostgreSQL servers.

Fixtures:
    nats_server: `ocop_shared.testing.servers.NatsServer` (`.url`, and `.restart()`,
        `.stop()`, `.start()` when `.supports_restart`; otherwise they raise
        `RestartUnsupported`, so fault tests should `pytest.skip` first).
    postgres_server: `ocop_shared.testing.servers.PostgresServer` (`.url(db)`,
        `await .create_database(name)`, `await .drop_database(name)`).
    databases: a `DatabaseFactory`: `await databases.fresh(name, migrations_dir)` gives the
        URL of a new migrated database (cloned from a per-session template).
    jetstream: the NATS URL after deleting every stream and provisioning the topology.

Servers come from `OCOP_TEST_NATS_URL` / `OCOP_TEST_DATABASE_URL`, else Docker, else
embedded processes (see `ocop_shared.testing.servers`). Whatever the session started is
stopped at session end, with an atexit fallback for interrupted runs.
"""

from __future__ import annotations

import atexit
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from ocop_shared.testing.databases import DatabaseFactory
from ocop_shared.testing.jetstream import reset_jetstream
from ocop_shared.testing.servers import (
    NatsServer,
    PostgresServer,
    start_nats_server,
    start_postgres_server,
)

T = TypeVar("T")


def _session_server(
    start: Callable[[Path], tuple[T, Callable[[], None]]], tmp_dir: Path
) -> Iterator[T]:
    server, close = start(tmp_dir)
    atexit.register(close)
    try:
        yield server
    finally:
        atexit.unregister(close)
        close()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A JetStream-enabled NATS server shared by the whole test session."""
    yield from _session_server(start_nats_server, tmp_path_factory.mktemp("nats"))


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server shared by the whole session; tests create their own databases."""
    yield from _session_server(start_postgres_server, tmp_path_factory.mktemp("postgres"))


@pytest.fixture(scope="session")
async def databases(postgres_server: PostgresServer) -> AsyncIterator[DatabaseFactory]:
    """Makes a fresh migrated database per call: `await databases.fresh(name, migrations)`."""
    factory = DatabaseFactory(postgres_server.url("postgres"))
    yield factory
    await factory.drop_all()


@pytest.fixture
async def jetstream(nats_server: NatsServer) -> str:
    """The NATS URL, with every stream deleted and the topology provisioned afresh."""
    await reset_jetstream(nats_server.url)
    return nats_server.url
