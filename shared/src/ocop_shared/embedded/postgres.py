"""A real PostgreSQL server run as a child process on 127.0.0.1, plus database helpers.

Used by the test suite and the local dev stack instead of a Docker container. The data
directory lives in a folder chosen by the caller and survives restarts (initdb runs only
when it is empty). PostgreSQL refuses to run as root, so when this process is root the
server runs as the unprivileged system user `pgserver`, created on demand the same way
the `pgserver` package does it.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ocop_shared.embedded._process import ChildServer, log_tail, wait_until
from ocop_shared.embedded.ports import free_port

HOST = "127.0.0.1"
SUPERUSER = "postgres"
_REQUIRED_BINARIES = ("initdb", "postgres", "pg_isready")
# Unix socket paths are limited to ~107 bytes; keep a margin for ".s.PGSQL.<port>".
_MAX_SOCKET_DIR_LEN = 90


# --------------------------------------------------------------------------- binaries


def _has_binaries(bin_dir: Path) -> bool:
    return all((bin_dir / name).is_file() for name in _REQUIRED_BINARIES)


def find_postgres_bin_dir() -> Path:
    """Locate a folder holding `initdb`, `postgres` and `pg_isready`.

    Order: the `pgserver` package's bundled build, `pg_config --bindir`, the folder of
    `postgres` on PATH, /usr/local/bin, then /usr/lib/postgresql/<version>/bin (newest first).
    """
    candidates: list[Path] = []
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        # Same path as pgserver._commands.POSTGRES_BIN_PATH, without importing the package.
        candidates.append(Path(spec.origin).parent / "pginstall" / "bin")
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates.append(Path("/usr/local/bin"))
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    versioned.sort(key=lambda p: int(re.sub(r"\D", "", Path(p).parent.name) or 0), reverse=True)
    candidates.extend(Path(p) for p in versioned)
    for candidate in candidates:
        if _has_binaries(candidate):
            return candidate
    raise FileNotFoundError(
        "PostgreSQL binaries (initdb, postgres, pg_isready) not found; install the "
        "`pgserver` Python package or a system PostgreSQL. Looked in: "
        + ", ".join(str(c) for c in candidates)
    )


# --------------------------------------------------------------------------- URLs and databases


def database_url(server_url: str, database: str) -> str:
    """Return `server_url` pointing at `database`, with a plain `postgresql://` scheme.

    Accepts SQLAlchemy-style schemes (`postgresql+asyncpg://`) and drops the driver part,
    so the result works with asyncpg directly; the query string is kept.
    """
    parts = urlsplit(server_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {server_url!r}")
    return urlunsplit(("postgresql", parts.netloc, "/" + database, parts.query, ""))


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (database names cannot be bound as query parameters)."""
    return '"' + name.replace('"', '""') + '"'


