"""`Stack`: NATS, PostgreSQL and the four services as local child processes.

Used by `ocop-dev up` and by tests. Given a NATS URL and a PostgreSQL server URL it uses
them; without them it starts an embedded `nats-server` and a durable embedded PostgreSQL
whose data lives in the data folder, so a restart finds everything again. It then creates
one database per service, provisions the JetStream topology once, starts
`python -m ocop_<service> serve` for each service and waits until every `/ready` says 200.

    with Stack(nats_url=..., database_server_url=..., data_dir=tmp) as stack:
        httpx.get(stack.service_urls["registry"] + "/health")

With `mail_sink=True` (what `ocop-dev up` does) it also starts the local SMTP sink
(`ocop_shared.devstack.mailsink`) with its messages in `<data_dir>/mail`, and points the
notifications service at it (`OCOP_NOTIFICATIONS_SMTP_HOST` / `_SMTP_PORT`).

`stop()` sends SIGTERM to each service pid, waits, SIGKILLs what is left after
`stop_timeout`, then stops the embedded servers it started (never servers given by URL).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self, TextIO, TypeVar

import httpx

from ..auth import MIN_SECRET_BYTES, dev_tokens
from ..embedded._process import log_tail
from ..embedded.nats import EmbeddedNats
from ..embedded.ports import free_ports
from .demo import demo_producer_id
from ..embedded.postgres import EmbeddedPostgres, create_database, database_url

if TYPE_CHECKING:  # imported when used: `python -m ...devstack.mailsink` imports this package
    from .mailsink import MailSinkProcess

SERVICES: tuple[str, ...] = ("registry", "evaluation", "promotion", "notifications")
"""The services, in start order."""

DEFAULT_HTTP_PORTS: dict[str, int] = {
    "registry": 8001, "evaluation": 8002, "promotion": 8003, "notifications": 8004,
}
"""HTTP ports `ocop-dev up` uses unless told otherwise (the services' own defaults too)."""

HOST = "127.0.0.1"
DATA_DIR_ENV = "OCOP_DATA_DIR"
NATS_URL_ENV = "OCOP_NATS_URL"
DATABASE_SERVER_URL_ENV = "OCOP_DATABASE_SERVER_URL"
JWT_SECRET_ENV = "OCOP_JWT_SECRET"
SMTP_PORT_ENV = "OCOP_DEV_SMTP_PORT"
DEFAULT_SMTP_PORT = 8025
MAIL_DIR = "mail"
SECRET_FILE = "jwt-secret"
STATE_FILE = "stack.json"

T = TypeVar("T")


class StackError(RuntimeError):
    """The stack could not start; the message says what failed and shows the log tail."""


# --------------------------------------------------------------------------- data folder


def find_repo_root(start: Path | None = None) -> Path | None:
    """The monorepo root (the folder holding `shared/pyproject.toml` and `services/`).

    Searched upwards from `start` (default: the working directory), then from this file
    (an editable install lives inside the repository). None when neither finds it.
    """
    for origin in (start or Path.cwd(), Path(__file__).resolve()):
        for folder in (origin, *origin.parents):
            if (folder / "shared" / "pyproject.toml").is_file() and (folder / "services").is_dir():
                return folder
    return None


def default_data_dir() -> Path:
    """`$OCOP_DATA_DIR`, else `.ocop/` at the repository root (or in the working directory)."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return ((find_repo_root() or Path.cwd()) / ".ocop").resolve()


def load_or_create_secret(data_dir: str | Path) -> str:
    """The JWT secret kept in `<data_dir>/jwt-secret`, created (random, mode 0600) if missing.

    Keeping it means tokens printed by an earlier run stay valid after a restart.
    """
    path = Path(data_dir) / SECRET_FILE
    try:
        existing = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if len(existing.encode()) >= MIN_SECRET_BYTES:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def resolve_secret(data_dir: str | Path, explicit: str | None = None) -> str:
    """`explicit`, else `$OCOP_JWT_SECRET`, else the secret stored in the data folder.

    Raises StackError when the chosen secret is shorter than the services accept.
    """
    secret = explicit or os.environ.get(JWT_SECRET_ENV) or load_or_create_secret(data_dir)
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise StackError(
            f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes "
            f"(got {len(secret.encode())}); "
            f"set a longer {JWT_SECRET_ENV} or unset it to use a generated one"
        )
    return secret


def port_available(host: str, port: int) -> bool:
    """True when nothing listens on `host:port`, i.e. a server could bind it now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Works whether or not the caller already runs an event loop (async tests), and never
    touches the caller's loop or event-loop policy.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocop-devstack") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


# --------------------------------------------------------------------------- services


_COLOURS = {"registry": "36", "evaluation": "35", "promotion": "33", "notifications": "32"}


@dataclass
class ServiceProcess:
    """One service child process and where its output goes."""

    name: str
    host: str
    port: int
    database_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_after: float | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)
    _pump: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The pid while the process runs, else None."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()


