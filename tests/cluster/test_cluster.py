"""The thin flow for 200 products on a real 3-node NATS JetStream cluster (three nats-server
processes on loopback, the generated configuration, R3 streams, every service as its own
user): one node is killed (SIGKILL) while the products' events flow, and every effect still
happens exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import nats
import pytest
import structlog

from ocop_shared.messaging.topology import TOPOLOGY, provision
from tests.cluster.servers import NatsCluster, four_services, passwords_for_test
from tests.support.thin_flow import (
    OFFICIAL,
    REFERRED,
    SCORES,
    Flow,
    check_end_state,
    register_and_submit,
    score_all,
)

PRODUCERS = 50  # x 4 products each (one per outcome of SCORES) = 200 products
PASSWORDS = passwords_for_test()
CLUSTER_TOPOLOGY = dataclasses.replace(TOPOLOGY, replicas=3)
log = structlog.get_logger("tests.cluster")


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[NatsCluster]:
    nodes = NatsCluster(tmp_path / "nats", PASSWORDS)
    try:
        await asyncio.to_thread(nodes.start)
        # the operator provisions (`ocop streams apply`); services only bind
        nc = await nats.connect(nodes.urls, user="operator", password=PASSWORDS["operator"])
        try:
            await provision(nc.jetstream(), CLUSTER_TOPOLOGY)
        finally:
            await nc.close()
        yield nodes
    finally:
        await asyncio.to_thread(nodes.stop)


async def stream_leader(cluster: NatsCluster, stream: str) -> tuple[str, int]:
    """The stream's leader and how many replicas it has."""
    nc = await nats.connect(cluster.urls, user="operator", password=PASSWORDS["operator"])
    try:
        info = await nc.jetstream().stream_info(stream)
    finally:
        await nc.close()
    assert info.cluster is not None
    return info.cluster.leader or "", 1 + len(info.cluster.replicas or [])


async def register(registry, producers: range) -> list[Flow]:  # noqa: ANN001
    return list(await asyncio.gather(*(
        register_and_submit(registry, tax_code=f"01{i:08d}") for i in producers)))


async def test_200_products_through_a_cluster_that_loses_a_node(cluster, databases) -> None:
    _, replicas = await stream_leader(cluster, "OCOP_REGISTRY")
    assert replicas == 3
    async with AsyncExitStack() as stack:
        services = await four_services(stack, databases, cluster.url, PASSWORDS)
        clients = {name: service.http for name, service in services.items()}
        registry = clients["registry"]
        flows: list[Flow] = []
        for start in range(0, PRODUCERS // 2, 5):
            flows += await register(registry, range(start, start + 5))
        # the first half's events are flowing (evaluation opens evaluations, the registry
        # follows them): the node the registry service is connected to crashes
        registry_nc = services["registry"].runtime.nc
        assert registry_nc is not None and registry_nc.connected_url is not None
        victim = next(node for node in cluster.nodes
                      if node.client_port == registry_nc.connected_url.port)
        leaders = await leaders_on(cluster, victim.name)
        await asyncio.to_thread(victim.kill)
        log.info("cluster.node_killed", node=victim.name, leader_of=leaders)
        for start in range(PRODUCERS // 2, PRODUCERS, 5):
            flows += await register(registry, range(start, start + 5))
        assert len({pid for f in flows for pid in f.product_ids.values()}) == 200

        await score_all(clients["evaluation"], *flows)
        for flow in flows:
            await check_end_state(clients, flow, first_on_new_ceremony=False)
        await one_evaluation_per_product(clients["evaluation"], flows)
        # the registry failed over to a surviving node; the streams kept three replicas
        assert registry_nc.connected_url.port != victim.client_port
        leader, replicas = await stream_leader(cluster, "OCOP_REGISTRY")
        assert leader != victim.name and replicas == 3


async def leaders_on(cluster: NatsCluster, node: str) -> list[str]:
    """The streams and consumers whose leader is `node` (logged: what the crash moves)."""
    nc = await nats.connect(cluster.urls, user="operator", password=PASSWORDS["operator"])
    try:
        js = nc.jetstream()
        led = []
        for stream in CLUSTER_TOPOLOGY.stream_configs():
            info = await js.stream_info(stream.name)
            if info.cluster is not None and info.cluster.leader == node:
                led.append(stream.name)
        for stream_name, consumer in CLUSTER_TOPOLOGY.consumer_configs():
            cinfo = await js.consumer_info(stream_name, consumer.durable_name)
            if cinfo.cluster is not None and cinfo.cluster.leader == node:
                led.append(f"{stream_name}/{consumer.durable_name}")
        return led
    finally:
        await nc.close()


async def one_evaluation_per_product(evaluation, flows: list[Flow]) -> None:  # noqa: ANN001
    """Each product evaluated once by the province, each referred one once by the Ministry
    (the referral forwards it to a central evaluation)."""

    async def product_ids(level: str) -> list[str]:
        page = (await evaluation.get("/evaluations", headers=OFFICIAL,
                                     params={"limit": 200, "level": level})).json()
        assert page["total"] == len(page["items"]), page["total"]
        return sorted(e["product_id"] for e in page["items"])

    products = sorted(pid for flow in flows for pid in flow.product_ids.values())
    assert len(products) == len(SCORES) * PRODUCERS
    assert await product_ids("province") == products
    assert await product_ids("central") == sorted(f.product_ids[REFERRED] for f in flows)
