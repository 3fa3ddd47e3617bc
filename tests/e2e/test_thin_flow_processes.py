"""End to end through the four services' real entry points: four `python -m ocop_<name>
serve` processes on real NATS JetStream and PostgreSQL, driven only over HTTP. The JSON logs
of every process carry the correlation id of the request that started the chain."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest

from ocop_shared.devstack import Stack
from ocop_shared.testing.services import TEST_SECRET
from tests.support.thin_flow import OFFICIAL, check_end_state, register_and_submit, score_all


@pytest.fixture
async def stack(jetstream, postgres_server, tmp_path: Path):
    stack = Stack(
        data_dir=tmp_path,
        nats_url=jetstream,
        database_server_url=postgres_server.url("postgres"),
        jwt_secret=TEST_SECRET,
        database_prefix=f"e2e_{uuid.uuid4().hex[:8]}_",
        log_format="json",
        log_level="DEBUG",
    )
    await asyncio.to_thread(stack.start)
    try:
        yield stack
    finally:
        await asyncio.to_thread(stack.stop)
        for name in stack.database_names.values():
            await postgres_server.drop_database(name)


def log_lines(stack: Stack, service: str) -> list[dict]:
    lines = []
    for raw in stack.log_paths[service].read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # a line some library printed without structlog
    return lines


async def test_thin_flow_through_real_processes(stack: Stack) -> None:
    async with AsyncExitStack() as exits:
        clients = {
            name: await exits.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
            for name, url in stack.service_urls.items()
        }
        correlation = f"e2e-{uuid.uuid4().hex[:12]}"
        clients["registry"].headers["X-Correlation-ID"] = correlation
        flow = await register_and_submit(clients["registry"])
        await score_all(clients["evaluation"], flow)
        await check_end_state(clients, flow)

        ready = await clients["notifications"].get("/ready")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "database": True, "nats": True}
        public = await clients["registry"].get("/products/" + flow.product_ids["Miến dong"],
                                               headers=OFFICIAL)
        code = public.json()["code"]
        anonymous = await clients["registry"].get(f"/public/products/{code}")
        assert anonymous.status_code == 200 and anonymous.json()["stars"] == 3

    # the submit's correlation id reached evaluation's consumer through the event envelope
    handled = [line for line in log_lines(stack, "evaluation")
               if line.get("event") == "consumer.handled"]
    assert any(line.get("correlation_id") == correlation for line in handled)
    for line in handled:
        assert line["service"] == "evaluation"
        assert {"event_id", "correlation_id", "subject", "event_type"} <= line.keys()
