"""Child-process helpers shared by the embedded servers: stop by pid, wait, read log tails."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


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
