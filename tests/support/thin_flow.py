"""The thin flow across the four services, driven over their HTTP APIs, and the checks of
its end state. Used with in-process services (ASGI clients) and with the real processes."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

import httpx

from ocop_evaluation.testing import choices_for, create_council, score_evaluation
from ocop_registry.testing import complete_dossier
from ocop_shared.auth import Role
from ocop_shared.testing.services import TEST_SECRET, auth_header

OPERATOR = auth_header(Role.operator)
OFFICIAL = auth_header(Role.provincial_official, province_code="01")

SCORES = {"Chè Shan Tuyết": 92, "Mật ong bạc hà": 78, "Miến dong": 61, "Nem chua": 45}
"""One product per outcome: referred (>= 90), 4 stars, 3 stars, not recognised (2 stars).
Every member of the council scores the product at this total (integers: the sheets' totals
are whole points)."""
REFERRED = "Chè Shan Tuyết"


@dataclass
class Flow:
    producer_id: str
    product_ids: dict[str, str]  # name -> id


async def eventually(check, timeout: float = 60.0, what: str = "condition"):  # noqa: ANN001, ANN201
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")


async def register_and_submit(
    registry: httpx.AsyncClient, tax_code: str = "0109876543"
) -> Flow:
    producer = await registry.post("/producers", headers=OFFICIAL, json={
        "name": "HTX Nông sản sạch Ba Vì", "kind": "cooperative", "registration_number": tax_code,
        "legal_representative": "Phạm Thị Hoa",
        "province_code": "01", "commune_code": "00004", "email": "htx.bavi@example.vn",
    })
    assert producer.status_code == 201, producer.text
    producer_id = producer.json()["id"]
    products = {}
    for name in SCORES:
        created = await registry.post("/products", headers=OFFICIAL, json={
            "producer_id": producer_id, "name": name, "product_set": "processed-food",
        })
        assert created.status_code == 201, created.text
        products[name] = created.json()["id"]
        await complete_dossier(registry, products[name], OFFICIAL)
        submitted = await registry.post(f"/products/{products[name]}/submit",
                                        headers=OFFICIAL, json={"self_score": 70})
        assert submitted.status_code == 200, submitted.text
    return Flow(producer_id, products)


async def score_all(evaluation: httpx.AsyncClient, *flows: Flow) -> None:
    """The province's council scores the flows' products in one round: a council of seven
    members for province 01, a round that takes in the flows' evaluations, every member
    scores each product at its SCORES total, the chair closes the round and UBND tỉnh
    records one decision (with the sample shipment of the 90+ product)."""
    wanted = {pid: (name, flow) for flow in flows for name, pid in flow.product_ids.items()}

    async def listed(**params: str) -> dict[str, dict]:
        page = await evaluation.get("/evaluations", headers=OFFICIAL,
                                    params={"limit": 200, **params})
        assert page.status_code == 200, page.text
        return {e["product_id"]: e for e in page.json()["items"] if e["product_id"] in wanted}

    async def opened() -> dict[str, dict] | None:
        mine = await listed()
        return mine if len(mine) == len(wanted) else None

    await eventually(opened, what="evaluations opened from the submissions")
    council = await create_council(evaluation, OFFICIAL, TEST_SECRET,
                                   name=f"Hội đồng OCOP tỉnh 01 ({uuid.uuid4().hex[:6]})")
    round_ = await evaluation.post(f"/councils/{council.id}/rounds", headers=OFFICIAL,
                                   json={"name": "Đợt 1 năm 2026"})
    assert round_.status_code == 201, round_.text
    round_id = round_.json()["id"]

    async def in_round() -> dict[str, dict] | None:
        mine = await listed(round_id=round_id)
        return mine if len(mine) == len(wanted) else None

    evaluations = await eventually(in_round, what="the flows' evaluations in the round")
    sheets: dict[str, dict] = {}
    for product_id, current in evaluations.items():
        product_set = current["product_set"]
        if product_set not in sheets:
            got = await evaluation.get("/scoring-sheets", headers=OFFICIAL, params={
                "rulebook": current["rulebook"], "product_set": product_set})
            assert got.status_code == 200, got.text
            sheets[product_set] = got.json()
        target = SCORES[wanted[product_id][0]]
        _, reachable = choices_for(sheets[product_set], target)
        assert reachable == target, f"the sheet reaches {reachable}, not {target}"
        status = await score_evaluation(evaluation, council, current, sheets[product_set],
                                        target)
        assert status == "scored", (wanted[product_id][0], status)

    closed = await evaluation.post(f"/rounds/{round_id}/close", json={},
                                   headers=council.headers[council.subject_with("chair")])
    assert closed.status_code == 200, closed.text
    proposed = [e["id"] for e in (await listed(round_id=round_id)).values()
                if e["status"] == "proposed"]
    assert len(proposed) == 3 * len(flows), closed.text
    today = date.today().isoformat()
    referrals = {evaluations[flow.product_ids[REFERRED]]["id"]: {"sample_shipment": {
        "samples": 5, "shipped_on": today, "carrier": "VNPost"}} for flow in flows}
    decided = await evaluation.post("/decisions", headers=OFFICIAL, json={
        "level": "province", "province_code": "01",
        "number": f"{uuid.uuid4().int % 10000}/QĐ-UBND-{uuid.uuid4().hex[:6]}",
        "decided_on": today, "signer": "Phó Chủ tịch UBND thành phố",
        "evaluation_ids": proposed, "referrals": referrals,
    })
    assert decided.status_code == 201, decided.text


async def check_end_state(
    clients: dict[str, httpx.AsyncClient], flow: Flow, *, first_on_new_ceremony: bool = True
) -> None:
    """Every service reflects the flow, each effect exactly once. `first_on_new_ceremony`:
    the flow's first recognised product opened a ceremony (nobody's ceremony was planned)."""
    registry, promotion, notifications = (clients[n] for n in
                                          ("registry", "promotion", "notifications"))

    async def registry_caught_up() -> dict | None:
        states = {}
        for name, pid in flow.product_ids.items():
            states[name] = (await registry.get(f"/products/{pid}", headers=OFFICIAL)).json()
        done = all(s["status"] in ("certified", "not_recognised") for s in states.values())
        done = done and states[REFERRED]["referred_to_ministry"]
        return states if done else None

    states = await eventually(registry_caught_up, what="registry statuses")
    assert states["Chè Shan Tuyết"]["stars"] == 4  # potential 5 stars: recognised 4, referred
    assert states["Mật ong bạc hà"]["status"] == "certified"
    assert states["Mật ong bạc hà"]["stars"] == 4
    assert states["Miến dong"]["stars"] == 3
    assert states["Nem chua"]["status"] == "not_recognised" and states["Nem chua"]["stars"] is None
    assert not states["Mật ong bạc hà"]["referred_to_ministry"]

    recognised = {flow.product_ids[n] for n in ("Chè Shan Tuyết", "Mật ong bạc hà", "Miến dong")}

    async def ceremony_products() -> list | None:
        page = (await promotion.get("/ceremonies", headers=OFFICIAL)).json()
        on_ceremonies = []
        for ceremony in page["items"]:
            detail = (await promotion.get(f"/ceremonies/{ceremony['id']}",
                                          headers=OFFICIAL)).json()
            on_ceremonies += [p["product_id"] for p in detail["products"]
                              if p["product_id"] in flow.product_ids.values()]
        return on_ceremonies if recognised <= set(on_ceremonies) else None

    on_ceremonies = await eventually(ceremony_products, what="products on a ceremony")
    assert sorted(on_ceremonies) == sorted(recognised)  # each recognised product exactly once

    recipient = f"producer:{flow.producer_id}"
    ceremony = "ceremony"  # CeremonyScheduled opens one; ProductAddedToCeremony joins one
    expected = Counter({
        "ocop.evaluation.EvaluationCompleted.v1": 4,
        "ocop.evaluation.ProductReferredToMinistry.v1": 1,
        ceremony: 3,
    })
    if first_on_new_ceremony:
        expected["ocop.promotion.CeremonyScheduled.v1"] = 1

    def tally(items: list[dict]) -> Counter:
        got = Counter(d["source_event_type"] for d in items if d["channel"] == "inbox")
        got[ceremony] = (got["ocop.promotion.CeremonyScheduled.v1"]
                         + got.pop("ocop.promotion.ProductAddedToCeremony.v1", 0))
        if not first_on_new_ceremony:
            got.pop("ocop.promotion.CeremonyScheduled.v1", None)
        return +got

    async def deliveries() -> Counter | None:
        page = (await notifications.get("/deliveries", headers=OPERATOR, params={
            "recipient_id": recipient, "limit": 200})).json()
        got = tally(page["items"])
        return got if got == expected else None

    try:
        await eventually(deliveries, what="deliveries to the producer")
    except AssertionError:
        page = (await notifications.get("/deliveries", headers=OPERATOR, params={
            "recipient_id": recipient, "limit": 200})).json()
        got = tally(page["items"])
        raise AssertionError(f"deliveries {dict(got)} != expected {dict(expected)}") from None


async def under_evaluation(registry: httpx.AsyncClient, flow: Flow) -> None:
    """The registry shows every submitted product under evaluation once evaluation opened it
    (EvaluationOpened)."""

    async def all_opened() -> bool:
        for pid in flow.product_ids.values():
            product = (await registry.get(f"/products/{pid}", headers=OFFICIAL)).json()
            if product["status"] != "under_evaluation":
                return False
        return True

    await eventually(all_opened, what="products under evaluation in the registry")
