"""`ocop`, the operator CLI. Every command has --help with an example; data commands take
--json. Where it finds NATS, databases and services: see `targets.py` (--config or env)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from . import db as db_ops
from . import dlq as dlq_ops
from . import events as event_ops
from . import status as status_ops
from . import streams as stream_ops
from .connections import database, nats_connection
from .output import console, err_console, first_line, parse_time, print_json
from .targets import OpsError, Targets, load_targets

app = typer.Typer(help="Operate the OCOP platform: status, dead letters, events, streams, "
                       "migrations.\n\nExample: ocop --config ops.toml status",
                  no_args_is_help=True, rich_markup_mode="rich")
dlq_app = typer.Typer(help="Dead letters per service.\n\nExample: ocop dlq list",
                      no_args_is_help=True)
events_app = typer.Typer(help="Events in JetStream: tail, replay, republish.\n\n"
                              "Example: ocop events tail --subject 'ocop.registry.>'",
                         no_args_is_help=True)
streams_app = typer.Typer(help="JetStream streams and consumers.\n\nExample: ocop streams apply",
                          no_args_is_help=True)
db_app = typer.Typer(help="Service databases.\n\nExample: ocop db migrate --service all",
                     no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(events_app, name="events")
app.add_typer(streams_app, name="streams")
app.add_typer(db_app, name="db")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
ServiceOpt = Annotated[str, typer.Option("--service", "-s", help="registry, evaluation, "
                                                                  "promotion or notifications")]


@app.callback()
def configure(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", envvar="OCOP_CONFIG",
        help="TOML file with nats_url, jwt_secret and \\[services.<name>] database_url, http_url;"
             " the environment (OCOP_NATS_URL, OCOP_<SERVICE>_DATABASE_URL, ...) fills the rest"
    )] = None,
) -> None:
    """Operate the OCOP platform."""
    ctx.obj = config


def _targets(ctx: typer.Context) -> Targets:
    try:
        return load_targets(ctx.find_root().obj)
    except OpsError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(coro)
    except OpsError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except ValueError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console)


def _time(value: str | None, name: str) -> Any:
    try:
        return parse_time(value)
    except ValueError as exc:
        err_console.print(f"[red]error:[/] {name}: {exc}")
        raise typer.Exit(2) from None


# --- status --------------------------------------------------------------------------------

@app.command()
def status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Per service: /ready, its stream, its consumers (pending, ack pending, redelivered), the
    outbox backlog and unreplayed dead letters.

    Example: ocop status --json
    """
    targets = _targets(ctx)
    report = _run(status_ops.collect(targets))
    if as_json:
        print_json(report)
    else:
        status_ops.render(report)


# --- dlq -------------------------------------------------------------------------------------

