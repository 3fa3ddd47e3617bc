"""The local development stack: `Stack` (NATS, PostgreSQL and the four services as child
processes, usable from tests) and the `ocop-dev` command (`main`)."""

from __future__ import annotations

from .stack import (
    DEFAULT_HTTP_PORTS,
    SERVICES,
    ServiceProcess,
    Stack,
    StackError,
    default_data_dir,
    find_repo_root,
    load_or_create_secret,
    port_available,
    resolve_secret,
)


def main() -> None:
    """Entry point of the `ocop-dev` console script."""
    from .cli import main as cli_main

    cli_main()


__all__ = [
    "DEFAULT_HTTP_PORTS",
    "SERVICES",
    "ServiceProcess",
    "Stack",
    "StackError",
    "default_data_dir",
    "find_repo_root",
    "load_or_create_secret",
    "main",
    "port_available",
    "resolve_secret",
]
