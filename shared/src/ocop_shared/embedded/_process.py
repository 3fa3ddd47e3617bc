"""Child-process helpers shared by the embedded servers: stop by pid, wait, read log tails."""

from __future__ import annotations

import atexit
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self


def log_tail(path: Path, lines: int = 40) -> str:
    """Return the last `lines` lines of a log file, or a note when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<log {path} unreadable: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def stop_process(proc: subprocess.Popen[bytes], sig: signal.Signals, timeout: float) -> None:
    """Send `sig` to exactly this child process, wait up to `timeout` s, then SIGKILL it.

    Does nothing when the process has already exited (it is still reaped).
    """
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    failed: Callable[[], str | None],
    interval: float = 0.05,
) -> None:
    """Poll `ready()` until it returns True.

    `failed()` is checked first on each round; a non-None message means waiting is
    pointless (for example the process exited) and raises RuntimeError with it.
    Raises TimeoutError when `timeout` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        reason = failed()
        if reason is not None:
            raise RuntimeError(reason)
        if ready():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not ready after {timeout:.0f}s")
        time.sleep(interval)


class ChildServer:
    """A server run as one child process of ours, with its output in `log_path`.

    Subclasses set `stop_signal`, `log_path` and `stop_timeout`, and implement `start()`
    (which calls `_launch`). Stopping always targets this child's own pid."""

    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout: float
    log_path: Path

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """Pid of the running server process, None when it is not running."""
        if self._proc is None or self._proc.poll() is not None:
            return None
        return self._proc.pid

    def start(self) -> Self:
        raise NotImplementedError

    def _launch(self, command: list[str], **popen_kwargs: Any) -> None:
        """Start the process, output appended to the log, stopped at interpreter exit too."""
        self._log_file = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            **popen_kwargs,
        )
        atexit.register(self.stop)

    def _exit_reason(self) -> str | None:
        if self._proc is not None and self._proc.poll() is not None:
            return f"process exited with code {self._proc.returncode}"
        return None

    def stop(self) -> None:
        """Send `stop_signal` to this server's pid, SIGKILL after `stop_timeout`. Idempotent."""
        if self._proc is not None:
            stop_process(self._proc, self.stop_signal, self.stop_timeout)
            self._proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        atexit.unregister(self.stop)

    def restart(self) -> None:
        """Stop and start again on the same ports and data."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