@dlq_app.command("list")
def dlq_list(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Option("--service", "-s",
                                                help="One service (default: all)")] = None,
    include_replayed: Annotated[bool, typer.Option("--replayed",
                                                   help="Include replayed ones")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Dead letters: id, consumer, event type, deliveries, failed at, the error's first line.

    Example: ocop dlq list --service notifications
    """
    targets = _targets(ctx)

    async def collect() -> list[dict[str, Any]]:
        rows = []
        for target in targets.select(service):
            try:
                async with database(target) as engine:
                    letters = await dlq_ops.list_dead_letters(
                        engine, include_replayed=include_replayed)
            except OpsError:
                raise
            except Exception as exc:  # noqa: BLE001 - one database down must not hide others
                if service:
                    raise OpsError(f"{target.name}: database unreachable: {exc!r}") from exc
                err_console.print(f"[yellow]{target.name}: database unreachable: {exc!r}[/]")
                continue
            rows += [{"service": target.name, **letter} for letter in letters]
        return rows

    rows = _run(collect())
    if as_json:
        print_json(rows)
        return
    table = Table(title="Dead letters")
    for column in ("service", "id", "consumer", "event type", "deliveries", "failed at",
                   "replayed", "error"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["service"], str(r["id"]), escape(r["consumer"]),
                      escape(r["event_type"] or "?"), str(r["deliveries"]),
                      r["failed_at"].isoformat(timespec="seconds"),
                      "yes" if r["replayed_at"] else "", escape(first_line(r["error"])))
    console.print(table)


@dlq_app.command("show")
def dlq_show(ctx: typer.Context, letter_id: Annotated[int, typer.Argument(help="Dead letter id")],
             service: ServiceOpt, as_json: JsonOpt = False) -> None:
    """One dead letter: subject, headers, payload and the full error.

    Example: ocop dlq show 12 --service notifications
    """
    targets = _targets(ctx)

    async def get() -> dict[str, Any]:
        async with database(targets.service(service)) as engine:
            return await dlq_ops.get_dead_letter(engine, letter_id)

    letter = _run(get())
    if as_json:
        print_json(letter)
        return
    for key in ("id", "consumer", "event_id", "event_type", "subject", "deliveries",
                "stream_seq", "failed_at", "replayed_at"):
        console.print(f"[bold]{key}[/]: {letter[key]}")
    console.print("[bold]headers[/]:", letter["headers"])
    console.print("[bold]payload[/]:", letter["payload"], markup=False)
    console.print("[bold red]error[/]:")
    console.print(letter["error"], markup=False)


@dlq_app.command("replay")
def dlq_replay(
    ctx: typer.Context,
    service: ServiceOpt,
    letter_ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids")] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Every unreplayed one")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replay one already replayed")] = False,
) -> None:
    """Republish dead letters (same subject, headers and event id; a fresh Nats-Msg-Id) once
    the fault is fixed; the consumer's inbox still prevents doubles.

    Example: ocop dlq replay 12 --service notifications
    """
    if bool(letter_ids) == replay_all:
        err_console.print("[red]error:[/] give dead letter ids or --all (not both)")
        raise typer.Exit(2)
    targets = _targets(ctx)

    async def go() -> list[int]:
        async with database(targets.service(service)) as engine, \
                nats_connection(targets) as nc:
            with _progress() as progress:
                task = progress.add_task(f"replaying {service}", total=None)
                return await dlq_ops.replay(
                    engine, nc.jetstream(), None if replay_all else list(letter_ids or []),
                    force=force, progress=lambda _letter: progress.advance(task))

    replayed = _run(go())
    console.print(f"replayed {len(replayed)} dead letter(s): {replayed}")


@dlq_app.command("drop")
def dlq_drop(
    ctx: typer.Context, letter_id: Annotated[int, typer.Argument(help="Dead letter id")],
    service: ServiceOpt,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
) -> None:
    """Delete a dead letter for good (after reading it with `show`).

    Example: ocop dlq drop 12 --service notifications --yes
    """
    targets = _targets(ctx)
    if not yes:
        typer.confirm(f"Delete dead letter {letter_id} of {service}?", abort=True)

    async def go() -> None:
        async with database(targets.service(service)) as engine:
            await dlq_ops.drop(engine, letter_id)

    _run(go())
    console.print(f"dropped dead letter {letter_id} of {service}")


# --- events ----------------------------------------------------------------------------------

@events_app.command("tail")
def events_tail(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", help="NATS subject filter")] = "ocop.>",
    since: Annotated[str | None, typer.Option(help="Start at this time (ISO 8601 or 30m, 2h, "
                                                   "1d back); default: new events only")] = None,
    count: Annotated[int | None, typer.Option(help="Stop after N events")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Follow events as they are stored (Ctrl-C stops): time, type, subject, entity, payload.

    Example: ocop events tail --subject 'ocop.registry.>' --since 1h --count 20
    """
    targets = _targets(ctx)
    start = _time(since, "--since")

    def show(event: event_ops.StoredEvent) -> None:
        data = event.as_dict()
        if as_json:
            print_json(data)
            return
        line = Text()
        line.append(str(data["time"] or data["stored_at"]), style="dim")
        line.append(f" {data['type']} ", style="bold")
        line.append(event.subject)
        line.append(f" {data['entity']} ", style="cyan")
        line.append(first_line(event.data.decode("utf-8", errors="replace"), 80))
        console.print(line, highlight=False, soft_wrap=True)

    async def go() -> int:
        async with nats_connection(targets) as nc:
            return await event_ops.tail(nc.jetstream(), subject, since=start, count=count,
                                        on_event=show)

    try:
        _run(go())
    except KeyboardInterrupt:
        pass


@events_app.command("replay")
def events_replay(
    ctx: typer.Context,
    service: ServiceOpt,
    consumer_source: Annotated[str, typer.Option("--consumer-source",
                                                 help="The publisher whose stream it reads")],
    since: Annotated[str, typer.Option(help="ISO 8601 time, or 30m / 6h / 2d back")],
    until: Annotated[str | None, typer.Option(help="End of the range (default: now)")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
) -> None:
    """Replay a range of stored events into ONE consumer to rebuild its projections: deletes
    its inbox rows for them and publishes copies (same event id, fresh Nats-Msg-Id). The
    stream keeps the copies; other consumers' inboxes absorb them.

    Example: ocop events replay --service promotion --consumer-source registry --since 2d
    """
    targets = _targets(ctx)
    start, end = _time(since, "--since"), _time(until, "--until")

    async def go() -> int:
        spec = event_ops.consumer_spec(service, consumer_source)
        async with nats_connection(targets) as nc, \
                database(targets.service(service)) as engine:
            js = nc.jetstream()
            with _progress() as progress:
                task = progress.add_task(f"reading {spec.stream}", total=None)
                events = await event_ops.collect_for_consumer(
                    js, spec, start, end, progress=lambda _e: progress.advance(task))
            if not events:
                return 0
            if not yes and not typer.confirm(
                    f"Replay {len(events)} event(s) into {spec.durable}@{spec.stream}?"):
                raise typer.Abort()
            forgotten = await event_ops.forget_in_inbox(engine, spec.durable, events)
            err_console.print(f"deleted {forgotten} inbox row(s) of {spec.durable}")
            with _progress() as progress:
                task = progress.add_task("publishing copies", total=len(events))
                for event in events:
                    await event_ops.publish_copy(js, event)
                    progress.advance(task)
            return len(events)

    replayed = _run(go())
    console.print(f"replayed {replayed} event(s) into {service} (from {consumer_source})")


@events_app.command("republish")
def events_republish(
    ctx: typer.Context,
    service: ServiceOpt,
    since: Annotated[str, typer.Option(help="Outbox rows published since (ISO 8601 or 1d)")],
    until: Annotated[str | None, typer.Option(help="... and until (default: now)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-send a service's published outbox events with their original Nats-Msg-Id: recovery
    after the broker lost acknowledged messages (JetStream drops those it still has within
    its duplicate window; consumers' inboxes make the rest safe).

    Example: ocop events republish --service registry --since 2026-11-27T00:00:00Z
    """
    targets = _targets(ctx)
    start, end = _time(since, "--since"), _time(until, "--until")

    async def go() -> dict[str, int]:
        async with nats_connection(targets) as nc, \
                database(targets.service(service)) as engine:
            total = await event_ops.count_published(engine, start, end)
            with _progress() as progress:
                task = progress.add_task(f"republishing {service}", total=total)
                return await event_ops.republish_outbox(
                    engine, nc.jetstream(), service, start, end,
                    progress=lambda _dup: progress.advance(task))

    summary = _run(go())
    if as_json:
        print_json({"service": service, **summary})
    else:
        console.print(f"{service}: sent {summary['sent']}, duplicates (still stored) "
                      f"{summary['duplicates']}")


# --- streams -----------------------------------------------------------------------------

@streams_app.command("apply")
def streams_apply(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking")] = False,
    replicas: Annotated[int | None, typer.Option(
        help="Replicas per stream (3 in a 3-node cluster; default: the topology's)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the diff")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Show how the server differs from the topology, then create/update streams and
    consumers (idempotent: a second run shows nothing to change).

    Example: ocop streams apply --replicas 3 --yes
    """
    targets = _targets(ctx)
    topology = stream_ops.topology_with(replicas)

    async def go() -> dict[str, Any]:
        async with nats_connection(targets) as nc:
            js = nc.jetstream()
            changes = await stream_ops.compute(js, topology)
            if not as_json:
                stream_ops.render(changes)
            applied: list[str] = []
            if changes and not dry_run:
                if not yes and not typer.confirm("Apply these changes?"):
                    raise typer.Abort()
                applied = await stream_ops.apply(js, topology)
            return {"changes": [stream_ops.as_dict(c) for c in changes], "applied": applied}

    result = _run(go())
    if as_json:
        print_json(result)
    elif result["applied"]:
        console.print(f"[green]applied {len(result['applied'])} change(s)[/]")


# --- db ------------------------------------------------------------------------------------

@db_app.command("migrate")
def db_migrate(
    ctx: typer.Context,
    service: Annotated[str, typer.Option("--service", "-s", help="A service or all")] = "all",
    revision: Annotated[str, typer.Option(help="Alembic revision")] = "head",
) -> None:
    """Run the services' database migrations (Alembic) up to a revision.

    Example: ocop db migrate --service registry --revision head
    """
    targets = _targets(ctx)
    failed = False
    for target in targets.select(service):
        try:
            with console.status(f"migrating {target.name} to {revision}"):
                db_ops.migrate(target, revision)
        except OpsError as exc:
            err_console.print(f"[red]error:[/] {exc}")
            failed = True
            continue
        console.print(f"[green]{target.name}[/]: at {revision}")
    if failed:
        raise typer.Exit(1)


def main() -> None:
    app()
