"""`ocop-dev`: run the whole platform on this machine (no Docker needed)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..auth import DEV_PRINCIPALS
from .demo import DemoError, demo_producer_id, flow_summary, load_demo
from .mailsink import MailNotFound, list_messages, read_message
from .stack import (
    DEFAULT_HTTP_PORTS,
    DEFAULT_SMTP_PORT,
    HOST,
    MAIL_DIR,
    SECRET_FILE,
    STATE_FILE,
    Stack,
    StackError,
    default_data_dir,
    port_available,
    resolve_secret,
)

app = typer.Typer(
    name="ocop-dev",
    help="Run the OCOP platform locally: NATS, PostgreSQL and the four services.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

DEFAULT_NATS_PORT = 4222
DEFAULT_POSTGRES_PORT = 5432


class StopRequested(BaseException):
    """Raised in the main thread by the SIGINT/SIGTERM handler (not an Exception on purpose:
    it must not be swallowed by `except Exception` while the stack starts)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name


def _install_signal_handlers() -> None:
    """SIGINT and SIGTERM stop the stack. Installed explicitly because a background job of a
    non-interactive shell starts with SIGINT ignored."""
    fired = False

    def handler(signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return  # already stopping: let the orderly shutdown finish
        fired = True
        name = signal.Signals(signum).name
        console.print(f"\n[bold]{name} received: stopping everything ocop-dev started…[/]")
        raise StopRequested(signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def _quiet_signals() -> None:
    """While stopping, further Ctrl-C/SIGTERM only produce a note."""

    def note(signum: int, _frame: FrameType | None) -> None:
        errors.print(f"[yellow]{signal.Signals(signum).name} received: already stopping…[/]")

    signal.signal(signal.SIGINT, note)
    signal.signal(signal.SIGTERM, note)


def _pick_port(preferred: int, what: str) -> int | None:
    """`preferred` when free, else None (= let the stack choose a free port) with a note."""
    if port_available(HOST, preferred):
        return preferred
    console.print(f"[yellow]port {preferred} is in use; the embedded {what} gets a free port[/]")
    return None


def _step(line: str) -> None:
    console.print(f"[dim]•[/] {line}")


def _tokens(secret: str, data_dir: Path) -> dict[str, str]:
    """The dev tokens; the producer one acts for the demo's first producer once loaded."""
    from ..auth import dev_tokens

    return dev_tokens(secret, producer_id=demo_producer_id(data_dir))


def _print_tokens(tokens: dict[str, str], registry_url: str, notifications_url: str,
                  source: str) -> None:
    console.print(f"\n[bold]Development tokens[/] (valid 7 days; {source}; "
                  "never use in production)")
    for role, token in tokens.items():
        principal = DEV_PRINCIPALS[role]  # type: ignore[index]
        where = f"province {principal.province_code}" if principal.province_code else "everywhere"
        console.print(f"[cyan]{role}[/] [dim]({principal.subject}, {where})[/]")
        console.print(token, soft_wrap=True)
    console.print("\n[bold]Try it[/]")
    console.print(f"TOKEN={tokens['operator']}", soft_wrap=True)
    console.print(f'curl -s -H "Authorization: Bearer $TOKEN" {notifications_url}/deliveries',
                  soft_wrap=True)
    console.print(f'curl -s -H "Authorization: Bearer $TOKEN" "{registry_url}/products?limit=5"',
                  soft_wrap=True)


def _write_tokens_env(data_dir: Path, tokens: dict[str, str]) -> Path:
    path = data_dir / "tokens.env"
    lines = [f"OCOP_TOKEN_{role.upper()}={token}" for role, token in tokens.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def _print_stack(stack: Stack, secret_source: str) -> None:
    table = Table(title="OCOP dev stack", title_justify="left", show_lines=False)
    table.add_column("Service", style="bold")
    table.add_column("HTTP API")
    table.add_column("API docs")
    table.add_column("pid", justify="right", style="dim")
    pids = stack.service_pids
    for name, url in stack.service_urls.items():
        table.add_row(name, url, stack.docs_urls[name], str(pids.get(name, "-")))
    console.print()
    console.print(table)

    infra = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    infra.add_column(style="bold")
    infra.add_column()
    embedded = " (embedded, pid {})"
    nats_note = embedded.format(stack.embedded_nats.pid) if stack.embedded_nats else " (external)"
    pg_note = (embedded.format(stack.embedded_postgres.pid) if stack.embedded_postgres
               else " (external)")
    infra.add_row("NATS", stack.nats_url + nats_note)
    infra.add_row("PostgreSQL", _display_db(stack.database_server_url) + pg_note)
    infra.add_row("Databases", ", ".join(stack.database_names.values()))
    infra.add_row("Data folder", str(stack.data_dir))
    infra.add_row("Logs", str(stack.logs_dir / "<service>.log"))
    if stack.mail_sink is not None:
        infra.add_row("Mail (SMTP)", f"{stack.smtp_url} (local sink, pid {stack.mail_sink.pid}); "
                      "no email leaves this machine")
        infra.add_row("Emails", f"{stack.mail_dir}; read them with `ocop-dev mail` and "
                      "`ocop-dev mail show ID`")
    console.print(infra)
    tokens = stack.tokens()
    _print_tokens(tokens, stack.service_urls["registry"], stack.service_urls["notifications"],
                  secret_source)
    tokens_env = _write_tokens_env(stack.data_dir, tokens)
    console.print(f"[dim](also in {tokens_env}: `source` it for $OCOP_TOKEN_OPERATOR, …)[/]")


def _display_db(url: str) -> str:
    from .stack import _hide_password

    return _hide_password(url)


def _print_flow(summary: dict[str, Any]) -> None:
    table = Table(title="Demo flow", title_justify="left")
    for column in ("Product", "Code", "Status", "Score", "Stars", "Referred"):
        table.add_column(column)
    for p in summary["products"]:
        table.add_row(p["name"], p["code"], p["status"],
                      "-" if p["score"] is None else f"{p['score']:g}",
                      "-" if p["stars"] is None else str(p["stars"]),
                      "yes" if p["referred_to_ministry"] else "no")
    console.print(table)
    console.print(f"ceremonies planned: {summary['ceremonies']}    "
                  f"notifications delivered: {summary['deliveries']}")
    if not summary["caught_up"]:
        console.print("[yellow]the event-driven part has not caught up yet; "
                      "check again in a moment or look at the logs[/]")


UP_HELP = "\n\n".join([
    "Start NATS, PostgreSQL and the four services, load demo data, print URLs and tokens.",
    "Without OCOP_NATS_URL / OCOP_DATABASE_SERVER_URL an embedded nats-server and PostgreSQL "
    "are started with their data in the data folder, so stopping and starting again keeps "
    "everything. Emails go to a local SMTP sink (port OCOP_DEV_SMTP_PORT, default 8025) that "
    "keeps them in <data folder>/mail: read them with `ocop-dev mail`. "
    "The JWT secret is OCOP_JWT_SECRET or one generated once and kept in the data "
    "folder. Ctrl-C (or SIGTERM) stops everything that was started.",
    "[bold]Examples[/]",
    "  [cyan]ocop-dev up[/]   [dim]# everything embedded, data in <repo>/.ocop, "
    "APIs on ports 8001-8004[/]",
    "  [cyan]OCOP_DATA_DIR=/tmp/ocop ocop-dev up --foreground-logs --no-demo[/]",
    "  [cyan]ocop-dev up --nats-url nats://localhost:4222 --registry-port 9001[/]   "
    "[dim]# an existing NATS[/]",
    "  [cyan]OCOP_DATABASE_SERVER_URL=postgresql://postgres:pw@db:5432/postgres ocop-dev up[/]",
])

TOKENS_HELP = "\n\n".join([
    "Print the development tokens (one per role) again, with a curl example.",
    "They are signed with $OCOP_JWT_SECRET, else with the secret kept in the data folder, so "
    "they match a stack started with the same data folder.",
    "[bold]Example[/]",
    "  [cyan]ocop-dev tokens[/]",
])


@app.command(help=UP_HELP)
def up(
    data_dir: Path = typer.Option(
        None, "--data-dir", envvar="OCOP_DATA_DIR", show_default=False,
        help="Data folder for embedded servers, logs, JWT secret. \\[default: <repo>/.ocop]"),
    nats_url: str = typer.Option(
        None, "--nats-url", envvar="OCOP_NATS_URL", show_default=False,
        help="Use this NATS server (JetStream) instead of starting one."),
    database_server_url: str = typer.Option(
        None, "--database-server-url", envvar="OCOP_DATABASE_SERVER_URL", show_default=False,
        help="Use this PostgreSQL server; databases ocop_<service> are created on it."),
    registry_port: int = typer.Option(DEFAULT_HTTP_PORTS["registry"],
                                      envvar="OCOP_REGISTRY_HTTP_PORT"),
    evaluation_port: int = typer.Option(DEFAULT_HTTP_PORTS["evaluation"],
                                        envvar="OCOP_EVALUATION_HTTP_PORT"),
    promotion_port: int = typer.Option(DEFAULT_HTTP_PORTS["promotion"],
                                       envvar="OCOP_PROMOTION_HTTP_PORT"),
    notifications_port: int = typer.Option(DEFAULT_HTTP_PORTS["notifications"],
                                           envvar="OCOP_NOTIFICATIONS_HTTP_PORT"),
    nats_port: int = typer.Option(
        DEFAULT_NATS_PORT, envvar="OCOP_DEV_NATS_PORT",
        help="Port of the embedded NATS server (a free one if taken)."),
    postgres_port: int = typer.Option(
        DEFAULT_POSTGRES_PORT, envvar="OCOP_DEV_POSTGRES_PORT",
        help="Port of the embedded PostgreSQL (a free one if taken)."),
    smtp_port: int = typer.Option(
        DEFAULT_SMTP_PORT, envvar="OCOP_DEV_SMTP_PORT",
        help="Port of the local mail sink the notifications service sends email to "
             "(a free one if taken)."),
    demo: bool = typer.Option(True, "--demo/--no-demo",
                              help="Load the demo data (once per data folder)."),
    foreground_logs: bool = typer.Option(
        False, "--foreground-logs",
        help="Show the services' logs here, prefixed with their name (also kept in files)."),
    log_level: str = typer.Option("INFO", envvar="OCOP_LOG_LEVEL"),
    ready_timeout: float = typer.Option(120.0, help="Seconds to wait for the services."),
) -> None:
    _install_signal_handlers()
    folder = (data_dir.expanduser().resolve() if data_dir else default_data_dir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        from_env = bool(os.environ.get("OCOP_JWT_SECRET"))
        secret = resolve_secret(folder)
        stack = Stack(
            data_dir=folder,
            nats_url=nats_url or None,
            database_server_url=database_server_url or None,
            jwt_secret=secret,
            http_ports={"registry": registry_port, "evaluation": evaluation_port,
                        "promotion": promotion_port, "notifications": notifications_port},
            nats_port=None if nats_url else _pick_port(nats_port, "NATS"),
            postgres_port=None if database_server_url else _pick_port(postgres_port, "PostgreSQL"),
            mail_sink=True,
            smtp_port=_pick_port(smtp_port, "mail sink"),
            foreground_logs=foreground_logs,
            log_level=log_level,
            ready_timeout=ready_timeout,
            reporter=_step,
        )
    except StopRequested:
        raise typer.Exit(0) from None
    except (StackError, ValueError, OSError) as exc:
        errors.print(f"[bold red]ocop-dev: {exc}[/]")
        raise typer.Exit(1) from None
    secret_source = ("secret from $OCOP_JWT_SECRET" if from_env
                     else f"secret kept in {folder / SECRET_FILE}")
    stop_reason = None
    exit_code = 0
    try:
        console.print(f"[bold]Starting the OCOP dev stack[/] (data folder {folder})")
        stack.start()
        if demo:
            console.print("[bold]Demo data[/]")
            try:
                load_demo(stack.service_urls, stack.jwt_secret, stack.data_dir, report=_step)
                _print_flow(flow_summary(stack.service_urls, stack.jwt_secret, stack.data_dir,
                                         wait=30.0))
            except (DemoError, OSError, ValueError, KeyError) as exc:
                errors.print(f"[bold yellow]demo data not loaded: {exc}[/]\n"
                             "The stack keeps running; fix the cause and start again to retry.")
        _print_stack(stack, secret_source)
        console.print("\n[bold green]Running.[/] Press Ctrl-C to stop everything.")
        reported: set[str] = set()
        while True:
            for name, code in stack.exited().items():
                if name not in reported:
                    reported.add(name)
                    errors.print(f"[bold red]{name} exited with code {code}; "
                                 f"see {stack.log_paths[name]}[/]")
            time.sleep(1.0)
    except StopRequested as stop:
        stop_reason = stop.signal_name
    except StackError as exc:
        errors.print(f"[bold red]ocop-dev: could not start the stack:[/]\n{exc}")
        exit_code = 1
    finally:
        _quiet_signals()
        stack.stop()
        if stop_reason:
            console.print(f"[bold green]Stopped.[/] Data kept in {folder}.")
    raise typer.Exit(exit_code)


@app.command(help=TOKENS_HELP)
def tokens(
    data_dir: Path = typer.Option(
        None, "--data-dir", envvar="OCOP_DATA_DIR", show_default=False,
        help="Data folder of the stack. \\[default: <repo>/.ocop]"),
) -> None:
    folder = data_dir.expanduser().resolve() if data_dir else default_data_dir()
    from_env = bool(os.environ.get("OCOP_JWT_SECRET"))
    if not from_env and not (folder / SECRET_FILE).exists():
        errors.print(f"[yellow]no secret in {folder} yet: start the stack once with "
                     "`ocop-dev up` (a new secret is created now)[/]")
    try:
        secret = resolve_secret(folder)
    except StackError as exc:
        errors.print(f"[bold red]ocop-dev: {exc}[/]")
        raise typer.Exit(1) from None
    urls = {n: f"http://{HOST}:{os.environ.get(f'OCOP_{n.upper()}_HTTP_PORT', p)}"
            for n, p in DEFAULT_HTTP_PORTS.items()}
    try:  # a running stack wrote its actual URLs
        urls.update(json.loads((folder / STATE_FILE).read_text("utf-8"))["services"])
    except (OSError, ValueError, KeyError):
        pass
    source = ("secret from $OCOP_JWT_SECRET" if from_env
              else f"secret kept in {folder / SECRET_FILE}")
    _print_tokens(_tokens(secret, folder), urls["registry"], urls["notifications"], source)


MAIL_HELP = "\n\n".join([
    "List the emails the local run sent, newest first (the stack's mail sink keeps them in "
    "<data folder>/mail). `ocop-dev mail show ID` prints one.",
    "[bold]Examples[/]",
    "  [cyan]ocop-dev mail[/]   [dim]# the 20 newest[/]",
    "  [cyan]ocop-dev mail --limit 100 --data-dir /tmp/ocop[/]",
    "  [cyan]ocop-dev mail show 20260301-101500-a1b2c3[/]",
])

MAIL_SHOW_HELP = "\n\n".join([
    "Print one email: its headers (decoded) and its text body. ID is the first column of "
    "`ocop-dev mail`; a unique beginning of it is enough.",
    "[bold]Example[/]",
    "  [cyan]ocop-dev mail show 20260301-101500-a1b2c3[/]",
])

mail_app = typer.Typer(
    name="mail", help=MAIL_HELP, invoke_without_command=True, no_args_is_help=False,
    add_completion=False, rich_markup_mode="rich",
)
app.add_typer(mail_app, name="mail")

_DATA_DIR_OPTION_HELP = ("Data folder of the stack (emails are in its mail/). "
                         "\\[default: <repo>/.ocop]")


def _mail_dir(data_dir: Path | None) -> Path:
    folder = data_dir.expanduser().resolve() if data_dir else default_data_dir()
    return folder / MAIL_DIR


@mail_app.callback()
def mail(
    ctx: typer.Context,
    data_dir: Path = typer.Option(None, "--data-dir", envvar="OCOP_DATA_DIR",
                                  show_default=False, help=_DATA_DIR_OPTION_HELP),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many to list."),
) -> None:
    ctx.obj = {"data_dir": data_dir}
    if ctx.invoked_subcommand is not None:
        return
    folder = _mail_dir(data_dir)
    messages = list_messages(folder, limit=limit)
    if not messages:
        console.print(f"no emails in {folder} yet (the mail sink of `ocop-dev up` stores "
                      "them there)")
        return
    table = Table(title=f"Emails in {folder} (newest first)", title_justify="left")
    table.add_column("ID", style="cyan", no_wrap=True)
    table.add_column("Received (UTC)", no_wrap=True)
    table.add_column("From")
    table.add_column("To")
    table.add_column("Subject")
    for m in messages:
        received = m.received_at.replace("T", " ").removesuffix("+00:00")
        table.add_row(*(Text(cell) for cell in (m.id, received, m.sender, ", ".join(m.to),
                                                 m.subject)))
    console.print(table)
    console.print("[dim]read one with: ocop-dev mail show ID[/]")


@mail_app.command(help=MAIL_SHOW_HELP)
def show(
    ctx: typer.Context,
    message_id: str = typer.Argument(..., metavar="ID", help="The email's id (or its start)."),
    data_dir: Path = typer.Option(None, "--data-dir", envvar="OCOP_DATA_DIR",
                                  show_default=False, help=_DATA_DIR_OPTION_HELP),
) -> None:
    folder = _mail_dir(data_dir or (ctx.obj or {}).get("data_dir"))
    try:
        message = read_message(folder, message_id)
    except MailNotFound as exc:
        errors.print(f"[bold red]ocop-dev: {exc}[/]", markup=True)
        raise typer.Exit(1) from None
    console.print(f"[bold]Email {message.id}[/] received {message.received_at} "
                  f"[dim]({message.path})[/]")
    console.print(f"Envelope to: {', '.join(message.to)}", markup=False)
    for name, value in message.headers:
        console.print(f"{name}: {value}", markup=False)
    console.print()
    console.print(message.body, markup=False, soft_wrap=True)


def main() -> None:
    app(prog_name="ocop-dev")


if __name__ == "__main__":
    sys.exit(main())
