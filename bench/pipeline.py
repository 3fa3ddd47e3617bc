"""Pipeline benchmark: events/s and commit-to-commit latency of the platform's messaging path
(Outbox.add -> OutboxRelay -> JetStream -> EventConsumer) against a raw asyncpg + nats-py
baseline doing the same work, in the same run, on the same servers. Each path runs as two
processes, as the services are deployed: publisher (producers + relay) and consumer.

    python bench/pipeline.py                       # 20,000 events, then 10 s at 400 events/s
    python bench/pipeline.py --events 2000 --latency-seconds 3
    python bench/pipeline.py --json > result.json

It prints figures; it asserts nothing about timings. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import (  # noqa: E402
    CONSUMER_BATCH_SIZE,
    DURABLES,
    FRAMEWORK_SPEC,
    FRAMEWORK_STREAM,
    OUTBOX_BATCH_SIZE,
    OUTBOX_POLL_SECONDS,
    BenchPing,
    PathConfig,
    ServerCpu,
    now,
    percentile,
    verify_databases,
)
from bench_process import Pipeline  # noqa: E402
from bench_servers import (  # noqa: E402
    Servers,
    bench_servers,
    create_bench_databases,
    log,
    postgres_settings,
    settle,
)
from ocop_shared.logging import configure_logging  # noqa: E402

THROUGHPUT_TARGET = 0.8
THROUGHPUT_DEFECT = 0.5
P99_TARGET = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--events", type=int, default=20_000,
                   help="events in the throughput phase (default 20000)")
    p.add_argument("--rate", type=float, default=400.0,
                   help="offered events/s in the latency phase (default 400)")
    p.add_argument("--latency-seconds", type=float, default=10.0,
                   help="duration of the latency phase (default 10; 0 skips it)")
    p.add_argument("--producers", type=int, default=8,
                   help="concurrent producer tasks, one event per transaction (default 8)")
    p.add_argument("--warmup", type=int, default=500,
                   help="unreported warm-up events per path before measuring (default 500)")
    p.add_argument("--paths", choices=("both", "framework", "raw"), default="both",
                   help="which paths to run (default both; ratios need both)")
    p.add_argument("--single-process", action="store_true",
                   help="run each path's publisher and consumer in one process (comparison "
                        "only; deployments run them as separate services)")
    p.add_argument("--raw-per-event-effects", action="store_true",
                   help="diagnostic: the raw consumer inserts effect rows one statement per "
                        "event (as the framework's per-event handler does) instead of one "
                        "statement per batch")
    p.add_argument("--whatif", choices=("batched-effects",),
                   help="diagnostic: run the framework consumer with a bench-side emulation of a "
                        "proposed API: batched-effects = the batch's effect rows written with one "
                        "executemany (default: the framework as it is)")
    p.add_argument("--profile", metavar="DIR",
                   help="diagnostic: cProfile every worker process during the throughput phase "
                        "and write DIR/throughput-<path>-<process>.prof (slows the run)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout instead of the table")
    p.add_argument("--force-shared-nats", action="store_true",
                   help="allow an OCOP_BENCH_NATS_URL server whose OCOP_REGISTRY stream has a "
                        "non-bench `evaluation` consumer (the bench reconfigures it!)")
    args = p.parse_args(argv)
    if args.events < 1 or args.producers < 1 or args.rate <= 0 or args.latency_seconds < 0:
        p.error("--events and --producers must be >= 1, --rate > 0, --latency-seconds >= 0")
    return args


# --------------------------------------------------------------------------- one phase


async def run_phase(
    pipe: Pipeline, *, phase: str, n: int, rate: float | None, producers: int,
    servers_cpu: ServerCpu, total_so_far: int, js: Any,
) -> dict[str, Any]:
    """Send `n` events through `pipe` (paced at `rate` events/s when given), wait until every
    effect committed, drain the acks, check the databases, and compute the figures."""
    lo = total_so_far
    hi = lo + n
    await pipe.consumer.call("expect", lo=lo, hi=hi)
    py_before, srv_before, wall_before = await pipe.cpu(), servers_cpu.snapshot(), now()
    produced_at = await pipe.publisher.call("produce", lo=lo, hi=hi, rate=rate,
                                            producers=producers)
    timeout = max(120.0, 30.0 + n / 100)
    got = await pipe.consumer.call("collect", lo=lo, hi=hi, seconds=timeout)
    wall = now() - wall_before
    py_after, srv_after = await pipe.cpu(), servers_cpu.snapshot()
    if not got["complete"]:
        missing = sum(t is None for t in got["consumed"])
        log(f"{phase}/{pipe.name}: {missing} of {n} events not consumed after {timeout:.0f}s")
    cpu = {k: py_after[k] - py_before[k] for k in py_after}
    cpu.update({k: (srv_after[k] - v) if v is not None else None for k, v in srv_before.items()})
    drained = await _drain(js, *DURABLES[pipe.name])
    check = await verify_databases(pipe.cfg.producer_db, pipe.cfg.consumer_db, lo, hi, hi)

    pairs = list(zip(produced_at, got["consumed"], strict=True))
    produced = [p for p, _ in pairs if p is not None]
    consumed = [c for _, c in pairs if c is not None]
    lat = sorted((c - p) * 1000 for p, c in pairs if p is not None and c is not None)
    first, last = (min(produced), max(consumed)) if produced and consumed else (0.0, 0.0)
    elapsed = last - first
    produce_span = max(produced) - min(produced) if len(produced) > 1 else 0.0
    commits = got["commits"]
    return {
        "phase": phase, "path": pipe.name, "events": n,
        "offered_rate": rate, "producers": producers,
        "complete": got["complete"], "drained": drained,
        "seconds": elapsed,
        "events_per_s": (len(consumed) / elapsed) if elapsed > 0 else None,
        "producer_events_per_s": (len(produced) / produce_span) if produce_span > 0 else None,
        "latency_ms": {
            "p50": percentile(lat, 50), "p90": percentile(lat, 90), "p99": percentile(lat, 99),
            "max": lat[-1] if lat else None, "mean": statistics.fmean(lat) if lat else None,
        },
        "consumer_commits": len(commits),
        "mean_consumer_batch": statistics.fmean(commits) if commits else None,
        "cpu_seconds": cpu,
        "cpu_us_per_event": {k: (v * 1e6 / n if v is not None else None) for k, v in cpu.items()},
        "wall_seconds_sampled": wall,
        "correctness": _judge(check, got["extra_commits"]),
        "timeline": _timeline(pairs, first),
    }


def _timeline(pairs: list[tuple[float | None, float | None]], t0: float) -> list[dict[str, Any]]:
    """Per second of the phase (by producer commit time): events committed by producers,
    their p50/p99/max latency. Shows whether a bad p99 is one stall or a steady backlog."""
    buckets: dict[int, list[float]] = {}
    for p, c in pairs:
        if p is not None and c is not None:
            buckets.setdefault(int(p - t0), []).append((c - p) * 1000)
    out = []
    for second in sorted(buckets):
        lat = sorted(buckets[second])
        out.append({"second": second, "produced": len(lat), "p50_ms": percentile(lat, 50),
                    "p99_ms": percentile(lat, 99), "max_ms": lat[-1]})
    return out


async def _drain(js: Any, stream: str, durable: str, limit: float = 15.0) -> bool:
    """Wait until the durable has nothing pending and nothing unacknowledged, so the next
    phase starts clean (an unacked message would be redelivered 30 s later into it)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        info = await js.consumer_info(stream, durable)
        if (info.num_ack_pending, info.num_pending) == (0, 0):
            return True
        await asyncio.sleep(0.05)
    return False


