"""The bench's service processes and how the parent drives them.

A worker process (multiprocessing, spawn) hosts one side of one path, as a deployment does:
"publisher" (producers + relay, the registry service) or "consumer" (the evaluation service),
or both with --single-process. The parent sends it commands over a pipe and waits for each
reply; in between, the worker's asyncio loop runs the relay or consumer in the background.

Commands: cpu (process CPU seconds so far), produce (a phase's events, paced or not; returns
their commit times), expect + collect (the consumer's commit times for a phase's seqs, once
all are committed or the timeout passed), profile_start / profile_stop (cProfile of the
worker's thread, dumped to a file), stop.
"""

from __future__ import annotations

import asyncio
import cProfile
import multiprocessing
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from bench_common import PathConfig, now
from bench_framework import FrameworkConsumer, FrameworkPublisher
from bench_raw import RawConsumer, RawPublisher

ROLES = {
    ("framework", "publisher"): FrameworkPublisher,
    ("framework", "consumer"): FrameworkConsumer,
    ("raw", "publisher"): RawPublisher,
    ("raw", "consumer"): RawConsumer,
}


async def _recv(conn: Connection) -> Any:
    """Receive one message without blocking the event loop while none is there."""
    if not conn.poll():
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.add_reader(conn.fileno(), lambda: ready.done() or ready.set_result(None))
        try:
            await ready
        finally:
            loop.remove_reader(conn.fileno())
    return conn.recv()


# --------------------------------------------------------------------------- worker side


def worker_main(conn: Connection, cfg: PathConfig, roles: tuple[str, ...]) -> None:
    from ocop_shared.logging import configure_logging

    configure_logging("bench", level="WARNING")
    asyncio.run(_serve(conn, cfg, roles))


async def _serve(conn: Connection, cfg: PathConfig, role_names: tuple[str, ...]) -> None:
    roles: dict[str, Any] = {}
    try:
        for name in role_names:  # consumer first: it provisions the stream and durable
            roles[name] = ROLES[cfg.path, name](cfg)
            await roles[name].setup()
        _send(conn, ("ok", None))
        profiler: cProfile.Profile | None = None
        while True:
            cmd, kw = await _recv(conn)
            if cmd == "stop":
                break
            try:
                if cmd == "cpu":
                    value: Any = time.process_time()
                elif cmd == "produce":
                    value = await _produce(roles["publisher"], **kw)
                elif cmd == "expect":
                    value = roles["consumer"].recorder.expect(**kw)
                elif cmd == "collect":
                    value = await _collect(roles["consumer"].recorder, **kw)
                elif cmd == "profile_start":
                    profiler = cProfile.Profile()
                    value = profiler.enable()
                elif cmd == "profile_stop":
                    assert profiler is not None
                    profiler.disable()
                    value = profiler.dump_stats(kw["file"])
                else:
                    raise ValueError(f"unknown command {cmd!r}")
            except Exception:  # noqa: BLE001 - reported to the parent, which stops the run
                _send(conn, ("error", traceback.format_exc()))
                continue
            _send(conn, ("ok", value))
    except Exception:  # noqa: BLE001 - setup failed, or the parent is gone (EOFError)
        _send(conn, ("error", traceback.format_exc()))
    finally:
        for role in reversed(list(roles.values())):
            try:
                await role.teardown()
            except Exception:  # noqa: BLE001, S110 - best effort on the way out
                pass
        _send(conn, ("ok", None))


def _send(conn: Connection, message: tuple[str, Any]) -> None:
    try:
        conn.send(message)
    except OSError:  # the parent is gone: nothing to report to
        pass


async def _produce(
    publisher: Any, lo: int, hi: int, rate: float | None, producers: int
) -> list[float | None]:
    """Events lo..hi-1 from `producers` concurrent tasks, one transaction each, paced to an
    absolute schedule of `rate` events/s when given. Returns the commit times by seq - lo."""
    times: list[float | None] = [None] * (hi - lo)
    seqs = iter(range(lo, hi))
    start = now() + 0.005

    async def producer() -> None:
        for seq in seqs:  # shared iterator: each task takes the next event
            if rate:
                delay = start + (seq - lo) / rate - now()
                if delay > 0:
                    await asyncio.sleep(delay)
            times[seq - lo] = await publisher.produce(seq)

    await asyncio.gather(*(producer() for _ in range(producers)))
    return times


async def _collect(recorder: Any, lo: int, hi: int, seconds: float) -> dict[str, Any]:
    complete = await recorder.wait(seconds)
    return {
        "complete": complete,
        "consumed": [recorder.consumed.get(s) for s in range(lo, hi)],
        "commits": recorder.consumer_commits,
        "extra_commits": recorder.extra_commits,
    }


# --------------------------------------------------------------------------- parent side


class Worker:
    """A worker process, seen from the parent."""

    def __init__(self, label: str, cfg: PathConfig, roles: tuple[str, ...]) -> None:
        self.label = label  # "publisher", "consumer" or "publisher+consumer"
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=worker_main, args=(child, cfg, roles), name=f"bench-{cfg.path}-{label}",
            daemon=True,
        )
        self.process.start()
        child.close()

    async def ready(self) -> None:
        await self._reply()

    async def call(self, cmd: str, **kw: Any) -> Any:
        self.conn.send((cmd, kw))
        return await self._reply()

    async def _reply(self) -> Any:
        try:
            status, value = await _recv(self.conn)
        except EOFError:
            raise RuntimeError(f"{self.process.name} exited ({self.process.exitcode})") from None
        if status == "error":
            raise RuntimeError(f"{self.process.name} failed:\n{value}")
        return value

    async def stop(self) -> None:
        """Ask the worker to tear down and exit; if it does not within 15 s, SIGTERM its pid."""
        if self.process.is_alive():
            try:
                self.conn.send(("stop", {}))
                await asyncio.wait_for(self._reply(), 15)
            except Exception:  # noqa: BLE001, S110 - it is stopped below either way
                pass
        await asyncio.to_thread(self.process.join, 5)
        if self.process.is_alive():
            self.process.terminate()
            await asyncio.to_thread(self.process.join, 5)
        self.conn.close()


class Pipeline:
    """One path's worker processes: publisher and consumer, or one hosting both."""

    def __init__(self, cfg: PathConfig, single_process: bool) -> None:
        self.name = cfg.path
        self.cfg = cfg
        if single_process:
            both = Worker("publisher+consumer", cfg, ("consumer", "publisher"))
            self.workers = [both]
            self.publisher = self.consumer = both
        else:
            self.consumer = Worker("consumer", cfg, ("consumer",))
            self.publisher: Worker | None = None
            self.workers = [self.consumer]

    async def start(self) -> None:
        await self.consumer.ready()  # stream and durable provisioned before anyone publishes
        if self.publisher is None:
            self.publisher = Worker("publisher", self.cfg, ("publisher",))
            self.workers.insert(0, self.publisher)  # publisher first, as in the CPU columns
            await self.publisher.ready()

    async def cpu(self) -> dict[str, float]:
        return {w.label: await w.call("cpu") for w in self.workers}

    async def profile_start(self) -> None:
        for w in self.workers:
            await w.call("profile_start")

    async def profile_stop(self, prefix: str) -> list[str]:
        files = [f"{prefix}-{self.name}-{w.label}.prof" for w in self.workers]
        for w, file in zip(self.workers, files, strict=True):
            await w.call("profile_stop", file=file)
        return files

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers))
