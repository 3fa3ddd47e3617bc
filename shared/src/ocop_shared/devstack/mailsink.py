"""A local SMTP sink: keeps every email it receives where a developer can read it.

The dev stack (`ocop-dev up`) runs it as a child process and points the notifications
service at it, so no email leaves the machine:

    python -m ocop_shared.devstack.mailsink --port 8025 --dir .ocop/mail

Each message is stored as `<dir>/<id>.eml` (the bytes received) plus one JSON line in
`<dir>/index.jsonl` (`id`, `received_at`, `from`, `to`, `subject`). Read them with
`list_messages(dir)` / `read_message(dir, id)` or `ocop-dev mail` / `ocop-dev mail show ID`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import json
import os
import re
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

from ..embedded._process import ChildServer, log_tail, wait_until

HOST = "127.0.0.1"
DEFAULT_PORT = 8025
INDEX_FILE = "index.jsonl"
READY_FILE = "mailsink.json"
SERVER_NAME = "ocop-mailsink"


class MailNotFound(LookupError):
    """No stored message has this id (or the id prefix matches several)."""


@dataclass(frozen=True)
class MailSummary:
    """One line of the index: who sent what to whom, and when it arrived."""

    id: str
    received_at: str
    sender: str
    to: list[str]
    subject: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MailSummary:
        return cls(id=data["id"], received_at=data["received_at"], sender=data.get("from", ""),
                   to=list(data.get("to", [])), subject=data.get("subject", ""))


@dataclass(frozen=True)
class MailMessage(MailSummary):
    """A stored message: its summary, every header decoded and its text body (UTF-8)."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    path: Path | None = None


# --------------------------------------------------------------------------- storing


def new_id() -> str:
    """`YYYYmmdd-HHMMSS-xxxxxx` (UTC): sorts by arrival, short enough to type."""
    return f"{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"


def store_message(directory: str | Path, raw: bytes, mail_from: str,
                  rcpt_tos: list[str]) -> MailSummary:
    """Write `raw` as `<id>.eml` (atomically), then append its line to the index."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    summary = MailSummary(
        id=new_id(),
        received_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sender=_header(parsed, "From") or mail_from,
        to=list(rcpt_tos),
        subject=_header(parsed, "Subject"),
    )
    partial = folder / f".{summary.id}.eml.part"
    partial.write_bytes(raw)
    os.replace(partial, folder / f"{summary.id}.eml")
    line = {"id": summary.id, "received_at": summary.received_at, "from": summary.sender,
            "to": summary.to, "subject": summary.subject}
    with (folder / INDEX_FILE).open("a", encoding="utf-8") as index:
        index.write(json.dumps(line, ensure_ascii=False) + "\n")
    return summary


class SinkHandler:
    """aiosmtpd handler: accepts every message and stores it in `directory`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        summary = store_message(self.directory, raw, envelope.mail_from or "",
                                list(envelope.rcpt_tos))
        print(f"stored {summary.id} from {summary.sender} to {', '.join(summary.to)}: "
              f"{summary.subject}", flush=True)
        return "250 Message accepted for delivery"


# --------------------------------------------------------------------------- reading