class Stack:
    """NATS + PostgreSQL (given by URL, or embedded) and the four services as child processes.

    Args:
        data_dir: folder for the embedded servers' data (`nats/`, `postgres/`), the service
            logs (`logs/<service>.log`), the generated JWT secret and `stack.json`.
            Default: `default_data_dir()` (`$OCOP_DATA_DIR` or `.ocop/` at the repo root).
        nats_url: an existing NATS server with JetStream; None starts an embedded one.
        database_server_url: an existing PostgreSQL server (any database in the URL; the
            per-service databases are created on that server); None starts an embedded one.
        jwt_secret: None uses `$OCOP_JWT_SECRET`, else the secret stored in `data_dir`.
        http_ports: service -> port; services not listed get a free port.
        host: interface the services listen on.
        services: which services to run (default all four).
        database_prefix: database of service `x` is `<prefix>x` (default `ocop_x`).
        nats_port / postgres_port: ports of the embedded servers (free ports when None).
        mail_sink: start the local SMTP sink (messages kept in `<data_dir>/mail`) and send the
            notifications service's email there (`ocop-dev up` does; default off).
        smtp_port: port of the mail sink (a free port when None).
        foreground_logs: copy the services' output to `output` (stdout) with a name prefix,
            as well as to their log files.
        log_level / log_format: `OCOP_LOG_LEVEL` / `OCOP_LOG_FORMAT` for the services
            (default: the caller's environment, else INFO / console).
        env: extra environment variables for the services (e.g. consumer tuning).
        ready_timeout: seconds to wait for every service's `/ready` to answer 200.
        stop_timeout: seconds a service gets after SIGTERM before SIGKILL.
        reporter: called with one line of progress per step (None: silent).
    """

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        nats_url: str | None = None,
        database_server_url: str | None = None,
        jwt_secret: str | None = None,
        http_ports: Mapping[str, int] | None = None,
        host: str = HOST,
        services: Sequence[str] = SERVICES,
        database_prefix: str = "ocop_",
        nats_port: int | None = None,
        postgres_port: int | None = None,
        mail_sink: bool = False,
        smtp_port: int | None = None,
        foreground_logs: bool = False,
        log_level: str | None = None,
        log_format: str | None = None,
        env: Mapping[str, str] | None = None,
        ready_timeout: float = 120.0,
        stop_timeout: float = 15.0,
        reporter: Callable[[str], None] | None = None,
        output: TextIO | None = None,
    ) -> None:
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; known: {', '.join(SERVICES)}")
        unknown_ports = set(http_ports or {}) - set(SERVICES)
        if unknown_ports:
            raise ValueError(f"http_ports names unknown services {sorted(unknown_ports)}")
        self.data_dir = Path(data_dir).expanduser().resolve() if data_dir else default_data_dir()
        self.logs_dir = self.data_dir / "logs"
        self.host = host
        self.foreground_logs = foreground_logs
        self.log_level = log_level or os.environ.get("OCOP_LOG_LEVEL") or "INFO"
        self.log_format = log_format or os.environ.get("OCOP_LOG_FORMAT") or "console"
        self.extra_env = dict(env or {})
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self._report = reporter or (lambda _line: None)
        self._output = output
        self.jwt_secret = resolve_secret(self.data_dir, jwt_secret)

        self._external_nats_url = nats_url
        self._external_database_url = database_server_url
        self.embedded_nats: EmbeddedNats | None = None
        self.embedded_postgres: EmbeddedPostgres | None = None
        self._nats_port = nats_port
        self._postgres_port = postgres_port
        self.mail_dir = self.data_dir / MAIL_DIR
        from .mailsink import MailSinkProcess

        self.mail_sink: MailSinkProcess | None = (
            MailSinkProcess(self.mail_dir, smtp_port, log_path=self.logs_dir / "mailsink.log")
            if mail_sink else None
        )

        ports = dict(http_ports or {})
        spare = iter(p for p in free_ports(len(services) * 2, host) if p not in ports.values())
        self.database_names = {name: f"{database_prefix}{name}" for name in services}
        self._services = {
            name: ServiceProcess(
                name=name,
                host=host,
                port=ports.get(name) or next(spare),
                database_url="",  # known once the PostgreSQL server is
                log_path=self.logs_dir / f"{name}.log",
            )
            for name in services
        }
        self.provisioned: list[str] = []
        self._started = False
        self._stopping = threading.Lock()

    # ----------------------------------------------------------------- from the environment

    @classmethod
    def from_env(cls, **overrides: Any) -> Stack:
        """A Stack configured like `ocop-dev up`: `OCOP_NATS_URL`, `OCOP_DATABASE_SERVER_URL`,
        `OCOP_DATA_DIR`, `OCOP_JWT_SECRET`, `OCOP_<SERVICE>_HTTP_PORT` (default 8001-8004),
        the mail sink on `OCOP_DEV_SMTP_PORT` (default 8025, a free port if taken).
        Keyword arguments win over the environment."""
        smtp_port = int(os.environ.get(SMTP_PORT_ENV) or DEFAULT_SMTP_PORT)
        ports = {
            name: int(os.environ.get(f"OCOP_{name.upper()}_HTTP_PORT", default))
            for name, default in DEFAULT_HTTP_PORTS.items()
        }
        values: dict[str, Any] = {
            "nats_url": os.environ.get(NATS_URL_ENV) or None,
            "database_server_url": os.environ.get(DATABASE_SERVER_URL_ENV) or None,
            "http_ports": ports,
            "mail_sink": True,
            "smtp_port": smtp_port if port_available(HOST, smtp_port) else None,
        }
        values.update(overrides)
        return cls(**values)

    # ----------------------------------------------------------------- what is running

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self._services)

    @property
    def service_urls(self) -> dict[str, str]:
        """service -> base URL of its HTTP API, e.g. `http://127.0.0.1:8001`."""
        return {name: s.url for name, s in self._services.items()}

    @property
    def docs_urls(self) -> dict[str, str]:
        """service -> its Swagger UI (`/docs`)."""
        return {name: f"{s.url}/docs" for name, s in self._services.items()}

    @property
    def http_ports(self) -> dict[str, int]:
        return {name: s.port for name, s in self._services.items()}

    @property
    def log_paths(self) -> dict[str, Path]:
        return {name: s.log_path for name, s in self._services.items()}

    @property
    def nats_url(self) -> str:
        """The NATS URL the services use (the given one, or the embedded server's)."""
        if self._external_nats_url:
            return self._external_nats_url
        if self.embedded_nats is not None:
            return self.embedded_nats.url
        raise StackError("the embedded NATS server has not been started yet")

    @property
    def database_server_url(self) -> str:
        """URL of the PostgreSQL server (its `postgres` database for an embedded server)."""
        if self._external_database_url:
            return self._external_database_url
        if self.embedded_postgres is not None:
            return self.embedded_postgres.url()
        raise StackError("the embedded PostgreSQL server has not been started yet")

    @property
    def database_urls(self) -> dict[str, str]:
        """service -> URL of its database."""
        return {name: s.database_url for name, s in self._services.items()}

    @property
    def service_pids(self) -> dict[str, int]:
        """service -> pid, for the service processes that are running."""
        return {name: s.pid for name, s in self._services.items() if s.pid is not None}

    @property
    def pids(self) -> dict[str, int]:
        """Every process this stack started and that still runs: the services, plus
        `nats` and `postgres` when they are embedded and `mailsink` when it runs."""
        pids = self.service_pids
        if self.embedded_nats is not None and self.embedded_nats.pid is not None:
            pids["nats"] = self.embedded_nats.pid
        if self.embedded_postgres is not None and self.embedded_postgres.pid is not None:
            pids["postgres"] = self.embedded_postgres.pid
        if self.mail_sink is not None and self.mail_sink.pid is not None:
            pids["mailsink"] = self.mail_sink.pid
        return pids

    @property
    def smtp_url(self) -> str | None:
        """`smtp://127.0.0.1:<port>` of the mail sink when the stack runs one, else None."""
        return self.mail_sink.url if self.mail_sink is not None else None

    @property
    def running(self) -> bool:
        return self._started

    def exited(self) -> dict[str, int]:
        """service -> exit code, for services that have exited while the stack runs."""
        return {
            name: s.returncode
            for name, s in self._services.items()
            if s.proc is not None and s.returncode is not None
        }

    def tokens(self) -> dict[str, str]:
        """One development token per role, signed with this stack's secret; once the demo
        data is loaded, the producer token acts for its first producer."""
        return dev_tokens(self.jwt_secret, producer_id=demo_producer_id(self.data_dir))

    # ----------------------------------------------------------------- start

    def start(self) -> Self:
        """Start everything and wait until every service is ready.

        Raises StackError (after stopping whatever it had started) when a server cannot be
        reached, a port is taken, or a service exits or is not ready in `ready_timeout`.
        """
        if self._started:
            return self
        self._started = True
        atexit.register(self.stop)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.logs_dir.mkdir(parents=True, exist_ok=True)
            self._check_ports()
            self._start_servers()
            self._prepare()
            for service in self._services.values():
                self._spawn(service)
            self._wait_ready()
            self._write_state()
        except BaseException:
            self.stop()
            raise
        return self

    def _check_ports(self) -> None:
        for s in self._services.values():
            if not port_available(s.host, s.port):
                raise StackError(
                    f"port {s.port} on {s.host} is already in use, so the {s.name} service "
                    f"cannot listen there; stop whatever uses it or pick another port "
                    f"(OCOP_{s.name.upper()}_HTTP_PORT, or ocop-dev up --{s.name}-port)"
                )

    def _start_servers(self) -> None:
        if not self._external_nats_url:
            self.embedded_nats = EmbeddedNats(
                self.data_dir / "nats", self._nats_port, server_name="ocop-dev"
            )
            self._report(f"starting NATS (JetStream) on port {self.embedded_nats.port}")
            self.embedded_nats.start()
            self._report(f"NATS ready at {self.embedded_nats.url} (pid {self.embedded_nats.pid})")
        else:
            self._report(f"using NATS at {self._external_nats_url}")
        if not self._external_database_url:
            self.embedded_postgres = EmbeddedPostgres(
                self.data_dir / "postgres", self._postgres_port, durable=True
            )
            self._report(f"starting PostgreSQL on port {self.embedded_postgres.port}")
            self.embedded_postgres.start()
            self._report(
                f"PostgreSQL ready at {self.embedded_postgres.url()} "
                f"(pid {self.embedded_postgres.pid})"
            )
        else:
            self._report(f"using PostgreSQL at {_hide_password(self._external_database_url)}")
        if self.mail_sink is not None:
            self._report(f"starting the mail sink on port {self.mail_sink.port}")
            self.mail_sink.start()
            self._report(f"mail sink ready at {self.mail_sink.url} (pid {self.mail_sink.pid}), "
                         f"messages in {self.mail_dir}")
        for name, s in self._services.items():
            s.database_url = database_url(self.database_server_url, self.database_names[name])

    def _prepare(self) -> None:
        """Create the databases that are missing and provision the JetStream topology."""
        server_url = self.database_server_url
        try:
            _run_async(lambda: _create_databases(server_url, list(self.database_names.values())))
        except Exception as exc:
            raise StackError(
                f"cannot create the service databases on PostgreSQL at "
                f"{_hide_password(server_url)}: {exc!r}"
            ) from exc
        self._report("databases: " + ", ".join(self.database_names.values()))
        try:
            self.provisioned = _run_async(lambda: _provision(self.nats_url))
        except Exception as exc:
            raise StackError(
                f"cannot provision the JetStream topology on NATS at {self.nats_url}: {exc!r}"
            ) from exc
        self._report(
            f"JetStream topology provisioned ({len(self.provisioned)} change(s))"
            if self.provisioned else "JetStream topology already up to date"
        )

    def _service_env(self, s: ServiceProcess) -> dict[str, str]:
        prefix = f"OCOP_{s.name.upper()}_"
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update({
            "OCOP_NATS_URL": self.nats_url,
            "OCOP_JWT_SECRET": self.jwt_secret,
            "OCOP_LOG_LEVEL": self.log_level,
            "OCOP_LOG_FORMAT": self.log_format,
            f"{prefix}DATABASE_URL": s.database_url,
            f"{prefix}HTTP_HOST": s.host,
            f"{prefix}HTTP_PORT": str(s.port),
            # the registry keeps dossier files beside the stack's other data
            "OCOP_REGISTRY_DOSSIER_STORAGE_DIR": str(self.data_dir / "dossiers"),
            "PYTHONUNBUFFERED": "1",
        })
        if self.mail_sink is not None:
            # the sink speaks plain SMTP without login: drop any TLS/credentials from the shell
            for key in ("SMTP_USERNAME", "SMTP_PASSWORD"):
                env.pop(f"OCOP_NOTIFICATIONS_{key}", None)
            env.update({
                "OCOP_NOTIFICATIONS_SMTP_HOST": self.mail_sink.host,
                "OCOP_NOTIFICATIONS_SMTP_PORT": str(self.mail_sink.port),
                "OCOP_NOTIFICATIONS_SMTP_STARTTLS": "false",
                "OCOP_NOTIFICATIONS_SMTP_USE_TLS": "false",
            })
        return env

    def _spawn(self, s: ServiceProcess) -> None:
        command = [sys.executable, "-m", f"ocop_{s.name}", "serve"]
        s._log_file = s.log_path.open("ab")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        s._log_file.write(f"\n===== {stamp} ocop-dev starts {s.name} on {s.url} =====\n".encode())
        s._log_file.flush()
        s.started_at = time.monotonic()
        s.proc = subprocess.Popen(
            command,
            env=self._service_env(s),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if self.foreground_logs else s._log_file,
            stderr=subprocess.STDOUT,
        )
        if self.foreground_logs:
            s._pump = threading.Thread(
                target=self._pump_output, args=(s,), name=f"logs-{s.name}", daemon=True
            )
            s._pump.start()
        self._report(f"started {s.name} (pid {s.proc.pid}), log {s.log_path}")

    def _pump_output(self, s: ServiceProcess) -> None:
        """Copy a service's output to its log file and, prefixed with its name, to stdout."""
        assert s.proc is not None and s.proc.stdout is not None
        out = self._output or sys.stdout
        colour = _COLOURS.get(s.name) if _isatty(out) else None
        label = f"{s.name:<13}|"
        prefix = f"\x1b[{colour}m{label}\x1b[0m " if colour else f"{label} "
        for raw in iter(s.proc.stdout.readline, b""):
            log_file = s._log_file
            if log_file is not None and not log_file.closed:
                log_file.write(raw)
                log_file.flush()
            try:
                out.write(prefix + raw.decode("utf-8", errors="replace").rstrip("\n") + "\n")
                out.flush()
            except (OSError, ValueError):
                pass  # stdout closed: keep draining so the child never blocks on a full pipe
        s.proc.stdout.close()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        waiting = dict(self._services)
        last: dict[str, str] = {name: "no answer yet" for name in waiting}
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while waiting:
                for name, s in list(waiting.items()):
                    assert s.proc is not None
                    if s.proc.poll() is not None:
                        raise StackError(self._failure(
                            s, f"exited with code {s.proc.returncode} before it was ready"
                        ))
                    try:
                        response = client.get(f"{s.url}/ready")
                    except httpx.HTTPError as exc:
                        last[name] = f"{type(exc).__name__}: {exc}"
                        continue
                    if response.status_code == 200:
                        s.ready_after = time.monotonic() - s.started_at
                        self._report(f"{name} ready at {s.url} ({s.ready_after:.1f}s)")
                        del waiting[name]
                    else:
                        last[name] = f"HTTP {response.status_code}: {response.text[:300]}"
                if not waiting:
                    return
                if time.monotonic() >= deadline:
                    name, s = next(iter(waiting.items()))
                    others = [n for n in waiting if n != name]
                    also = f" (also not ready: {', '.join(others)})" if others else ""
                    raise StackError(self._failure(
                        s,
                        f"not ready after {self.ready_timeout:.0f}s; last /ready: {last[name]}"
                        f"{also}",
                    ))
                time.sleep(0.25)

    def _failure(self, s: ServiceProcess, what: str) -> str:
        if s._log_file is not None and not s._log_file.closed:
            s._log_file.flush()
        if s._pump is not None:
            s._pump.join(timeout=1.0)
        return (
            f"service {s.name} ({' '.join(['python', '-m', f'ocop_{s.name}', 'serve'])}, "
            f"{s.url}) {what}\n--- {s.log_path} (tail) ---\n{log_tail(s.log_path, 30)}"
        )

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "nats_url": self.nats_url,
            "services": self.service_urls,
            "pids": self.pids,
            "data_dir": str(self.data_dir),
            "smtp_url": self.smtp_url,
            "mail_dir": str(self.mail_dir) if self.mail_sink is not None else None,
        }
        (self.data_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", "utf-8")

    # ----------------------------------------------------------------- stop

    def stop(self) -> None:
        """Stop the services (SIGTERM to each pid, wait, SIGKILL after `stop_timeout`), then
        the embedded NATS and PostgreSQL servers and the mail sink. Idempotent; servers given
        by URL are left running."""
        with self._stopping:
            self._stop_services()
            if self.embedded_nats is not None and self.embedded_nats.pid is not None:
                pid = self.embedded_nats.pid
                self.embedded_nats.stop()
                self._report(f"stopped NATS (pid {pid})")
            if self.embedded_postgres is not None and self.embedded_postgres.pid is not None:
                pid = self.embedded_postgres.pid
                self.embedded_postgres.stop()
                self._report(f"stopped PostgreSQL (pid {pid})")
            if self.mail_sink is not None and self.mail_sink.pid is not None:
                pid = self.mail_sink.pid
                self.mail_sink.stop()
                self._report(f"stopped the mail sink (pid {pid})")
            if self._started:
                try:
                    state = self.data_dir / STATE_FILE
                    if state.exists() and json.loads(state.read_text()).get("pid") == os.getpid():
                        state.unlink()
                except (OSError, ValueError):
                    pass
            self._started = False
            atexit.unregister(self.stop)

    def _stop_services(self) -> None:
        running = [s for s in self._services.values() if s.proc is not None]
        alive = {s.name for s in running if s.pid is not None}
        for s in running:
            if s.name in alive:
                try:
                    s.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + self.stop_timeout
        for s in running:
            assert s.proc is not None
            pid, was_running = s.proc.pid, s.name in alive
            how = "stopped"
            try:
                s.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                s.proc.kill()
                s.proc.wait()
                how = f"killed (no exit {self.stop_timeout:.0f}s after SIGTERM)"
            if s._pump is not None:
                s._pump.join(timeout=5.0)
                s._pump = None
            if s._log_file is not None:
                s._log_file.close()
                s._log_file = None
            if was_running:
                code = s.proc.returncode
                # uvicorn re-raises the SIGTERM it handled once shut down: -15 is a clean stop
                detail = "" if code in (0, -signal.SIGTERM) else f", exit code {code}"
                self._report(f"{how} {s.name} (pid {pid}{detail})")
            s.proc = None

    # ----------------------------------------------------------------- context manager

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Stack(services={self.service_urls}, pids={self.pids}, data_dir='{self.data_dir}')"


# --------------------------------------------------------------------------- helpers


async def _create_databases(server_url: str, names: list[str]) -> None:
    for name in names:
        await create_database(server_url, name)


async def _provision(nats_url: str) -> list[str]:
    import nats

    from ..messaging.topology import provision

    async def quiet(_exc: Exception) -> None:
        return None

    nc = await nats.connect(
        nats_url, connect_timeout=5, allow_reconnect=False, error_cb=quiet, name="ocop-dev"
    )
    try:
        return await provision(nc.jetstream())
    finally:
        await nc.close()


def _hide_password(url: str) -> str:
    """`url` with any password replaced by ***."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
