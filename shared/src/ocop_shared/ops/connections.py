"""Short-lived connections for one CLI command: NATS (JetStream) and a service's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from nats.aio.client import Client as NatsClient
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ..db import async_url
from .targets import OpsError, ServiceTarget, Targets

CONNECT_TIMEOUT = 5.0


@asynccontextmanager
async def nats_connection(targets: Targets) -> AsyncIterator[NatsClient]:
    credentials = {}
    if targets.nats_user:
        credentials = {"user": targets.nats_user, "password": targets.nats_password or ""}
    try:
        nc = await nats.connect(targets.nats_servers, name="ocop-cli", **credentials,
                                error_cb=_quiet,
                                connect_timeout=CONNECT_TIMEOUT, max_reconnect_attempts=2,
                                allow_reconnect=True)
    except Exception as exc:  # noqa: BLE001 - nats-py raises several kinds
        raise OpsError(f"cannot connect to NATS at {targets.nats_url}: {exc!r}") from exc
    try:
        yield nc
    finally:
        await nc.close()


async def _quiet(_exc: Exception) -> None:
    """nats-py prints every connection error with a traceback; the command reports it once."""


@asynccontextmanager
async def database(target: ServiceTarget) -> AsyncIterator[AsyncEngine]:
    """An engine on the service's database (no pool: a command uses one or two connections)."""
    engine = create_async_engine(async_url(target.database_url), poolclass=pool.NullPool,
                                 connect_args={"timeout": CONNECT_TIMEOUT})
    try:
        yield engine
    finally:
        await engine.dispose()
