"""Where the CLI finds the platform: the NATS URL and, per service, its database and HTTP URL.

Read from a TOML file (`ocop --config ops.toml`) and the environment; the file wins, the
environment fills what it leaves out, defaults (the local run's addresses) fill the rest::

    nats_url = "nats://ops:secret@nats-1:4222,nats://ops:secret@nats-2:4222"
    nats_user = "ops"                      # optional (or OCOP_NATS_USER / OCOP_NATS_PASSWORD)
    nats_password = "..."
    jwt_secret = "..."                     # optional: sends an operator token to /ready
    [services.registry]
    database_url = "postgresql://ocop@db:5432/ocop_registry"
    http_url = "http://registry:8001"

Environment: OCOP_NATS_URL, OCOP_NATS_USER, OCOP_NATS_PASSWORD, OCOP_JWT_SECRET,
OCOP_<SERVICE>_DATABASE_URL, OCOP_<SERVICE>_HTTP_URL (e.g. OCOP_REGISTRY_DATABASE_URL).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..contracts import SERVICES

HTTP_PORTS = {"registry": 8001, "evaluation": 8002, "promotion": 8003, "notifications": 8004}


class OpsError(Exception):
    """A problem the operator must fix (bad option, unknown service, unreachable server)."""


@dataclass(frozen=True)
class ServiceTarget:
    name: str
    database_url: str
    http_url: str

    @property
    def migrations_module(self) -> str:
        return f"ocop_{self.name}.bootstrap"


@dataclass(frozen=True)
class Targets:
    nats_url: str
    jwt_secret: str | None = None
    nats_user: str | None = None
    nats_password: str | None = None
    services: dict[str, ServiceTarget] = field(default_factory=dict)

    @property
    def nats_servers(self) -> list[str]:
        return [url.strip() for url in self.nats_url.split(",") if url.strip()]

    def service(self, name: str) -> ServiceTarget:
        try:
            return self.services[name]
        except KeyError:
            known = ", ".join(self.services)
            raise OpsError(f"unknown service {name!r} (known: {known})") from None

    def select(self, name: str | None) -> list[ServiceTarget]:
        """One service by name, or every service when `name` is None or 'all'."""
        if name in (None, "all"):
            return list(self.services.values())
        return [self.service(name)]


def load_targets(config: Path | None = None,
                 environ: Mapping[str, str] | None = None) -> Targets:
    env = os.environ if environ is None else environ
    data: dict = {}
    if config is not None:
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
        except OSError as exc:
            raise OpsError(f"cannot read config {config}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise OpsError(f"config {config} is not valid TOML: {exc}") from exc
    listed = data.get("services", {})
    unknown = sorted(set(listed) - set(SERVICES))
    if unknown:
        raise OpsError(f"config {config}: unknown services {unknown} (known: {list(SERVICES)})")
    services = {}
    for name in SERVICES:
        own = listed.get(name, {})
        prefix = f"OCOP_{name.upper()}_"
        services[name] = ServiceTarget(
            name=name,
            database_url=own.get("database_url") or env.get(f"{prefix}DATABASE_URL")
            or f"postgresql://postgres@127.0.0.1:5432/ocop_{name}",
            http_url=(own.get("http_url") or env.get(f"{prefix}HTTP_URL")
                      or f"http://127.0.0.1:{HTTP_PORTS.get(name, 8000)}").rstrip("/"),
        )
    return Targets(
        nats_url=data.get("nats_url") or env.get("OCOP_NATS_URL") or "nats://127.0.0.1:4222",
        jwt_secret=data.get("jwt_secret") or env.get("OCOP_JWT_SECRET") or None,
        nats_user=data.get("nats_user") or env.get("OCOP_NATS_USER") or None,
        nats_password=data.get("nats_password") or env.get("OCOP_NATS_PASSWORD") or None,
        services=services,
    )
