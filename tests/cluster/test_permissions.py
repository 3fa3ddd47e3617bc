"""The generated NATS users and permissions on a real nats-server: the committed files are
what the generator writes; each service does its job as its own user (no permission
violation in the server's log); a service cannot publish another's events; the integration
user reads events but publishes nothing and cannot touch the services' durables."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from ocop_shared.contracts.registry import ProducerRegistered
from ocop_shared.messaging.topology import TOPOLOGY, provision
from ocop_shared.ops.nats_config import committed_files
from tests.cluster.servers import (
    ConfiguredNats,
    four_services,
    passwords_for_test,
    single_server,
)
from tests.support.thin_flow import (
    check_end_state,
    eventually,
    register_and_submit,
    score_all,
    under_evaluation,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORDS = passwords_for_test()
REGISTERED = ProducerRegistered.subject()


def test_committed_nats_configuration_is_generated() -> None:
    for relative, content in committed_files().items():
        path = ROOT / "deploy" / "nats" / relative
        assert path.is_file(), f"{path} missing: run ocop_shared.ops.nats_config"
        assert path.read_text(encoding="utf-8") == content, (
            f"deploy/nats/{relative} is stale: run "
            "`.venv/bin/python -m ocop_shared.ops.nats_config deploy/nats`"
        )


class Client:
    """A connection as one user that keeps the asynchronous errors the server sends."""

    def __init__(self, nc: NatsClient, errors: list[str]) -> None:
        self.nc = nc
        self.errors = errors

    async def violation(self, subject: str) -> str:
        """Wait for the server's permissions violation naming `subject`."""
        async def reported() -> str | None:
            # nats-py lowercases the server's -ERR line
            return next((e for e in self.errors if f'"{subject.lower()}"' in e.lower()), None)

        return await eventually(reported, timeout=10, what=f"a violation for {subject}")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[ConfiguredNats]:
    nats_server = single_server(tmp_path / "nats", PASSWORDS)
    await asyncio.to_thread(nats_server.start)
    try:
        async with connect(nats_server, "operator") as operator:
            await provision(operator.nc.jetstream(), TOPOLOGY)
        yield nats_server
    finally:
        await asyncio.to_thread(nats_server.stop)


class connect:  # noqa: N801 - used as `async with connect(...)`
    def __init__(self, server: ConfiguredNats, user: str) -> None:
        self.server, self.user = server, user
        self.client: Client | None = None

    async def __aenter__(self) -> Client:
        errors: list[str] = []

        async def collect(exc: Exception) -> None:
            errors.append(str(exc))

        nc = await nats.connect(self.server.url, user=self.user,
                                password=PASSWORDS[self.user], error_cb=collect,
                                max_reconnect_attempts=0)
        self.client = Client(nc, errors)
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        assert self.client is not None
        await self.client.nc.close()


async def connected_users(server: ConfiguredNats) -> dict[str, str]:
    """Connection name -> authenticated user, from the server's monitoring endpoint."""
    url = f"http://127.0.0.1:{server.monitor_port}/connz?auth=true"
    async with httpx.AsyncClient() as http:
        connections = (await http.get(url)).json()["connections"]
    return {c.get("name", ""): c.get("authorized_user") for c in connections}


def violations(server: ConfiguredNats) -> list[str]:
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    return [line for line in log.splitlines() if re.search("violation", line, re.IGNORECASE)]


async def test_wrong_password_is_refused(server: ConfiguredNats) -> None:
    with pytest.raises(Exception, match="(?i)authorization"):
        await nats.connect(server.url, user="registry", password="not-the-password",
                           max_reconnect_attempts=0, allow_reconnect=False)


async def test_each_service_does_its_job_as_its_own_user(server, databases) -> None:
    async with AsyncExitStack() as stack:
        services = await four_services(stack, databases, server.url, PASSWORDS)
        clients = {name: service.http for name, service in services.items()}
        assert await connected_users(server) == {f"ocop-{n}": n for n in clients}
        flow = await register_and_submit(clients["registry"])
        await under_evaluation(clients["registry"], flow)
        await score_all(clients["evaluation"], flow)
        await check_end_state(clients, flow)
    assert violations(server) == []


async def test_a_service_cannot_publish_another_services_events(server) -> None:
    async with connect(server, "notifications") as notifications:
        js = notifications.nc.jetstream()
        ack = await js.publish("ocop.notifications.permission.probe.v1", b"{}")
        assert ack.stream == "OCOP_NOTIFICATIONS"  # its own subjects: allowed
        await notifications.nc.publish("ocop.evaluation.x", b"{}")
        error = await notifications.violation("ocop.evaluation.x")
    assert "publish" in error.lower()
    assert any('user:notifications"' in line and "ocop.evaluation.x" in line
               for line in violations(server))


async def test_integration_user_reads_events_and_publishes_nothing(server) -> None:
    async with connect(server, "operator") as operator:
        js = operator.nc.jetstream()
        await js.publish(REGISTERED, b'{"probe": 1}')
    async with connect(server, "integration") as integration:
        js = integration.nc.jetstream()
        # reads: its own (ephemeral) pull consumer on an event stream
        sub = await js.pull_subscribe("ocop.registry.>", stream="OCOP_REGISTRY")
        [msg] = await sub.fetch(1, timeout=10)
        assert msg.subject == REGISTERED
        await msg.ack()
        await sub.unsubscribe()
        # publishes nothing: events of any service, other subjects, the services' durables
        for subject in ("ocop.registry.x", "ocop.integration.x", "anything.else",
                        "$JS.API.STREAM.CREATE.MINE",
                        "$JS.API.CONSUMER.MSG.NEXT.OCOP_REGISTRY.evaluation",
                        "$JS.API.CONSUMER.DELETE.OCOP_REGISTRY.evaluation"):
            await integration.nc.publish(subject, b"{}")
            await integration.violation(subject)
        with pytest.raises(Exception):  # noqa: B017, PT011 - denied request: no reply
            await js.publish(REGISTERED, b"{}", timeout=2)
        await integration.violation(REGISTERED)
    async with connect(server, "operator") as operator:
        info = await operator.nc.jetstream().stream_info("OCOP_REGISTRY")
        assert info.state.messages == 1  # the integration's publishes stored nothing
        consumer = await operator.nc.jetstream().consumer_info("OCOP_REGISTRY", "notifications")
        assert consumer.num_pending == 1  # the notifications durable untouched
