"""A clean JetStream for each test: every stream deleted, then the topology provisioned."""

from __future__ import annotations

import nats

from ..messaging.topology import TOPOLOGY, Topology, provision


async def reset_jetstream(url: str, topology: Topology = TOPOLOGY) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for info in await js.streams_info():
            await js.delete_stream(info.config.name)
        await provision(js, topology)
    finally:
        await nc.close()
