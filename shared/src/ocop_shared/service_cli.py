"""The command line every service process has: `serve`, `migrate`, `asyncapi`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
import uvicorn

from .logging import configure_logging
from .messaging.asyncapi import render
from .migrations import upgrade
from .runtime import ServiceDefinition, ServiceRuntime
from .errors import ConfigurationError
from .settings import ServiceSettings


def service_cli(
    definition: Callable[[], ServiceDefinition],
    settings: Callable[[], ServiceSettings],
    *,
    extra: typer.Typer | None = None,
) -> typer.Typer:
    """The service's command line; `extra` adds the service's own commands beside the
    common ones (e.g. the registry's import)."""
    try:
        d = definition()
    except ConfigurationError as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise SystemExit(2) from None
    cli = typer.Typer(help=f"OCOP {d.name} service.", no_args_is_help=True, add_completion=False)
    if extra is not None:
        cli.registered_commands.extend(extra.registered_commands)

    @cli.command()
    def serve(
        migrate: bool = typer.Option(True, help="Run database migrations before starting."),
    ) -> None:
        """Run the HTTP API, the outbox relay and the event consumers.

        Example: OCOP_NATS_URL=nats://127.0.0.1:4222 ocop-registry serve
        """
        s = settings()
        configure_logging(d.name, level=s.log_level, fmt=s.log_format)
        if migrate:
            upgrade(d.migrations_dir, s.database_url)
        app = ServiceRuntime(d, s).app()
        uvicorn.run(app, host=s.http_host, port=s.http_port, log_config=None,
                    access_log=False, timeout_graceful_shutdown=10)

    @cli.command()
    def migrate(revision: str = typer.Argument("head")) -> None:
        """Bring the service's database to a migration revision.

        Example: ocop-registry migrate head
        """
        s = settings()
        configure_logging(d.name, level=s.log_level, fmt=s.log_format)
        upgrade(d.migrations_dir, s.database_url, revision)

    @cli.command()
    def asyncapi(
        output: Path | None = typer.Option(None, help="Write the document here instead of stdout."),
    ) -> None:
        """Print the AsyncAPI document of the service's events.

        Example: ocop-registry asyncapi --output services/registry/asyncapi.yaml
        """
        document = render(d.name, d.version)
        if output is None:
            typer.echo(document)
        else:
            output.write_text(document, encoding="utf-8")

    return cli


__all__ = ["service_cli"]
