"""Pick and start the NATS and PostgreSQL servers a test session runs against.

Order for each server:
1. an existing server named by an environment variable (`OCOP_TEST_NATS_URL`,
   `OCOP_TEST_DATABASE_URL`): used as is, never started, stopped or restarted;
2. a Docker container through testcontainers, only when a Docker engine answers;
3. an embedded child process (`ocop_shared.embedded`) in a temporary folder.

Each `start_*` function returns the server handle and a `close` callable that releases
what was started (idempotent; a no-op for external servers).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ocop_shared.embedded import postgres as pg
from ocop_shared.embedded._process import wait_until
from ocop_shared.embedded.nats import EmbeddedNats, jetstream_healthy
from ocop_shared.embedded.ports import free_port, port_accepts
from ocop_shared.embedded.postgres import EmbeddedPostgres

NATS_URL_ENV = "OCOP_TEST_NATS_URL"
DATABASE_URL_ENV = "OCOP_TEST_DATABASE_URL"
NATS_IMAGE = "nats:2.10"
POSTGRES_IMAGE = "postgres:16-alpine"
# Same speed settings as EmbeddedPostgres(durable=False).
_FAST_POSTGRES_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")

_log = logging.getLogger(__name__)

Close = Callable[[], None]


class RestartUnsupported(RuntimeError):
    """The server was not started by this test session, so it cannot be stopped or restarted."""


class NatsServer(Protocol):
    """What tests get from the `nats_server` fixture."""

    supports_restart: bool

    @property
    def url(self) -> str: ...
    def start(self) -> Any: ...
    def stop(self) -> None: ...
    def restart(self) -> None: ...


class PostgresServer(Protocol):
    """What tests get from the `postgres_server` fixture."""

    def url(self, database: str = "postgres") -> str: ...
    async def create_database(self, name: str) -> None: ...
    async def drop_database(self, name: str) -> None: ...


# --------------------------------------------------------------------------- Docker


@functools.cache
def docker_available(timeout: float = 3.0) -> bool:
    """True when testcontainers is installed and a Docker engine answers a ping (cached)."""
    try:
        import docker
        import testcontainers.core.container  # noqa: F401  (only checks it is installed)
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=int(timeout))
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # docker raises several unrelated types when no engine runs
        _log.debug("Docker engine not available: %s", exc)
        return False


# --------------------------------------------------------------------------- NATS


class ExternalNats:
    """A NATS server someone else runs (`OCOP_TEST_NATS_URL`); only its URL is usable."""

    supports_restart = False

    def __init__(self, url: str) -> None:
        self._url = url

    @property
    def url(self) -> str:
        return self._url

    def _unsupported(self) -> RestartUnsupported:
        return RestartUnsupported(
            f"NATS at {self._url} comes from ${NATS_URL_ENV}; it cannot be stopped or "
            "restarted by tests (unset the variable to use a server started by the session)"
        )

    def start(self) -> None:
        raise self._unsupported()

    def stop(self) -> None:
        raise self._unsupported()

    def restart(self) -> None:
        raise self._unsupported()


class ContainerNats:
    """NATS with JetStream in a Docker container, host ports pinned so restarts keep the URL.

    `stop()`/`start()`/`restart()` stop and start the same container, so the JetStream
    store inside it survives like on a real broker restart.
    """

    supports_restart = True
    _CLIENT_PORT = 4222
    _MONITOR_PORT = 8222

    def __init__(self, image: str = NATS_IMAGE, start_timeout: float = 60.0) -> None:
        from testcontainers.core.container import DockerContainer

        self.start_timeout = start_timeout
        self.port = free_port()
        self.monitor_port = free_port()
        self._container = (
            DockerContainer(image)
            .with_command(["-js", "-sd", "/data", "-m", str(self._MONITOR_PORT)])
            .with_bind_ports(self._CLIENT_PORT, self.port)
            .with_bind_ports(self._MONITOR_PORT, self.monitor_port)
        )
        self._created = False
        self._host = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"nats://{self._host}:{self.port}"

    def start(self) -> ContainerNats:
        if not self._created:
            self._created = True  # set first: a failed start may still leave a container behind
            self._container.start()
            self._host = self._container.get_container_host_ip()
        else:
            self._container.get_wrapped_container().start()
        self._wait_healthy()
        return self

    def stop(self) -> None:
        self._container.get_wrapped_container().stop(timeout=10)

    def restart(self) -> None:
        self._container.get_wrapped_container().restart(timeout=10)
        self._wait_healthy()

    def close(self) -> None:
        """Remove the container (session end). Idempotent."""
        if self._created:
            self._created = False
            self._container.stop()

    def _wait_healthy(self) -> None:
        wait_until(
            lambda: port_accepts(self._host, self.port) and jetstream_healthy(self._host, self.monitor_port),
            timeout=self.start_timeout,
            failed=lambda: None,
            interval=0.2,
        )


def start_nats_server(tmp_dir: Path) -> tuple[NatsServer, Close]:
    """Return a running NATS server (see module docstring for the order) and its closer."""
    url = os.environ.get(NATS_URL_ENV)
    if url:
        return ExternalNats(url), lambda: None
    if docker_available():
        container = ContainerNats()
        try:
            container.start()
        except BaseException:
            container.close()
            raise
        return container, container.close
    server = EmbeddedNats(tmp_dir, server_name="ocop-test").start()
    return server, server.stop


# --------------------------------------------------------------------------- PostgreSQL


class ExternalPostgres:
    """A PostgreSQL server given by URL (env variable or a container); tests create databases on it."""

    def __init__(self, server_url: str) -> None:
        self._server_url = pg.database_url(server_url, "postgres")

    def url(self, database: str = "postgres") -> str:
        """Connection URL for `database` on this server (plain `postgresql://` scheme)."""
        return pg.database_url(self._server_url, database)

    async def create_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        await pg.create_database(self._server_url, name)

    async def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists (open sessions are terminated)."""
        await pg.drop_database(self._server_url, name)


def _start_postgres_container() -> tuple[PostgresServer, Close]:
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(
        POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres", driver=None
    )
    command = ["postgres"]
    for setting in _FAST_POSTGRES_SETTINGS:
        command += ["-c", setting]
    container.with_command(command)
    closed = False

    def close() -> None:
        nonlocal closed
        if not closed:
            closed = True
            container.stop()

    try:
        container.start()
        return ExternalPostgres(container.get_connection_url(driver=None)), close
    except BaseException:
        close()
        raise


def start_postgres_server(tmp_dir: Path) -> tuple[PostgresServer, Close]:
    """Return a running PostgreSQL server (see module docstring for the order) and its closer."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return ExternalPostgres(url), lambda: None
    if docker_available():
        return _start_postgres_container()
    server = EmbeddedPostgres(tmp_dir, durable=False).start()
    return server, server.stop
