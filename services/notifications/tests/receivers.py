"""Real receivers on loopback for the dispatcher's tests: an SMTP server (aiosmtpd) keeping
the messages it gets, and a tiny HTTP/1.1 server (asyncio streams) that answers from a script
(e.g. 500, 500 then 200), can hold requests until released, and records what it received."""

from __future__ import annotations

import asyncio
import email
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class SmtpReceiver:
    """`with SmtpReceiver() as smtp:` ... `smtp.port`, `smtp.messages`."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int
    received_at: float = field(default_factory=time.monotonic)


class HttpReceiver:
    """`async with HttpReceiver(script=[500, 500], then=200) as hook:` ... `hook.url`,
    `hook.requests`, `hook.ok` (the 2xx ones). `hold()` makes requests wait for `release()`."""

    def __init__(self, script: list[int] | None = None, then: int = 200) -> None:
        self.script = list(script or [])
        self.then = then
        self.requests: list[Request] = []
        self.arrived = asyncio.Event()
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def ok(self) -> list[Request]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def __aenter__(self) -> HttpReceiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.release()
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.arrived.set()
                await self._open.wait()
                status = self.script.pop(0) if self.script else self.then
                self.requests.append(Request(path, headers, body, status))
                writer.write(f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
