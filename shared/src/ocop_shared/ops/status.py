"""`ocop status`: one snapshot per service of HTTP readiness, its stream, its durable consumers,
its outbox backlog and its unreplayed dead letters. Each part fails on its own: an unreachable
database or service is reported, never fatal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from rich.markup import escape
from rich.table import Table
from sqlalchemy import text

from ..auth import Principal, Role, issue_token
from ..messaging.topology import TOPOLOGY, Topology, stream_name
from .connections import database, nats_connection
from .output import console
from .targets import OpsError, ServiceTarget, Targets


async def probe_ready(target: ServiceTarget, secret: str | None) -> dict[str, Any]:
    headers = {}
    if secret:
        token = issue_token(Principal(subject="ocop-cli", role=Role.operator), secret)
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(f"{target.http_url}/ready", headers=headers)
    except httpx.HTTPError as exc:
        return {"status": "unreachable", "url": target.http_url, "detail": repr(exc)}
    body: dict[str, Any] = {}
    try:
        body = response.json()
    except ValueError:
        pass
    ok = response.status_code == 200 and body.get("status") == "ready"
    return {"status": "ok" if ok else "not ready", "url": target.http_url,
            "detail": body.get("checks", response.text[:200])}


async def stream_state(js: JetStreamContext, service: str) -> dict[str, Any]:
    name = stream_name(service)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        return {"name": name, "error": "missing (run `ocop streams apply`)"}
    return {"name": name, "messages": info.state.messages, "bytes": info.state.bytes,
            "first_seq": info.state.first_seq, "last_seq": info.state.last_seq}


async def consumer_states(js: JetStreamContext, service: str,
                          topology: Topology) -> list[dict[str, Any]]:
    states = []
    for spec in topology.consumers_of(service):
        state: dict[str, Any] = {"stream": spec.stream, "durable": spec.durable,
                                 "source": spec.source}
        try:
            info = await js.consumer_info(spec.stream, spec.durable)
        except NotFoundError:
            state["error"] = "missing (run `ocop streams apply`)"
        else:
            state.update(num_pending=info.num_pending, num_ack_pending=info.num_ack_pending,
                         num_redelivered=info.num_redelivered,
                         last_delivered_seq=info.delivered.stream_seq if info.delivered else None)
        states.append(state)
    return states


async def database_state(target: ServiceTarget) -> dict[str, Any]:
    try:
        async with database(target) as engine, engine.connect() as conn:
            backlog, oldest = (await conn.execute(text(
                "SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL"
            ))).one()
            dead = (await conn.execute(text(
                "SELECT count(*) FROM dead_letter WHERE replayed_at IS NULL"
            ))).scalar_one()
    except Exception as exc:  # noqa: BLE001 - status reports, it does not raise
        return {"error": f"database unreachable: {exc!r}"[:300]}
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest else None
    return {"outbox_backlog": backlog, "outbox_oldest_age_seconds": age,
            "dead_letters": dead}


async def collect(targets: Targets, topology: Topology = TOPOLOGY) -> dict[str, Any]:
    services = list(targets.services.values())
    ready, dbs = await asyncio.gather(
        asyncio.gather(*(probe_ready(t, targets.jwt_secret) for t in services)),
        asyncio.gather(*(database_state(t) for t in services)),
    )
    report: dict[str, Any] = {"nats_url": targets.nats_url, "nats": "ok", "services": []}
    for target, http_state, db_state in zip(services, ready, dbs, strict=True):
        report["services"].append({"service": target.name, "http": http_state,
                                   "stream": {"name": stream_name(target.name)},
                                   "consumers": [], "database": db_state})
    try:
        async with nats_connection(targets) as nc:
            js = nc.jetstream()
            for entry in report["services"]:
                entry["stream"] = await stream_state(js, entry["service"])
                entry["consumers"] = await consumer_states(js, entry["service"], topology)
    except OpsError as exc:
        report["nats"] = str(exc)
        for entry in report["services"]:
            entry["stream"]["error"] = "NATS unreachable"
    return report


def render(report: dict[str, Any]) -> None:
    services = Table(title="Services (details: --json)")
    services.add_column("service", no_wrap=True)
    for column in ("http /ready", "stream msgs", "stream bytes", "outbox backlog",
                   "oldest unpublished", "dead letters"):
        services.add_column(column)
    consumers = Table(title="Durable consumers")
    for column in ("consumer", "stream", "pending", "ack pending", "redelivered",
                   "last delivered seq"):
        consumers.add_column(column)
    for s in report["services"]:
        http, stream, db = s["http"], s["stream"], s["database"]
        colour = {"ok": "green", "not ready": "yellow"}.get(http["status"], "red")
        age = db.get("outbox_oldest_age_seconds")
        services.add_row(
            s["service"], f"[{colour}]{http['status']}[/]",
            escape(str(stream.get("messages", stream.get("error")))),
            str(stream.get("bytes", "-")),
            str(db["outbox_backlog"]) if "outbox_backlog" in db else "[red]db unreachable[/]",
            f"{age:.0f}s" if age is not None else "-",
            _dead(db.get("dead_letters")),
        )
        for c in s["consumers"]:
            if "error" in c:
                consumers.add_row(c["durable"], c["stream"], f"[red]{escape(c['error'])}[/]",
                                  "", "", "")
                continue
            pending = c["num_pending"]
            consumers.add_row(
                c["durable"], c["stream"], f"[yellow]{pending}[/]" if pending else "0",
                str(c["num_ack_pending"]), str(c["num_redelivered"]),
                str(c["last_delivered_seq"]),
            )
    if report.get("nats", "ok") != "ok":
        console.print(f"[red]NATS:[/] {escape(report['nats'])}")
    console.print(services)
    console.print(consumers)


def _dead(count: int | None) -> str:
    if count is None:
        return "-"
    return f"[red]{count}[/]" if count else "0"
