"""`ocop db migrate`: each service's Alembic migrations (its `bootstrap.MIGRATIONS`)."""

from __future__ import annotations

import importlib
from pathlib import Path

from ..migrations import upgrade
from .targets import OpsError, ServiceTarget


def migrations_dir(target: ServiceTarget) -> Path:
    """The service's migrations folder, imported lazily (the CLI needs only the services it
    migrates to be installed)."""
    try:
        module = importlib.import_module(target.migrations_module)
    except ImportError as exc:
        raise OpsError(f"cannot import {target.migrations_module} (is ocop-{target.name} "
                       f"installed?): {exc}") from exc
    return Path(module.MIGRATIONS)


def migrate(target: ServiceTarget, revision: str = "head") -> None:
    """Bring the service's database to `revision` (blocking)."""
    folder = migrations_dir(target)
    try:
        upgrade(folder, target.database_url, revision)
    except Exception as exc:  # noqa: BLE001 - report which service failed and why
        raise OpsError(f"{target.name}: migration to {revision} failed: {exc!r}") from exc
