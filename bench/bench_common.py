"""What both paths of the pipeline benchmark share: the bench-only event contract and topology,
the schema, the clock, the consumer-side recorder of commit times, percentiles, CPU sampling of
the servers and the end-of-phase database checks.

Imported as a plain module (`bench/` is on sys.path), never as `bench.bench_common`: the
contract registers its type in `Event.catalogue` once per process.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from ocop_shared.contracts import Event
from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.messaging.topology import ConsumerSpec, Topology, stream_name
from ocop_shared.settings import ServiceSettings
from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, Table, func
from sqlalchemy.dialects.postgresql import UUID


def now() -> float:
    """The bench's only clock for commit times: CLOCK_MONOTONIC is system-wide on Linux, so
    times taken in the publishing and the consuming process are comparable."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class BenchPing(Event, service="registry", entity="bench"):
    """Bench-only contract: subject ocop.registry.bench.ping.v1, type ocop.registry.BenchPing.v1."""

    seq: int
    sent_at: float


# The framework path: registry publishes BenchPing, evaluation consumes it, exactly like the
# services do (stream OCOP_REGISTRY, durable `evaluation`), but with a bench-only topology.
FRAMEWORK_SPEC = ConsumerSpec("evaluation", "registry", (BenchPing,))
BENCH_TOPOLOGY = Topology(consumers=(FRAMEWORK_SPEC,))
FRAMEWORK_STREAM = stream_name("registry")
FRAMEWORK_SOURCE = "/ocop/registry"

# The raw path: its own stream and durable with the same settings (see bench_raw.py).
RAW_STREAM = "BENCH_RAW"
RAW_STREAM_SUBJECTS = ["ocopraw.registry.>"]
RAW_SUBJECT = "ocopraw.registry.bench.ping.v1"
RAW_DURABLE = "bench_raw"
RAW_SOURCE = "/ocop/registry"

DURABLES = {
    "framework": (FRAMEWORK_STREAM, FRAMEWORK_SPEC.durable),
    "raw": (RAW_STREAM, RAW_DURABLE),
}

# Tuning: the runtime's defaults (ServiceSettings), used by both paths.
_DEFAULTS = ServiceSettings.model_fields
OUTBOX_BATCH_SIZE: int = _DEFAULTS["outbox_batch_size"].default
OUTBOX_POLL_SECONDS: float = _DEFAULTS["outbox_poll_seconds"].default
CONSUMER_BATCH_SIZE: int = _DEFAULTS["consumer_batch_size"].default
CONSUMER_RETRY_SECONDS: float = _DEFAULTS["consumer_retry_delay_seconds"].default
FETCH_TIMEOUT_SECONDS = 5.0  # pull_forever's fetch timeout


@dataclass(frozen=True)
class PathConfig:
    """What a worker process needs to build its side of one path (picklable)."""

    path: str  # "framework" or "raw"
    nats_url: str
    producer_db: str
    consumer_db: str
    producers: int
    batched_effects: bool = False  # framework what-if, see bench_framework.py
    per_event_effects: bool = False  # raw diagnostic, see bench_raw.py


def bench_metadata() -> tuple[MetaData, Table, Table, Table, Table]:
    """The schema of every bench database: outbox, inbox, dead_letter and the effects table.

    `bench_effect` has no unique constraint on purpose: a duplicate effect (an event handled
    twice) must be visible to the correctness check, not silently rejected.
    """
    metadata = MetaData()
    outbox, inbox, dead_letter = messaging_tables(metadata)
    effect = Table(
        "bench_effect",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("seq", BigInteger, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return metadata, outbox, inbox, dead_letter, effect


@dataclass
class Recorder:
    """Consumer side: the commit time (`now()`) of each event seq's effect, taken right after
    the transaction holding its inbox and effect rows committed."""

    consumed: dict[int, float] = field(default_factory=dict)
    consumer_commits: list[int] = field(default_factory=list)  # events per commit, this phase
    extra_commits: int = 0  # the same seq committed again (a duplicate effect)
    _lo: int = 0
    _hi: int = 0
    _remaining: int = 0
    _done: asyncio.Event | None = None

    def expect(self, lo: int, hi: int) -> None:
        self._lo, self._hi, self._remaining = lo, hi, hi - lo
        self._done = asyncio.Event()
        self.consumer_commits = []
        if self._remaining <= 0:
            self._done.set()

    async def wait(self, seconds: float) -> bool:
        """True once every expected seq committed; False if `seconds` passed first."""
        assert self._done is not None
        try:
            await asyncio.wait_for(self._done.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def committed(self, seqs: list[int], t: float) -> None:
        self.consumer_commits.append(len(seqs))
        for seq in seqs:
            if seq in self.consumed:
                self.extra_commits += 1
                continue
            self.consumed[seq] = t
            if self._lo <= seq < self._hi:
                self._remaining -= 1
                if self._remaining == 0 and self._done is not None:
                    self._done.set()


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (q in 0..100); None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


class ServerCpu:
    """CPU seconds used by the PostgreSQL server and nats-server when their pids are known
    (embedded servers). Postmaster children that exited are counted through the postmaster's
    children_* times, so a snapshot difference is complete."""

    def __init__(self, postgres_pid: int | None, nats_pid: int | None) -> None:
        try:
            import psutil
        except ImportError:
            psutil = None
            postgres_pid = nats_pid = None
        self._psutil = psutil
        self.pg = psutil.Process(postgres_pid) if postgres_pid else None
        self.nats = psutil.Process(nats_pid) if nats_pid else None

    def snapshot(self) -> dict[str, float | None]:
        return {"postgres": self._postgres(),
                "nats": _cpu(self.nats.cpu_times()) if self.nats else None}

    def _postgres(self) -> float | None:
        if self.pg is None:
            return None
        t = self.pg.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in self.pg.children(recursive=True):
            try:
                total += _cpu(child.cpu_times())
            except self._psutil.Error:
                pass  # exited between listing and reading: counted by the postmaster next time
        return total


def _cpu(t: object) -> float:
    return t.user + t.system  # type: ignore[attr-defined]


async def verify_databases(
    producer_dsn: str, consumer_dsn: str, lo: int, hi: int, total_events: int
) -> dict[str, int]:
    """Correctness after a phase, straight from the databases: effect rows of seqs [lo, hi),
    distinct seqs among them, all effect rows and inbox rows so far, unpublished outbox rows."""
    import asyncpg

    conn = await asyncpg.connect(plain_dsn(consumer_dsn))
    try:
        rows, distinct = await conn.fetchrow(
            "SELECT count(*), count(DISTINCT seq) FROM bench_effect WHERE seq >= $1 AND seq < $2",
            lo, hi,
        )
        all_rows = await conn.fetchval("SELECT count(*) FROM bench_effect")
        inbox_rows = await conn.fetchval("SELECT count(*) FROM inbox")
        dead = await conn.fetchval("SELECT count(*) FROM dead_letter")
    finally:
        await conn.close()
    conn = await asyncpg.connect(plain_dsn(producer_dsn))
    try:
        unpublished = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await conn.close()
    return {
        "expected": hi - lo, "effect_rows": rows, "distinct_seqs": distinct,
        "all_effect_rows": all_rows, "all_expected": total_events, "inbox_rows": inbox_rows,
        "dead_letters": dead, "unpublished_outbox_rows": unpublished,
    }


def plain_dsn(url: str) -> str:
    """postgresql+asyncpg://... -> postgresql://... (what asyncpg accepts)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url