def _judge(check: dict[str, int], extra_commits: int) -> dict[str, Any]:
    duplicates = check["effect_rows"] - check["distinct_seqs"]
    missing = check["expected"] - check["distinct_seqs"]
    ok = (
        duplicates == 0 and missing == 0
        and check["all_effect_rows"] == check["all_expected"]
        and check["inbox_rows"] == check["all_expected"]
        and check["unpublished_outbox_rows"] == 0 and check["dead_letters"] == 0
    )
    return {**check, "duplicates": duplicates, "missing": missing,
            "recorded_duplicate_commits": extra_commits, "ok": ok}


# --------------------------------------------------------------------------- the run


async def bench(args: argparse.Namespace, servers: Servers) -> dict[str, Any]:
    import nats

    t0 = time.monotonic()
    load_before = os.getloadavg()
    if not servers.nats_embedded:
        await _check_shared_nats(servers.nats_url, args.force_shared_nats)
    log("creating databases")
    await create_bench_databases(servers)
    pg = await postgres_settings(servers)
    names = [p for p in ("raw", "framework") if args.paths in ("both", p)]
    servers_cpu = ServerCpu(servers.postgres_pid, servers.nats_pid)
    nc = await nats.connect(servers.nats_url, name="bench-parent")
    js = nc.jetstream()
    pipes: list[Pipeline] = []
    counts = {name: 0 for name in names}
    phases: list[dict[str, Any]] = []
    profiles: list[str] = []

    async def phase(name: str, n: int, rate: float | None, report: bool = True) -> None:
        for pipe in pipes:  # one path at a time: they never compete for the CPU
            log(f"{name}: {pipe.name}, {n} events" + (f" at {rate:g}/s" if rate else ""))
            await settle(servers, pipe.name)
            profile = args.profile and name == "throughput"
            if profile:
                await pipe.profile_start()
            r = await run_phase(pipe, phase=name, n=n, rate=rate, producers=args.producers,
                                servers_cpu=servers_cpu, total_so_far=counts[pipe.name], js=js)
            if profile:
                profiles.extend(await pipe.profile_stop(str(Path(args.profile) / name)))
            counts[pipe.name] += n
            r["reported"] = report
            phases.append(r)
            c = r["correctness"]
            log(f"  {_fmt(r['events_per_s'], ',.0f')} events/s, "
                f"p50 {_fmt(r['latency_ms']['p50'], '.1f')} ms, "
                f"p99 {_fmt(r['latency_ms']['p99'], '.1f')} ms; correctness "
                f"{'OK' if c['ok'] else 'FAILED'}")

    try:
        log("starting " + ("one process" if args.single_process else "two processes")
            + " per path")
        for name in names:  # both consumers start at once; each publisher once its consumer is up
            pipes.append(Pipeline(PathConfig(
                path=name, nats_url=servers.nats_url,
                producer_db=servers.database(name, "producer"),
                consumer_db=servers.database(name, "consumer"), producers=args.producers,
                batched_effects=args.whatif == "batched-effects",
                per_event_effects=args.raw_per_event_effects,
            ), single_process=args.single_process))
        for pipe in pipes:
            await pipe.start()
        await asyncio.sleep(0.5)  # consumers issue their first fetch
        if args.warmup:
            await phase("warmup", args.warmup, None, report=False)
        await phase("throughput", args.events, None)
        if args.latency_seconds > 0:
            await phase(f"latency@{args.rate:g}/s", max(1, round(args.rate * args.latency_seconds)),
                        args.rate)
    finally:
        await asyncio.gather(*(pipe.stop() for pipe in pipes))
        await nc.close()
    return {
        "settings": {
            "events": args.events, "rate": args.rate, "latency_seconds": args.latency_seconds,
            "producers": args.producers, "warmup": args.warmup,
            "processes": "one per path" if args.single_process
                         else "two per path (publisher, consumer)",
            "outbox_batch_size": OUTBOX_BATCH_SIZE, "outbox_poll_seconds": OUTBOX_POLL_SECONDS,
            "consumer_batch_size": CONSUMER_BATCH_SIZE,
            "raw_per_event_effects": args.raw_per_event_effects,
            "framework_whatif": args.whatif,
        },
        "environment": {
            "python": platform.python_version(), "event_loop": "asyncio (default, no uvloop)",
            "clock": "CLOCK_MONOTONIC (system-wide)",
            "cpus": os.cpu_count(), "postgres": pg,
            "loadavg_1_5_15_before": load_before, "loadavg_1_5_15_after": os.getloadavg(),
            "postgres_embedded": servers.postgres_embedded, "nats_embedded": servers.nats_embedded,
            "nats_server": await _nats_version(servers.nats_url),
            "jetstream_storage": "file (server default sync, no fsync per message)",
            "framework": f"stream {FRAMEWORK_STREAM}, durable {FRAMEWORK_SPEC.durable}, "
                         f"subject {BenchPing.subject()}",
        },
        "phases": phases,
        "ratios": _ratios(phases),
        "profiles": profiles,
        "total_seconds": time.monotonic() - t0,
    }