def list_messages(directory: str | Path, limit: int | None = None) -> list[MailSummary]:
    """The stored messages, newest first (at most `limit`); [] when there are none yet."""
    try:
        lines = (Path(directory) / INDEX_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found: list[MailSummary] = []
    for line in reversed(lines):
        try:
            found.append(MailSummary.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash: skip it
        if limit is not None and len(found) >= limit:
            break
    return found


def read_message(directory: str | Path, message_id: str) -> MailMessage:
    """The message with this id (or unique id prefix): decoded headers and text body.

    Raises MailNotFound when no message (or more than one) matches.
    """
    summary = _find(directory, message_id)
    path = Path(directory) / f"{summary.id}.eml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MailNotFound(f"message {summary.id} is in the index but {path} is gone") from None
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [(name, str(value)) for name, value in parsed.items()]
    return MailMessage(id=summary.id, received_at=summary.received_at, sender=summary.sender,
                       to=summary.to, subject=summary.subject, headers=headers,
                       body=_text_body(parsed), path=path)


def _find(directory: str | Path, message_id: str) -> MailSummary:
    wanted = message_id.strip()
    if not wanted or not re.fullmatch(r"[0-9a-f-]+", wanted):
        raise MailNotFound(f"no message {message_id!r} (ids look like 20260301-101500-a1b2c3)")
    everything = list_messages(directory)
    exact = [m for m in everything if m.id == wanted]
    matches = exact or [m for m in everything if m.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MailNotFound(f"no message {wanted!r} in {directory}")
    raise MailNotFound(f"{wanted!r} matches {len(matches)} messages; give more of the id")


def _header(message: EmailMessage, name: str) -> str:
    value = message.get(name)
    return "" if value is None else str(value)


def _text_body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset or broken encoding
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
        return text.replace("\r\n", "\n")
    if not isinstance(content, str):
        content = content.decode("utf-8", errors="replace")
    return content.replace("\r\n", "\n")


# --------------------------------------------------------------------------- serving


async def serve(directory: str | Path, host: str = HOST, port: int = DEFAULT_PORT,
                ready_file: Path | None = None) -> None:
    """Run the sink until SIGTERM/SIGINT; `ready_file` (pid, host, port) says it listens."""
    from aiosmtpd.smtp import SMTP

    folder = _prepare_dir(directory)
    loop = asyncio.get_running_loop()
    handler = SinkHandler(folder)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname=SERVER_NAME, enable_SMTPUTF8=True, decode_data=False),
        host=host, port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready_file is not None:
        _write_ready(ready_file, host, port)
    print(f"mail sink listening on smtp://{host}:{port}, storing messages in {folder}",
          flush=True)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        if ready_file is not None:
            _remove(ready_file)
        print("mail sink stopped", flush=True)


def _prepare_dir(directory: str | Path) -> Path:
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_ready(path: Path, host: str, port: int) -> None:
    path.write_text(json.dumps({"pid": os.getpid(), "host": host, "port": port}), "utf-8")


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ocop_shared.devstack.mailsink",
        description="Local SMTP sink: stores each received email as <dir>/<id>.eml and a "
                    "line in <dir>/index.jsonl. Read them with `ocop-dev mail`.",
        epilog="example: python -m ocop_shared.devstack.mailsink --port 8025 --dir .ocop/mail",
    )
    parser.add_argument("--host", default=HOST, help=f"address to listen on (default {HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"SMTP port (default {DEFAULT_PORT})")
    parser.add_argument("--dir", required=True, type=Path, help="folder for the messages")
    args = parser.parse_args(argv)
    folder = args.dir.expanduser().resolve()
    asyncio.run(serve(folder, args.host, args.port, ready_file=folder / READY_FILE))
    return 0


# --------------------------------------------------------------------------- child process


class MailSinkProcess(ChildServer):
    """The sink as a child process of ours on 127.0.0.1 (used by the dev stack).

    Args:
        directory: where the messages are stored (`<data dir>/mail` in the dev stack).
        port: SMTP port; a free one when omitted.
        log_path: the sink's output (default `<directory>/mailsink.log`).
    """

    stop_signal = signal.SIGTERM

    def __init__(self, directory: str | Path, port: int | None = None, *,
                 log_path: Path | None = None, start_timeout: float = 20.0,
                 stop_timeout: float = 10.0) -> None:
        from ..embedded.ports import free_port

        self.directory = Path(directory).resolve()
        self.port = port or free_port(HOST)
        self.log_path = log_path or self.directory / "mailsink.log"
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        super().__init__()

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def host(self) -> str:
        return HOST

    def start(self) -> Self:
        """Start the sink and wait until it listens. RuntimeError (with the log tail) if not."""
        if self.pid is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            (self.directory / READY_FILE).unlink()
        self._launch([sys.executable, "-m", "ocop_shared.devstack.mailsink",
                      "--host", HOST, "--port", str(self.port), "--dir", str(self.directory)],
                     env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"})
        try:
            wait_until(self._ready, timeout=self.start_timeout, failed=self._exit_reason)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise RuntimeError(
                f"mail sink on {self.url} failed to start: {exc}\n"
                f"--- {self.log_path} (tail) ---\n{log_tail(self.log_path)}"
            ) from exc
        return self

    def _ready(self) -> bool:
        """Our own process wrote the ready file (so another server on the port is not us)."""
        assert self._proc is not None
        try:
            state = json.loads((self.directory / READY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return state.get("pid") == self._proc.pid

    def __repr__(self) -> str:
        return f"MailSinkProcess(url={self.url!r}, pid={self.pid}, dir={str(self.directory)!r})"


if __name__ == "__main__":
    sys.exit(main())