async def create_database(server_url: str, name: str) -> None:
    """Create database `name` on the server of `server_url` unless it already exists."""
    conn = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        try:
            await conn.execute(f"CREATE DATABASE {quote_ident(name)}")
        except asyncpg.DuplicateDatabaseError:
            pass  # created concurrently between the check and the CREATE: the goal is met
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` if it exists, disconnecting its sessions (PostgreSQL 13+)."""
    conn = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- server


class EmbeddedPostgres(ChildServer):
    stop_signal = signal.SIGINT

    """One PostgreSQL server process listening on 127.0.0.1 only, trust auth, user `postgres`.

    Args:
        folder: folder owned by this server: `data/` (PGDATA), `socket/` (unix socket)
            and `postgres.log`. Reusing it keeps all databases across runs.
        port: TCP port; a free port is picked when omitted (fixed for restarts).
        durable: False turns off fsync, synchronous_commit and full_page_writes: much
            faster and fine for tests, but a machine crash can corrupt the data. A clean
            `stop()` still writes everything out either way.
        bin_dir: folder with the PostgreSQL binaries; `find_postgres_bin_dir()` if omitted.
        system_user: unprivileged OS user the server runs as when this process is root.
        start_timeout: seconds `start()` waits for the server to accept connections.
        stop_timeout: seconds `stop()` waits after SIGINT (fast shutdown) before SIGKILL.
    """

    supports_restart = True

    def __init__(
        self,
        folder: str | Path,
        port: int | None = None,
        *,
        durable: bool = True,
        bin_dir: str | Path | None = None,
        system_user: str = "pgserver",
        start_timeout: float = 60.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.folder = Path(folder).resolve()
        self.port = port or free_port(HOST)
        self.durable = durable
        self.bin_dir = Path(bin_dir) if bin_dir else find_postgres_bin_dir()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.data_dir = self.folder / "data"
        self.log_path = self.folder / "postgres.log"
        self.socket_dir = self._choose_socket_dir()
        # Only drop privileges when we have them; as a normal user we run as ourselves.
        self.system_user = system_user if os.name == "posix" and os.geteuid() == 0 else None
        super().__init__()

    # ----------------------------------------------------------------- public API

    def url(self, database: str = "postgres") -> str:
        """Connection URL for `database`, e.g. `postgresql://postgres@127.0.0.1:5432/postgres`."""
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"


    async def create_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        await create_database(self.url(), name)

    async def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists (open sessions are terminated)."""
        await drop_database(self.url(), name)

    def start(self) -> Self:
        """Initialise the data directory if needed, start the server, wait until ready.

        Does nothing when already running. Raises RuntimeError (with the log tail) when
        initdb fails, the server exits, or it is not ready within `start_timeout`.
        """
        if self.pid is not None:
            return self
        self._prepare_folders()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._remove_stale_pid_file()
        self._launch(self._server_command(), cwd=self.data_dir, **self._user_kwargs())
        try:
            wait_until(self._accepting, timeout=self.start_timeout, failed=self._exit_reason, interval=0.1)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(
                f"PostgreSQL on {HOST}:{self.port} failed to start: {exc}\n"
                f"--- {self.log_path} (tail) ---\n{log_tail(self.log_path)}"
            ) from exc
        return self




    def __repr__(self) -> str:
        return f"EmbeddedPostgres(url={self.url()!r}, pid={self.pid}, folder={str(self.folder)!r})"

    # ----------------------------------------------------------------- internals

    def _choose_socket_dir(self) -> Path:
        """`<folder>/socket`, or a short private temp folder when that path is too long."""
        preferred = self.folder / "socket"
        if len(str(preferred)) <= _MAX_SOCKET_DIR_LEN:
            return preferred
        return Path(tempfile.mkdtemp(prefix="ocop-pg-"))

    def _prepare_folders(self) -> None:
        """Create the folders; as root, also make them usable by the system user."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.system_user is None:
            return
        utils = _pgserver_utils()
        entry = utils.ensure_user_exists(self.system_user)
        # Parents of the data/socket folders and the binaries must be traversable by the user.
        utils.ensure_prefix_permissions(self.data_dir)
        utils.ensure_prefix_permissions(self.socket_dir)
        utils.ensure_prefix_permissions(self.bin_dir)
        readable = stat.S_IRGRP | stat.S_IROTH
        utils.ensure_folder_permissions(self.bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
        lib_dir = self.bin_dir.parent / "lib"
        if lib_dir.is_dir():
            utils.ensure_folder_permissions(lib_dir, readable)
        for path in (self.data_dir, self.socket_dir):
            if path.stat().st_uid != entry.pw_uid:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _user_kwargs(self) -> dict[str, Any]:
        """Popen arguments that drop root to the system user (empty when not root)."""
        if self.system_user is None:
            return {}
        entry = pwd.getpwnam(self.system_user)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def _initdb(self) -> None:
        """Create a new cluster in `data_dir` (UTF-8; C.UTF-8 locale, else plain C)."""
        base = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "--auth=trust",
            "-U", SUPERUSER,
            "--encoding=UTF8",
        ]  # fmt: skip
        if not self.durable:
            base.append("--no-sync")
        errors: list[str] = []
        for locale in ("C.UTF-8", "C"):
            result = subprocess.run(
                [*base, f"--locale={locale}"],
                capture_output=True,
                text=True,
                check=False,
                cwd=self.data_dir,
                **self._user_kwargs(),
            )
            if result.returncode == 0:
                return
            output = result.stdout + result.stderr
            errors.append(f"--locale={locale}: exit {result.returncode}\n{output}")
            if "locale" not in output.lower():
                break  # not a locale problem: retrying with another locale will not help
        raise RuntimeError(f"initdb failed in {self.data_dir}:\n" + "\n".join(errors))

    def _remove_stale_pid_file(self) -> None:
        """Delete postmaster.pid left by a crashed server whose process is gone.

        A pid file whose process still runs as `postgres` means another server owns this
        data directory: we refuse to start rather than touch a process we did not start.
        """
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first_line = pid_file.read_text().splitlines()[0]
            pid = int(first_line.strip())
        except FileNotFoundError:
            return
        except (IndexError, ValueError):
            pid_file.unlink()  # empty or garbled: written by a server that died while starting
            return
        if _is_postgres_process(pid):
            raise RuntimeError(
                f"another PostgreSQL server (pid {pid}) is running on {self.data_dir}; stop it first"
            )
        pid_file.unlink()

    def _server_command(self) -> list[str]:
        settings = {"max_connections": "200"}
        if self.durable:
            settings |= {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        else:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        cmd = [
            str(self.bin_dir / "postgres"),
            "-D", str(self.data_dir),
            "-p", str(self.port),
            "-h", HOST,
            "-k", str(self.socket_dir),
        ]  # fmt: skip
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        return cmd

    def _accepting(self) -> bool:
        """Our postmaster reports `ready` in postmaster.pid and accepts TCP connections.

        Checking the pid file first means a different server already on the port cannot
        be mistaken for this one.
        """
        assert self._proc is not None
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        if len(lines) < 8 or lines[0].strip() != str(self._proc.pid) or lines[7].strip() != "ready":
            return False
        result = subprocess.run(
            [
                str(self.bin_dir / "pg_isready"),
                "-h", HOST,
                "-p", str(self.port),
                "-U", SUPERUSER,
                "-d", "postgres",
                "-t", "1",
            ],  # fmt: skip
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def _exit_reason(self) -> str | None:
        if self._proc is not None and self._proc.poll() is not None:
            return f"postgres exited with code {self._proc.returncode}"
        return None


def _is_postgres_process(pid: int) -> bool:
    """True when `pid` is alive and is a PostgreSQL server process (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive but owned by another user: look at its name below
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return True  # no /proc (e.g. macOS): assume the live pid is the old server
    return comm.startswith("postgres")


def _pgserver_utils() -> ModuleType:
    """Import pgserver's user/permission helpers, needed only when running as root."""
    try:
        with warnings.catch_warnings():
            # pgserver computes an XDG runtime lock path at import time that we never use;
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI). Harmless here.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver import utils
    except ImportError as exc:
        raise RuntimeError(
            "running PostgreSQL as root needs the `pgserver` package to create an "
            "unprivileged user; install it or run as a normal user"
        ) from exc
    return utils
