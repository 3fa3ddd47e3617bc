"""The running service: one place that wires settings to the database, NATS, the outbox relay,
the event consumers and the HTTP app. Each service's bootstrap builds a `ServiceDefinition`;
the entry point, the tests and the benchmark all run it through `ServiceRuntime`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import nats
import structlog
from fastapi import APIRouter, FastAPI, Request
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy import MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .auth import AuthConfig
from .contracts import Event
from .db import create_engine
from .http import ERROR_RESPONSES, create_app
from .messaging.advisories import AdvisoryDeadLetters
from .messaging.consumer import EventConsumer, Handler
from .messaging.outbox import Outbox, OutboxRelay
from .messaging.topology import TOPOLOGY, Topology, provision
from .observability.tracing import configure_tracing
from .settings import ServiceSettings

log = structlog.get_logger("ocop.runtime")


@dataclass
class MessagingTables:
    outbox: Table
    inbox: Table
    dead_letter: Table


@dataclass
class ServiceDefinition:
    """What makes a service: its name, tables, event handlers and HTTP routes."""

    name: str
    version: str
    metadata: MetaData
    tables: MessagingTables
    migrations_dir: Path
    handlers: dict[type[Event], Handler] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    description: str = ""
    background: list[Callable[[ServiceRuntime], Awaitable[None]]] = field(default_factory=list)
    """Long-running jobs the runtime starts beside relay and consumers (and cancels on stop),
    e.g. a periodic sweep; each gets the runtime (engine, outbox)."""

    @property
    def source(self) -> str:
        """The CloudEvents `source` of everything this service publishes."""
        return f"/ocop/{self.name}"

    def outbox(self) -> Outbox:
        return Outbox(self.tables.outbox, source=self.source)


class ServiceRuntime:
    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        *,
        topology: Topology = TOPOLOGY,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.topology = topology.with_max_deliver(settings.consumer_max_deliver)
        self.engine: AsyncEngine = create_engine(settings.database_url)
        configure_tracing(definition.name, settings.otel_exporter_otlp_endpoint)
        self.outbox = definition.outbox()
        self.nc: NatsClient | None = None
        self.js: JetStreamContext | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[EventConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Connect, provision the topology (idempotent) and start relay and consumers."""
        name = self.definition.name
        self.nc = await nats.connect(
            [url.strip() for url in self.settings.nats_url.split(",")],
            name=f"ocop-{name}",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=5,
            **self.settings.nats_credentials(),
            error_cb=_log_nats_error,
            disconnected_cb=_log_disconnected,
            reconnected_cb=_log_reconnected,
        )
        self.js = self.nc.jetstream()
        if self.settings.provision_on_start:
            changes = await provision(self.js, self.topology)
            if changes:
                log.info("runtime.provisioned", changes=changes)
        tables = self.definition.tables
        self.relay = OutboxRelay(
            engine=self.engine, table=tables.outbox, js=self.js, source=self.definition.source,
            batch_size=self.settings.outbox_batch_size,
            poll_seconds=self.settings.outbox_poll_seconds,
            retention=timedelta(days=self.settings.outbox_retention_days),
        )
        self._spawn(self.relay.run(), "outbox-relay")
        specs = self.topology.consumers_of(name)
        for spec in specs:
            handlers = {e: self.definition.handlers[e] for e in spec.events}
            consumer = EventConsumer(
                spec=spec, js=self.js, engine=self.engine, inbox=tables.inbox,
                dead_letter=tables.dead_letter, handlers=handlers,
                batch_size=self.settings.consumer_batch_size,
                retry_base_seconds=self.settings.consumer_retry_delay_seconds,
            )
            self.consumers.append(consumer)
            self._spawn(consumer.run(), f"consumer-{consumer.name}")
        if specs:
            advisories = AdvisoryDeadLetters(
                service=name, js=self.js, engine=self.engine, inbox=tables.inbox,
                dead_letter=tables.dead_letter,
            )
            self._spawn(advisories.run(), "max-deliveries-advisories")
        for job in self.definition.background:
            self._spawn(job(self), f"background-{getattr(job, '__name__', 'job')}")
        log.info("runtime.started", consumers=[c.name for c in self.consumers])

    def _spawn(self, coro: object, name: str) -> None:
        task = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.consumers.clear()
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()
        await self.engine.dispose()
        log.info("runtime.stopped")

    async def readiness(self) -> dict[str, bool]:
        database = True
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - readiness reports, it does not raise
            database = False
        nats_ok = self.nc is not None and self.nc.is_connected
        return {"database": database, "nats": nats_ok}

    def app(self) -> FastAPI:
        """The HTTP app; its lifespan starts and stops the messaging side."""

        @asynccontextmanager
        async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        d = self.definition
        app = create_app(
            service=d.name, version=d.version, description=d.description,
            auth=AuthConfig(secret=self.settings.jwt_secret),
            readiness=self.readiness, lifespan=lifespan,
        )
        app.state.runtime = self
        for router in d.routers:
            app.include_router(router, responses=ERROR_RESPONSES)
        return app


@asynccontextmanager
async def unit_of_work(request: Request) -> AsyncIterator[AsyncConnection]:
    """One transaction for an HTTP command: state and outbox rows commit together when the
    block ends, before the response is sent; an exception rolls everything back."""
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.begin() as connection:
        yield connection


def runtime_of(request: Request) -> ServiceRuntime:
    return request.app.state.runtime


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("runtime.task_crashed", task=task.get_name(), error=repr(task.exception()))


async def _log_nats_error(exc: Exception) -> None:
    log.warning("nats.error", error=repr(exc))


async def _log_disconnected() -> None:
    log.warning("nats.disconnected")


async def _log_reconnected() -> None:
    log.warning("nats.reconnected")
