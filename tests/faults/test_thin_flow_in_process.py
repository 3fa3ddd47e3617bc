"""The thin flow through the four real services (their ServiceRuntime, in this process) on
real NATS and PostgreSQL, once undisturbed and once with the broker restarted mid-flow."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

from tests.support.services import start_four
from tests.support.thin_flow import (
    check_end_state,
    register_and_submit,
    score_all,
    under_evaluation,
)


@pytest.fixture
async def four_services(databases, jetstream):
    async with AsyncExitStack() as stack:
        services = await start_four(stack, databases, jetstream)
        yield {name: svc.http for name, svc in services.items()}


async def test_thin_flow_across_four_services(four_services) -> None:
    flow = await register_and_submit(four_services["registry"])
    await under_evaluation(four_services["registry"], flow)
    await score_all(four_services["evaluation"], flow)
    await check_end_state(four_services, flow)


async def test_thin_flow_survives_a_broker_restart(four_services, nats_server) -> None:
    if not nats_server.supports_restart:
        pytest.skip("NATS comes from OCOP_TEST_NATS_URL: this test must restart it")
    flow = await register_and_submit(four_services["registry"])
    await asyncio.sleep(0.2)
    await asyncio.to_thread(nats_server.stop)
    # commands keep committing while the broker is down; their events wait in the outbox
    second = await register_and_submit(four_services["registry"], tax_code="0101111111")
    await asyncio.sleep(1.0)
    await asyncio.to_thread(nats_server.start)
    # one round takes in both flows' evaluations (the second's may arrive while it is open)
    await score_all(four_services["evaluation"], flow, second)
    await check_end_state(four_services, flow)
    await check_end_state(four_services, second, first_on_new_ceremony=False)