def _ratios(phases: list[dict[str, Any]]) -> dict[str, Any]:
    by = {(r["phase"], r["path"]): r for r in phases if r["reported"]}
    out: dict[str, Any] = {}
    for (phase, path), fw in by.items():
        raw = by.get((phase, "raw"))
        if path != "framework" or raw is None:
            continue
        entry: dict[str, Any] = {}
        if fw["events_per_s"] and raw["events_per_s"]:
            entry["throughput"] = fw["events_per_s"] / raw["events_per_s"]
        for q in ("p50", "p99"):
            a, b = fw["latency_ms"][q], raw["latency_ms"][q]
            if a is not None and b:
                entry[q] = a / b
        out[phase] = entry
    tp = out.get("throughput", {}).get("throughput")
    lat_phase = next((k for k in out if k.startswith("latency@")), None)
    p99 = out.get(lat_phase, {}).get("p99") if lat_phase else None
    out["verdict"] = {
        "throughput_ratio": tp,
        "throughput": None if tp is None else (
            "meets target (>= 0.8x raw)" if tp >= THROUGHPUT_TARGET
            else "DEFECT (< 0.5x raw)" if tp < THROUGHPUT_DEFECT
            else "below target (< 0.8x raw)"),
        "p99_ratio": p99, "p99_phase": lat_phase,
        "p99": None if p99 is None else (
            "meets target (<= 2x raw)" if p99 <= P99_TARGET else "above target (> 2x raw)"),
    }
    return out


