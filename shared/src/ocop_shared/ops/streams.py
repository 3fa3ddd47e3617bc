"""`ocop streams apply`: the difference between the topology (TOPOLOGY) and the server, then
`provision()` (idempotent) once the operator agreed."""

from __future__ import annotations

from typing import Any

from nats.js import JetStreamContext
from rich.markup import escape
from rich.table import Table

from ..messaging.topology import TOPOLOGY, Change, Topology, plan, provision
from .output import console


def topology_with(replicas: int | None) -> Topology:
    """TOPOLOGY, with `replicas` per stream when given (3 in the cluster profile)."""
    if replicas is None:
        return TOPOLOGY
    return Topology(consumers=TOPOLOGY.consumers, services=TOPOLOGY.services, replicas=replicas)


async def compute(js: JetStreamContext, topology: Topology) -> list[Change]:
    return await plan(js, topology)


async def apply(js: JetStreamContext, topology: Topology) -> list[str]:
    return await provision(js, topology)


def as_dict(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "name": change.name, "action": change.action,
            "diff": {k: {"current": str(v[0]), "wanted": str(v[1])}
                     for k, v in change.diff.items()}}


def render(changes: list[Change]) -> None:
    if not changes:
        console.print("[green]nothing to change[/]: the server matches the topology")
        return
    table = Table(title="Planned changes")
    for column in ("kind", "name", "action", "field", "current", "wanted"):
        table.add_column(column)
    for c in changes:
        colour = "green" if c.action == "create" else "yellow"
        if not c.diff:
            table.add_row(c.kind, c.name, f"[{colour}]{c.action}[/]", "", "", "")
        for field, (have, want) in c.diff.items():
            table.add_row(c.kind, c.name, f"[{colour}]{c.action}[/]", field,
                          escape(str(have)), escape(str(want)))
    console.print(table)
