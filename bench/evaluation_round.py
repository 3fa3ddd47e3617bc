"""Evaluation round benchmark: a province-sized round (default 700 products, a council of 7)
driven through the evaluation service's HTTP API and JetStream, as the registry and the council
drive it: submissions arrive as events, a round takes them in, every member scores every
product, the chair closes the round, the provincial official records one decision, and the
relay puts every resulting event on the stream.

    python bench/evaluation_round.py                       # 700 products x 7 members
    python bench/evaluation_round.py --products 100        # quicker
    python bench/evaluation_round.py --concurrency 16

The service runs in this process (ServiceRuntime: relay, consumer, HTTP app, as
`ocop_shared.testing.services.running` runs it in the tests); the client calls its ASGI app
through httpx, so client and service share one Python process and event loop. NATS and
PostgreSQL are embedded child processes (durable PostgreSQL), unless OCOP_BENCH_NATS_URL /
OCOP_BENCH_DATABASE_URL name servers to use. It prints figures; it asserts nothing about
timings (it exits 1 only when a correctness check fails). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
import nats  # noqa: E402
from bench_common import ServerCpu, percentile, plain_dsn  # noqa: E402
from bench_servers import bench_servers, log  # noqa: E402
from ocop_evaluation.bootstrap import MIGRATIONS, build_definition  # noqa: E402
from ocop_evaluation.settings import EvaluationSettings  # noqa: E402
from ocop_evaluation.testing import choices_for, create_council  # noqa: E402
from ocop_shared.auth import Role  # noqa: E402
from ocop_shared.contracts import Envelope  # noqa: E402
from ocop_shared.contracts.evaluation import (  # noqa: E402
    ProductRecognized,
    ProductReferredToMinistry,
)
from ocop_shared.contracts.registry import ProductSubmittedForEvaluation  # noqa: E402
from ocop_shared.embedded.postgres import (  # noqa: E402
    create_database,
    database_url,
    drop_database,
)
from ocop_shared.logging import configure_logging  # noqa: E402
from ocop_shared.migrations import upgrade  # noqa: E402
from ocop_shared.testing.services import (  # noqa: E402
    TEST_SECRET,
    auth_header,
    running,
    settings_for_test,
)

DATABASE = "ocop_bench_evaluation_round"
PRODUCT_SETS = ("tea", "honey", "processed-food", "herbal-teas", "rice-grains")
GOODS = ("Chè", "Mật ong", "Miến", "Trà hoa", "Gạo")
TODAY = date(2026, 11, 28)
OFFICIAL = auth_header(Role.provincial_official, province_code="01")
SHIPMENT = {"samples": 5, "shipped_on": "2026-11-28", "carrier": "VNPost"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--products", type=int, default=700, help="products in the round (700)")
    p.add_argument("--members", type=int, default=7, help="council members (7)")
    p.add_argument("--concurrency", type=int, default=8,
                   help="sheet submissions in flight at once (8)")
    p.add_argument("--seed", type=int, default=1, help="seed of the scores (1)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    return p.parse_args(argv)


def roles(members: int) -> tuple[str, ...]:
    """Chair, vice chair, secretary, then members (7: a provincial council)."""
    return (("chair", "vice_chair", "secretary") + ("member",) * max(0, members - 3))[:members]


def targets(n: int, seed: int) -> list[float]:
    """A council's intended score per product: about 7% at 90-95 (potential five stars,
    referred to the Ministry), the rest spread over 50-89 (3 and 4 stars)."""
    rng = random.Random(seed)
    high = max(1, round(n * 0.07))
    out = [float(rng.randint(90, 95)) for _ in range(high)]
    out += [float(rng.randint(50, 89)) for _ in range(n - high)]
    rng.shuffle(out)
    return out


async def wait_for(check: Any, what: str, limit: float, period: float = 0.02) -> float:
    """Seconds until `await check()` is true (raises after `limit` seconds)."""
    started = time.perf_counter()
    while True:
        if await check():
            return time.perf_counter() - started
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"{what} not reached within {limit:.0f} s")
        await asyncio.sleep(period)


async def all_pages(http: Any, path: str, headers: dict, **params: Any) -> list[dict]:
    items: list[dict] = []
    while True:
        page = await http.get(path, headers=headers,
                              params={"limit": 200, "offset": len(items), **params})
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        if not body["items"] or len(items) >= body["total"]:
            return items


async def on_stream(nats_url: str, subject: str) -> list[dict]:
    """Every payload on `subject` in the evaluation stream (ephemeral pull consumer)."""
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().pull_subscribe(subject, stream="OCOP_EVALUATION")
        payloads: list[dict] = []
        while True:
            try:
                batch = await sub.fetch(500, timeout=1)
            except nats.errors.TimeoutError:
                return payloads
            for m in batch:
                payloads.append(json.loads(m.data))
                await m.ack()
    finally:
        await nc.close()


async def bench(args: argparse.Namespace, nats_url: str, server_url: str,
                servers_cpu: ServerCpu | None = None) -> dict[str, Any]:
    n, m = args.products, args.members
    await drop_database(server_url, DATABASE)
    await create_database(server_url, DATABASE)
    url = database_url(server_url, DATABASE)
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    db = await asyncpg.connect(plain_dsn(url))
    settings = settings_for_test(url, nats_url, cls=EvaluationSettings,
                                 outbox_poll_seconds=1.0, consumer_retry_delay_seconds=2.0)
    result: dict[str, Any] = {"products": n, "members": m, "concurrency": args.concurrency,
                              "run": uuid.uuid4().hex[:6]}
    try:
        async with running(build_definition(settings, today=lambda: TODAY), settings) as svc:
            http = svc.http
            t_total = time.perf_counter()

            # 1. N submissions arrive as events; each opens an evaluation awaiting a round.
            log(f"publishing {n} ProductSubmittedForEvaluation events")
            nc = await nats.connect(nats_url)
            js = nc.jetstream()
            t0 = time.perf_counter()
            try:
                for i in range(n):
                    s = i % len(PRODUCT_SETS)
                    event = ProductSubmittedForEvaluation(
                        product_id=uuid.uuid4(), product_code=f"HN-B{result['run']}-{i:05d}",
                        producer_id=uuid.uuid4(), product_name=f"{GOODS[s]} đặc sản số {i}",
                        province_code="01", commune_code="00004", product_set=PRODUCT_SETS[s],
                        self_score=80, submitted_on=TODAY)
                    envelope = Envelope.new(source="/ocop/registry", type=event.event_type(),
                                            subject=event.entity_id())
                    await js.publish(event.subject(), event.model_dump_json().encode(),
                                     headers=envelope.to_headers())
            finally:
                await nc.close()
            result["publish_s"] = time.perf_counter() - t0

            async def opened() -> bool:
                return await db.fetchval("SELECT count(*) FROM evaluations "
                                         "WHERE status = 'awaiting_round'") >= n
            await wait_for(opened, f"{n} evaluations awaiting a round", limit=60 + n / 10)
            result["submissions_s"] = time.perf_counter() - t0
            log(f"  {n} evaluations awaiting a round after {result['submissions_s']:.2f} s")

            # 2. The council (m members) and its round, which takes in the N evaluations.
            council = await create_council(http, OFFICIAL, TEST_SECRET, roles=roles(m))
            chair = council.subject_with("chair")
            t0 = time.perf_counter()
            opened_round = await http.post(f"/councils/{council.id}/rounds", headers=OFFICIAL,
                                           json={"name": "Đợt 2 năm 2026"})
            result["round_open_s"] = time.perf_counter() - t0
            assert opened_round.status_code == 201, opened_round.text
            result["in_round"] = opened_round.json()["evaluations"].get("in_round", 0)
            round_id = opened_round.json()["id"]
            log(f"  round opened with {result['in_round']} evaluations in "
                f"{result['round_open_s'] * 1000:.0f} ms")

            # 3. Every member scores every product.
            evaluations = await all_pages(http, "/evaluations", OFFICIAL, round_id=round_id)
            sheets = {}
            for code in PRODUCT_SETS:
                got = await http.get("/scoring-sheets", headers=OFFICIAL,
                                     params={"rulebook": "1489/2025", "product_set": code})
                assert got.status_code == 200, got.text
                sheets[code] = got.json()
            choice_cache: dict[tuple[str, float], tuple[dict, float]] = {}

            def choices(code: str, target: float) -> tuple[dict, float]:
                if (code, target) not in choice_cache:
                    choice_cache[(code, target)] = choices_for(sheets[code], target)
                return choice_cache[(code, target)]

            rng = random.Random(args.seed + 1)
            jobs = []
            subjects = list(council.members)
            for e, target in zip(evaluations, targets(len(evaluations), args.seed), strict=True):
                for k, subject in enumerate(subjects):
                    # members within a few points of each other (no rescore); 90+ stay 90+
                    jitter = 0 if target >= 90 else rng.choice((-3, -2, -1, 0, 1, 2, 3))
                    jobs.append((e["id"], subject, k, choices(e["product_set"], target + jitter)))
            # each member works through the products from its own starting point, so members
            # and products are mixed among the submissions in flight
            per_member: dict[int, list] = {}
            for job in jobs:
                per_member.setdefault(job[2], []).append(job)
            ordered = []
            count = len(evaluations)
            for step in range(count):
                for k in range(len(subjects)):
                    ordered.append(per_member[k][(step + k * count // len(subjects)) % count])
            latencies: list[float] = []
            failures: list[str] = []
            semaphore = asyncio.Semaphore(args.concurrency)

            async def submit(evaluation_id: str, subject: str, body: dict) -> None:
                async with semaphore:
                    started = time.perf_counter()
                    sent = await http.post(f"/evaluations/{evaluation_id}/sheets",
                                           headers=council.headers[subject],
                                           json={"choices": body})
                    latencies.append(time.perf_counter() - started)
                    if sent.status_code != 201:
                        failures.append(f"{sent.status_code} {sent.text[:200]}")

            log(f"scoring: {len(ordered)} sheets, {args.concurrency} in flight")
            cpu0 = time.process_time(), servers_cpu.snapshot() if servers_cpu else {}
            t0 = time.perf_counter()
            await asyncio.gather(*(submit(e, s, c[0]) for e, s, _, c in ordered))
            result["scoring_s"] = time.perf_counter() - t0
            cpu1 = time.process_time(), servers_cpu.snapshot() if servers_cpu else {}
            result["scoring_cpu_s"] = {"python": cpu1[0] - cpu0[0]} | {
                k: (cpu1[1][k] - cpu0[1][k]) if cpu1[1].get(k) is not None else None
                for k in cpu1[1]}
            result["sheets"] = len(latencies)
            result["sheet_failures"] = len(failures)
            result["sheet_failure_examples"] = failures[:3]
            latencies.sort()
            result["sheets_per_s"] = len(latencies) / result["scoring_s"]
            result["sheet_ms"] = {q: percentile([x * 1000 for x in latencies], p)
                                  for q, p in (("p50", 50), ("p90", 90), ("p99", 99))}
            result["sheet_ms"]["max"] = latencies[-1] * 1000 if latencies else None
            log(f"  {result['sheets_per_s']:.0f} sheets/s, p50 {result['sheet_ms']['p50']:.1f} "
                f"ms, p99 {result['sheet_ms']['p99']:.1f} ms")
            statuses = dict(await db.fetch("SELECT status, count(*) FROM evaluations "
                                           "WHERE round_id = $1 GROUP BY status",
                                           uuid.UUID(round_id)))
            result["scored"] = statuses.get("scored", 0)
            result["statuses_after_scoring"] = statuses
            result["intended_90_plus"] = sum(1 for t in targets(count, args.seed) if t >= 90)

            # 4. The chair closes the round; the official records one decision.
            t0 = time.perf_counter()
            closed = await http.post(f"/rounds/{round_id}/close",
                                     headers=council.headers[chair],
                                     json={"proposal_number": "15/TTr-HĐ"})
            result["close_s"] = time.perf_counter() - t0
            assert closed.status_code == 200, closed.text
            result["close"] = closed.json()["evaluations"]
            proposed = await all_pages(http, "/evaluations", OFFICIAL, status="proposed")
            referred = [e for e in proposed if e["forwarded_to"] == "central"]
            result["proposed"], result["referred_90_plus"] = len(proposed), len(referred)
            number = f"{result['run']}/QĐ-UBND"
            decision = {"level": "province", "province_code": "01", "number": number,
                        "decided_on": "2026-11-27", "signer": "Phó Chủ tịch UBND thành phố",
                        "evaluation_ids": [e["id"] for e in proposed],
                        "referrals": {e["id"]: {"sample_shipment": SHIPMENT | {
                            "tracking_number": f"EV{i:09d}VN"}}
                            for i, e in enumerate(referred)}}
            unpublished_before = await db.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            outbox_before = await db.fetchval("SELECT count(*) FROM outbox")
            t0 = time.perf_counter()
            decided = await http.post("/decisions", headers=OFFICIAL, json=decision)
            result["decision_s"] = time.perf_counter() - t0
            assert decided.status_code == 201, decided.text
            result["decision_outbox_rows"] = (
                await db.fetchval("SELECT count(*) FROM outbox") - outbox_before)
            result["unpublished_before_decision"] = unpublished_before
            log(f"  decision on {len(proposed)} evaluations in {result['decision_s']:.2f} s "
                f"({result['decision_outbox_rows']} outbox rows)")

            # 5. Until the relay has published every outbox row.
            async def drained() -> bool:
                return await db.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            result["relay_s"] = await wait_for(drained, "relay drained", limit=120)
            result["total_s"] = time.perf_counter() - t_total
            log(f"  every outbox row published {result['relay_s']:.2f} s after the decision")

            recognised = [p for p in await on_stream(nats_url, ProductRecognized.subject())
                          if p.get("decision_number") == number]
            referred_events = [
                p for p in await on_stream(nats_url, ProductReferredToMinistry.subject())
                if p.get("decision_number") == number]
            result["recognised_events"] = len(recognised)
            result["referred_events"] = len(referred_events)
            keys = [p["product_id"] for p in recognised] + \
                   ["ref-" + p["product_id"] for p in referred_events]
            result["duplicates"] = len(keys) - len(set(keys))
            result["sheet_rows"] = await db.fetchval("SELECT count(*) FROM score_sheets")
            result["audit_sheet_rows"] = await db.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'sheet.submitted'")
            result["dead_letters"] = await db.fetchval("SELECT count(*) FROM dead_letter")
            stars = await db.fetch("SELECT recognised_stars, count(*) FROM evaluations "
                                   "WHERE decision_number = $1 GROUP BY 1 ORDER BY 1", number)
            result["stars"] = {str(r[0]): r[1] for r in stars}
    finally:
        await db.close()
    checks = {
        "all evaluations opened and taken into the round": result.get("in_round") == n,
        "all sheets accepted": result.get("sheet_failures") == 0 and result.get("sheets") == n * m,
        "every evaluation scored": result.get("scored") == n,
        "proposed + not recognised = products":
            sum(result.get("close", {}).values()) == n,
        "recognised events = proposed": result.get("recognised_events") == result.get("proposed"),
        "referred events = 90+ results":
            result.get("referred_events") == result.get("referred_90_plus"),
        "no duplicate events": result.get("duplicates") == 0,
        "no dead letters": result.get("dead_letters") == 0,
    }
    result["checks"] = checks
    result["ok"] = all(checks.values())
    return result


def print_table(r: dict[str, Any], env: dict[str, Any]) -> None:
    ms = r["sheet_ms"]
    print(f"OCOP evaluation round benchmark ({env['cpus']} CPUs, load average before "
          f"{env['load'][0]:.2f}); service in-process (ServiceRuntime + httpx ASGI client, one "
          f"event loop), PostgreSQL {env['pg']}, NATS {env['nats']}")
    rows = [
        ("products x members", f"{r['products']} x {r['members']}"),
        ("submissions -> evaluations opened",
         f"{r['submissions_s']:.2f} s ({r['products'] / r['submissions_s']:.0f} events/s; "
         f"publishing took {r['publish_s']:.2f} s)"),
        ("round open (takes in evaluations)",
         f"{r['round_open_s'] * 1000:.0f} ms ({r['in_round']} evaluations)"),
        ("sheets", f"{r['sheets']} in {r['scoring_s']:.1f} s, {r['concurrency']} in flight"),
        ("sheets/s", f"{r['sheets_per_s']:.0f}"),
        ("CPU while scoring, ms per sheet", ", ".join(
            f"{k} {v * 1000 / r['sheets']:.2f}" for k, v in r["scoring_cpu_s"].items()
            if v is not None) + " (python = client + service, one process)"),
        ("per sheet p50 / p90 / p99 / max",
         f"{ms['p50']:.1f} / {ms['p90']:.1f} / {ms['p99']:.1f} / {ms['max']:.1f} ms"),
        ("round close (proposals)",
         f"{r['close_s'] * 1000:.0f} ms ({r['close']})"),
        ("decision (one transaction)",
         f"{r['decision_s']:.2f} s ({r['proposed']} evaluations, "
         f"{r['decision_outbox_rows']} outbox rows)"),
        ("decision -> all events on the stream", f"{r['relay_s']:.2f} s"),
        ("total (first submission -> all on stream)", f"{r['total_s']:.1f} s"),
        ("stars recognised", ", ".join(f"{k}*: {v}" for k, v in r["stars"].items())),
        ("counts", f"scored {r['scored']}, proposed {r['proposed']}, recognised events "
                   f"{r['recognised_events']}, 90+ {r['referred_90_plus']} (intended "
                   f"{r['intended_90_plus']}), referred events {r['referred_events']}, "
                   f"duplicates {r['duplicates']}, sheet rows {r['sheet_rows']}, audit "
                   f"sheet rows {r['audit_sheet_rows']}, dead letters {r['dead_letters']}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for name, ok in r["checks"].items():
        print(f"check: {name}: {'OK' if ok else 'FAILED'}")
    if r["sheet_failure_examples"]:
        print("sheet failures, e.g.: " + " | ".join(r["sheet_failure_examples"]))


async def _pg_version(server_url: str) -> str:
    conn = await asyncpg.connect(plain_dsn(server_url))
    try:
        return (f"{await conn.fetchval('SHOW server_version')} fsync="
                f"{await conn.fetchval('SHOW fsync')} synchronous_commit="
                f"{await conn.fetchval('SHOW synchronous_commit')}")
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("bench", level="WARNING")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ocop-bench-round-") as tmp:
        with bench_servers(Path(tmp)) as servers:

            async def go() -> tuple[dict, dict]:
                env = {"cpus": os.cpu_count(), "load": load,
                       "pg": ("embedded, " if servers.postgres_embedded else "external, ")
                       + await _pg_version(servers.postgres_url),
                       "nats": "embedded" if servers.nats_embedded else "external"}
                cpu = ServerCpu(servers.postgres_pid, servers.nats_pid)
                return await bench(args, servers.nats_url, servers.postgres_url, cpu), env

            result, env = asyncio.run(go())
        log("servers stopped")
    if args.json:
        json.dump(result | {"environment": env}, sys.stdout, indent=2, default=str)
        print()
    else:
        print_table(result, env)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