async def _nats_version(url: str) -> str:
    import nats

    nc = await nats.connect(url)
    try:
        return nc.connected_server_version and str(nc.connected_server_version) or "?"
    finally:
        await nc.close()


async def _check_shared_nats(url: str, force: bool) -> None:
    """provision() of the bench topology rewrites the `evaluation` consumer of OCOP_REGISTRY:
    refuse to do that to a server that holds a real one."""
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().consumer_info(FRAMEWORK_STREAM, FRAMEWORK_SPEC.durable)
    except NotFoundError:
        return
    finally:
        await nc.close()
    if sorted(info.config.filter_subjects or []) != FRAMEWORK_SPEC.subjects and not force:
        raise SystemExit(
            f"{url} has a non-bench consumer {FRAMEWORK_STREAM}/{FRAMEWORK_SPEC.durable}; the "
            "bench would reconfigure it. Use a scratch server or --force-shared-nats."
        )


# --------------------------------------------------------------------------- output


def _fmt(v: float | None, spec: str) -> str:
    return "-" if v is None or v != v else format(v, spec)


def print_table(result: dict[str, Any]) -> None:
    env, st = result["environment"], result["settings"]
    pg = env["postgres"]
    print(f"OCOP pipeline benchmark: Outbox -> OutboxRelay -> JetStream -> EventConsumer vs raw "
          f"asyncpg + nats-py  ({env['cpus']} CPUs, Python {env['python']}, {env['event_loop']})")
    pg_kind = "embedded" if env["postgres_embedded"] else "external"
    nats_kind = "embedded" if env["nats_embedded"] else "external"
    print(f"PostgreSQL {pg['server_version']} ({pg_kind}): "
          f"fsync={pg['fsync']} synchronous_commit={pg['synchronous_commit']} "
          f"full_page_writes={pg['full_page_writes']} wal_sync_method={pg['wal_sync_method']} "
          f"shared_buffers={pg['shared_buffers']}")
    print(f"nats-server {env['nats_server']} ({nats_kind}), "
          f"JetStream {env['jetstream_storage']}")
    lb = env["loadavg_1_5_15_before"]
    print(f"load average before the run {lb[0]:.2f}/{lb[1]:.2f} (1/5 min)"
          + (": other processes were using the CPUs, figures are noisier" if lb[0] > 0.3 else ""))
    print(f"producers={st['producers']} (one event per committed transaction), relay batch "
          f"{st['outbox_batch_size']}, poll {st['outbox_poll_seconds']:g}s, consumer fetch batch "
          f"{st['consumer_batch_size']}, warm-up {st['warmup']} events/path (not reported)"
          + (", raw effects one statement per event" if st["raw_per_event_effects"] else ""))
    print(f"processes: {st['processes']}; latency = consumer commit - producer commit, both "
          f"from {env['clock']}; CPU: " + ("py = the path's one Python process" if
          st["processes"].startswith("one") else "pub/cons = publisher/consumer Python process")
          + ", pg = PostgreSQL, nats = nats-server")
    if st["framework_whatif"]:
        print("WHAT-IF RUN, the framework path is NOT the shipped code: bench-side emulation of "
              + st["framework_whatif"])
    print()
    single = st["processes"].startswith("one")
    cpu_head = "CPU us/event " + ("py/pg/nats" if single else "pub/cons/pg/nats")
    head = (f"{'phase':<16}{'path':<11}{'events':>7}{'events/s':>10}{'p50 ms':>9}{'p90 ms':>9}"
            f"{'p99 ms':>9}{'max ms':>9}{'batch':>7}  {cpu_head:<30}{'correct'}")
    print(head)
    print("-" * len(head))
    for r in result["phases"]:
        if not r["reported"]:
            continue
        lat, cpu = r["latency_ms"], r["cpu_us_per_event"]
        keys = ["publisher+consumer"] if single else ["publisher", "consumer"]
        keys += ["postgres", "nats"]
        cpu_s = "/".join(_fmt(cpu[k], ".0f") for k in keys)
        c = r["correctness"]
        print(f"{r['phase']:<16}{r['path']:<11}{r['events']:>7}"
              f"{_fmt(r['events_per_s'], ',.0f'):>10}{_fmt(lat['p50'], '.1f'):>9}"
              f"{_fmt(lat['p90'], '.1f'):>9}{_fmt(lat['p99'], '.1f'):>9}"
              f"{_fmt(lat['max'], '.1f'):>9}{_fmt(r['mean_consumer_batch'], '.1f'):>7}  "
              f"{cpu_s:<30}{'OK' if c['ok'] else 'FAILED'}")
    print()
    for r in result["phases"]:
        if not r["reported"]:
            continue
        c = r["correctness"]
        print(f"correctness {r['phase']}/{r['path']}: {c['effect_rows']} effect rows for "
              f"{c['expected']} events, {c['duplicates']} duplicates, {c['missing']} missing; "
              f"inbox {c['inbox_rows']}/{c['all_expected']}, unpublished outbox "
              f"{c['unpublished_outbox_rows']}, dead letters {c['dead_letters']}"
              f"{'' if r['drained'] else ', ACKS NOT DRAINED'} -> {'OK' if c['ok'] else 'FAILED'}")
    ratios = result["ratios"]
    v = ratios.get("verdict", {})
    if v.get("throughput_ratio") is not None or v.get("p99_ratio") is not None:
        print()
        print("framework/raw ratios:")
        for phase, entry in ratios.items():
            if phase == "verdict":
                continue
            print(f"  {phase:<16} throughput x{_fmt(entry.get('throughput'), '.2f')}   "
                  f"p50 x{_fmt(entry.get('p50'), '.2f')}   p99 x{_fmt(entry.get('p99'), '.2f')}")
        print(f"  throughput: x{_fmt(v['throughput_ratio'], '.2f')} -> {v['throughput']}")
        if v.get("p99_ratio") is not None:
            print(f"  p99 at {v['p99_phase'].removeprefix('latency@')}: "
                  f"x{_fmt(v['p99_ratio'], '.2f')} -> {v['p99']}")
    if result["profiles"]:
        print("\nprofiles (python -m pstats FILE): " + " ".join(result["profiles"]))
    print()
    print(f"total run time {result['total_seconds']:.1f} s (servers' start/stop excluded)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    configure_logging("bench", level="WARNING")
    with tempfile.TemporaryDirectory(prefix="ocop-bench-") as tmp:
        with bench_servers(Path(tmp)) as servers:
            result = asyncio.run(bench(args, servers))
        log("servers stopped")
    if args.json:
        json.dump(result, sys.stdout, indent=2, default=str)
        print()
    else:
        print_table(result)
    bad = [r for r in result["phases"] if not r["correctness"]["ok"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
