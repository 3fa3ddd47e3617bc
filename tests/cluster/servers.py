"""nats-server processes run from the generated configuration (ocop_shared.ops.nats_config):
one server with the users and permissions, or a 3-node JetStream cluster, on loopback ports
in a test's temporary folder."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Self

from ocop_shared.embedded._process import ChildServer, log_tail, wait_until
from ocop_shared.embedded.nats import find_nats_server
from ocop_shared.embedded.ports import free_ports, port_accepts
from ocop_shared.ops.nats_config import auth_conf, server_conf, users
from ocop_shared.testing.databases import DatabaseFactory
from ocop_shared.testing.services import RunningService
from tests.support.services import SERVICES, start_four

HOST = "127.0.0.1"


def passwords_for_test() -> dict[str, str]:
    return {user.name: f"test-{user.name}-password" for user in users()}


def healthy(monitor_port: int) -> bool:
    """The server's /healthz is ok: JetStream up and, in a cluster, the meta group formed."""
    try:
        with urllib.request.urlopen(  # noqa: S310 (fixed http URL on loopback)
            f"http://{HOST}:{monitor_port}/healthz", timeout=1.0
        ) as response:
            return json.loads(response.read() or b"{}").get("status") == "ok"
    except (OSError, ValueError):
        return False


class ConfiguredNats(ChildServer):
    """One nats-server started with `-c <conf>`; stops with SIGTERM, `kill()` is SIGKILL."""

    stop_signal = signal.SIGTERM
    stop_timeout = 10.0

    def __init__(self, folder: Path, name: str, client_port: int, monitor_port: int) -> None:
        super().__init__()
        self.folder = folder
        self.name = name
        self.client_port = client_port
        self.monitor_port = monitor_port
        self.conf_path = folder / f"{name}.conf"
        self.log_path = folder / f"{name}.log"

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.client_port}"

    def launch(self) -> None:
        self._launch([str(find_nats_server()), "-c", str(self.conf_path)])

    def wait_ready(self, timeout: float = 30.0) -> None:
        try:
            wait_until(lambda: port_accepts(HOST, self.client_port) and healthy(
                self.monitor_port), timeout=timeout, failed=self._exit_reason, interval=0.1)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"nats-server {self.name} not ready: {exc}\n"
                               f"--- {self.log_path} ---\n{log_tail(self.log_path)}") from exc

    def start(self) -> Self:
        self.launch()
        self.wait_ready()
        return self

    def kill(self) -> None:
        """SIGKILL this node's process (a crash, no clean shutdown), then reap it."""
        pid = self.pid
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        self.stop()


def _write_auth(folder: Path, passwords: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "auth.conf").write_text(auth_conf(passwords=passwords), encoding="utf-8")


def single_server(folder: Path, passwords: dict[str, str]) -> ConfiguredNats:
    """A configured (not yet started) single server with the generated users."""
    _write_auth(folder, passwords)
    client, monitor = free_ports(2, HOST)
    server = ConfiguredNats(folder, "nats", client, monitor)
    server.conf_path.write_text(server_conf(
        server_name="nats", host=HOST, client_port=client, monitor_port=monitor,
        store_dir=str(folder / "store"), include="auth.conf"), encoding="utf-8")
    return server


class NatsCluster:
    """Three nats-server processes routed to each other, JetStream on each."""

    def __init__(self, folder: Path, passwords: dict[str, str], size: int = 3) -> None:
        _write_auth(folder, passwords)
        ports = free_ports(3 * size, HOST)
        cluster_ports = ports[2 * size:]
        self.nodes: list[ConfiguredNats] = []
        for i in range(size):
            name = f"nats-{i + 1}"
            node = ConfiguredNats(folder, name, ports[2 * i], ports[2 * i + 1])
            routes = [f"{HOST}:{p}" for j, p in enumerate(cluster_ports) if j != i]
            node.conf_path.write_text(server_conf(
                server_name=name, host=HOST, client_port=node.client_port,
                monitor_port=node.monitor_port, store_dir=str(folder / name / "store"),
                include="auth.conf", cluster_port=cluster_ports[i], routes=routes,
                cluster_name="ocop-test"), encoding="utf-8")
            self.nodes.append(node)

    @property
    def url(self) -> str:
        """Every member's client URL, comma-separated (as OCOP_NATS_URL takes them)."""
        return ",".join(node.url for node in self.nodes)

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self) -> Self:
        for node in self.nodes:  # all launched first: none is healthy before a quorum
            node.launch()
        for node in self.nodes:
            node.wait_ready()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


async def four_services(stack: AsyncExitStack, databases: DatabaseFactory, nats_url: str,
                        passwords: dict[str, str] | None = None) -> dict[str, RunningService]:
    """The four services in this process, each connected as its own NATS user when
    `passwords` is given; none provisions (the operator did)."""
    per_service = {name: {"nats_user": name, "nats_password": passwords[name]}
                   for name in SERVICES} if passwords is not None else None
    return await start_four(stack, databases, nats_url, per_service,
                            provision_on_start=False)
