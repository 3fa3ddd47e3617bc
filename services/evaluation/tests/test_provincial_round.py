"""A full provincial round on real PostgreSQL and NATS JetStream, driven as the registry and the
council would drive it: submissions arrive as events, a round takes them in, seven members
score on the rulebook's sheets (with a conflict of interest, a rescore, a quorum without one
member, a knock-out), the chair closes the round, UBND tỉnh decides, and the product with 90+
points goes to the central council, which recognises 5 stars; another referral keeps 4."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from ocop_evaluation.bootstrap import MIGRATIONS, build_definition
from ocop_evaluation.settings import EvaluationSettings
from ocop_evaluation.testing import (
    choices_for,
    create_council,
    knock_out_choices,
    score_evaluation,
    submit_sheet,
)
from ocop_shared.auth import Role
from ocop_shared.contracts.registry import ProductSubmittedForEvaluation
from ocop_shared.testing.services import (
    TEST_SECRET,
    auth_header,
    publish_event,
    published_payloads,
    running,
    settings_for_test,
)

OFFICIAL = auth_header(Role.provincial_official, province_code="01")
MINISTRY = auth_header(Role.ministry_official)
TODAY = date(2026, 11, 28)
PRODUCER_A, PRODUCER_B = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def evaluation(databases, jetstream):
    url = await databases.fresh("evaluation", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=EvaluationSettings)
    async with running(build_definition(settings, today=lambda: TODAY), settings) as svc:
        yield svc


def submission(name: str, producer: uuid.UUID, product_set: str = "tea",
               self_score: float = 80) -> ProductSubmittedForEvaluation:
    return ProductSubmittedForEvaluation(
        product_id=uuid.uuid4(), product_code=f"HN-{name[:3].upper()}-{uuid.uuid4().hex[:4]}",
        producer_id=producer, product_name=name, province_code="01", commune_code="00004",
        product_set=product_set, self_score=self_score, submitted_on=TODAY)


async def eventually(check, what: str, timeout: float = 30.0):  # noqa: ANN001, ANN201
    for _ in range(int(timeout / 0.1)):
        if result := await check():
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached within {timeout}s")


async def evaluations_of(http, headers=OFFICIAL, **params) -> list[dict]:  # noqa: ANN001
    page = await http.get("/evaluations", headers=headers, params={"limit": 200, **params})
    assert page.status_code == 200, page.text
    return page.json()["items"]


async def test_a_provincial_round_through_to_the_ministry(evaluation, jetstream) -> None:
    http = evaluation.http
    products = {
        "Chè Shan Tuyết": submission("Chè Shan Tuyết", PRODUCER_A),
        "Mật ong bạc hà": submission("Mật ong bạc hà", PRODUCER_A, "honey"),
        "Miến dong": submission("Miến dong", PRODUCER_B, "processed-food"),
        "Trà hoa vàng": submission("Trà hoa vàng", PRODUCER_A, "herbal-teas"),
    }
    late = submission("Gạo nếp cái hoa vàng", PRODUCER_A, "rice-grains")
    knocked = submission("Nước mắm cốt", PRODUCER_B, "condiments")

    # Submissions arrive before any round: they wait. One is delivered twice.
    envelopes = {}
    for name, event in products.items():
        envelopes[name] = await publish_event(jetstream, event)
    await publish_event(jetstream, products["Chè Shan Tuyết"],
                        event_id=envelopes["Chè Shan Tuyết"].id)
    waiting = await eventually(
        lambda: _when(evaluations_of(http, status="awaiting_round"), 4), "4 evaluations")
    assert {e["rulebook"] for e in waiting} == {"1489/2025"}
    assert {e["level"] for e in waiting} == {"province"}

    council = await create_council(http, OFFICIAL, TEST_SECRET,
                                   conflicts={6: [str(PRODUCER_B)]})
    chair, secretary = council.subject_with("chair"), council.subject_with("secretary")
    conflicted = list(council.members)[6]
    opened = await http.post(f"/councils/{council.id}/rounds", headers=OFFICIAL,
                             json={"name": "Đợt 2 năm 2026"})
    assert opened.status_code == 201, opened.text
    assert opened.json()["evaluations"] == {"in_round": 4}
    round_id = opened.json()["id"]
    again = await http.post(f"/councils/{council.id}/rounds", headers=OFFICIAL,
                            json={"name": "Đợt 3"})
    assert again.status_code == 409 and again.json()["error"] == "round_already_open"

    # A submission while the round is open joins it; so does one that will be knocked out.
    await publish_event(jetstream, late)
    await publish_event(jetstream, knocked)
    in_round = await eventually(
        lambda: _when(evaluations_of(http, round_id=round_id), 6), "6 evaluations in round")
    by_name = {e["product_name"]: e for e in in_round}

    async def sheet_of(name: str) -> dict:
        got = await http.get("/scoring-sheets", headers=OFFICIAL, params={
            "rulebook": "1489/2025", "product_set": by_name[name]["product_set"]})
        assert got.status_code == 200, got.text
        return got.json()

    # 92 points from every member: the result stands at the last sheet.
    tea = by_name["Chè Shan Tuyết"]
    tea_sheet = await sheet_of("Chè Shan Tuyết")
    assert await score_evaluation(http, council, tea, tea_sheet, 92) == "scored"

    # An unknown criterion and a missing one are refused with their ids; nothing is stored.
    honey = by_name["Mật ong bạc hà"]
    honey_sheet = await sheet_of("Mật ong bạc hà")
    choices, _ = choices_for(honey_sheet, 78)
    wrong = dict(list(choices.items())[1:]) | {"999": 1}
    refused = await http.post(f"/evaluations/{honey['id']}/sheets",
                              headers=council.headers[chair], json={"choices": wrong})
    assert refused.status_code == 422, refused.text
    assert "choices.999" in refused.json()["detail"]
    assert f"choices.{list(choices)[0]}: missing" in refused.json()["detail"]
    # Six of seven score 78 (the chair among them): the secretary asks for the result.
    for subject in list(council.members)[:6]:
        await submit_sheet(http, council, subject, honey["id"], choices)
    outsider = await http.post(f"/evaluations/{honey['id']}/tally",
                               headers=council.headers[list(council.members)[3]])
    assert outsider.status_code == 403
    tallied = await http.post(f"/evaluations/{honey['id']}/tally",
                              headers=council.headers[secretary])
    assert tallied.status_code == 200, tallied.text
    assert tallied.json()["stars"] == 4 and tallied.json()["score"] == 78

    # Producer B's product: the conflicted member cannot score it; six eligible members do.
    mien = by_name["Miến dong"]
    mien_sheet = await sheet_of("Miến dong")
    low, _ = choices_for(mien_sheet, 55)
    blocked = await http.post(f"/evaluations/{mien['id']}/sheets",
                              headers=council.headers[conflicted], json={"choices": low})
    assert blocked.status_code == 403 and "conflict of interest" in blocked.json()["detail"]
    # Without the chair there is no quorum, even with five sheets.
    for subject in list(council.members)[1:6]:
        await submit_sheet(http, council, subject, mien["id"], low)
    no_quorum = await http.post(f"/evaluations/{mien['id']}/tally",
                                headers=council.headers[secretary])
    assert no_quorum.status_code == 409 and "chair" in no_quorum.json()["detail"]
    last = await submit_sheet(http, council, chair, mien["id"], low)
    assert last["evaluation_status"] == "scored"

    # Totals 72 and 60: more than 10 apart -> RescoreRequired names the two members.
    tra = by_name["Trà hoa vàng"]
    tra_sheet = await sheet_of("Trà hoa vàng")
    high, high_total = choices_for(tra_sheet, 72)
    lowest, low_total = choices_for(tra_sheet, 60)
    subjects = list(council.members)
    for subject in subjects[:-1]:
        await submit_sheet(http, council, subject, tra["id"], high)
    outcome = await submit_sheet(http, council, subjects[-1], tra["id"], lowest)
    assert outcome["evaluation_status"] == "rescore_required"
    current = (await http.get(f"/evaluations/{tra['id']}", headers=OFFICIAL)).json()
    assert current["score"] is None and current["attempt"] == 2
    assert set(current["rescore_members"]) == {council.member_id(s) for s in subjects}
    # every member at 72 differs from the one at 60, so all are named; one rescores at 70
    rescore_events = await published_payloads(
        jetstream, "ocop.evaluation.evaluation.rescore-required.v1", at_least=1)
    assert rescore_events[0]["spread"] == pytest.approx(high_total - low_total)
    near, _ = choices_for(tra_sheet, 70)
    for subject in subjects:
        status = (await submit_sheet(http, council, subject, tra["id"],
                                     near if subject == subjects[-1] else high))
    assert status["evaluation_status"] == "scored"
    tra_result = (await http.get(f"/evaluations/{tra['id']}", headers=OFFICIAL)).json()
    assert tra_result["stars"] == 4

    # The late product: 85. The knocked-out one: five of seven pick a knock-out.
    await score_evaluation(http, council, by_name[late.product_name],
                           await sheet_of(late.product_name), 85)
    fish = by_name[knocked.product_name]
    fish_sheet = await sheet_of(knocked.product_name)
    ko = knock_out_choices(fish_sheet)
    good, _ = choices_for(fish_sheet, 80)
    for n, subject in enumerate(subjects[:6]):  # the 7th is conflicted with producer B
        await submit_sheet(http, council, subject, fish["id"], ko if n < 4 else good)
    fish_result = (await http.get(f"/evaluations/{fish['id']}", headers=OFFICIAL)).json()
    assert fish_result["status"] == "scored" and fish_result["stars"] == 0
    assert fish_result["knocked_out"]

    # Only the chair or secretary closes the round; then the proposals are recorded.
    refused_close = await http.post(f"/rounds/{round_id}/close",
                                    headers=council.headers[subjects[3]], json={})
    assert refused_close.status_code == 403
    closed = await http.post(f"/rounds/{round_id}/close", headers=council.headers[chair],
                             json={"proposal_number": "15/TTr-HĐ"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["evaluations"] == {"proposed": 5, "not_recognised": 1}

    # UBND tỉnh decides. The 92-point product needs its sample shipment.
    proposed = [e["id"] for e in await evaluations_of(http, status="proposed")]
    decision = {"level": "province", "province_code": "01", "number": "2345/QĐ-UBND",
                "decided_on": "2026-11-27", "signer": "Phó Chủ tịch UBND thành phố",
                "evaluation_ids": proposed}
    other_province = await http.post("/decisions", json=decision, headers=auth_header(
        Role.provincial_official, province_code="79"))
    assert other_province.status_code == 403
    missing = await http.post("/decisions", headers=OFFICIAL, json=decision)
    assert missing.status_code == 422
    assert missing.json()["field"] == f"referrals.{tea['id']}.sample_shipment"
    decision["referrals"] = {tea["id"]: {"sample_shipment": {
        "samples": 5, "shipped_on": "2026-11-28", "carrier": "VNPost",
        "tracking_number": "EV123456789VN"}}}
    decided = await http.post("/decisions", headers=OFFICIAL, json=decision)
    assert decided.status_code == 201, decided.text

    recognised = await published_payloads(
        jetstream, "ocop.evaluation.product.recognized.v1", at_least=5)
    stars = {r["product_name"]: (r["stars"], r["potential_five_stars"]) for r in recognised}
    assert stars == {"Chè Shan Tuyết": (4, True), "Mật ong bạc hà": (4, False),
                     "Miến dong": (3, False), "Trà hoa vàng": (4, False),
                     late.product_name: (4, False)}
    assert {r["decision_number"] for r in recognised} == {"2345/QĐ-UBND"}
    assert {r["authority"] for r in recognised} == {"UBND tỉnh 01"}
    referred = await published_payloads(
        jetstream, "ocop.evaluation.product.referred-to-ministry.v1", at_least=1)
    assert [r["product_name"] for r in referred] == ["Chè Shan Tuyết"]
    assert referred[0]["sample_shipment"]["tracking_number"] == "EV123456789VN"
    completed = await published_payloads(
        jetstream, "ocop.evaluation.evaluation.completed.v1", at_least=6)
    assert len(completed) == 6 and all(c["round_id"] == round_id for c in completed)
    tea_completed = next(c for c in completed if c["product_name"] == "Chè Shan Tuyết")
    assert tea_completed["score"] == 92 and set(tea_completed["part_scores"]) == {"A", "B", "C"}
    assert tea_completed["potential_five_stars"] and tea_completed["rulebook"] == "1489/2025"

    # The central council takes in the referral and recognises 5 stars.
    central = await create_council(http, MINISTRY, TEST_SECRET, level="central",
                                   province_code=None)
    central_round = await http.post(f"/councils/{central.id}/rounds", headers=MINISTRY,
                                    json={"name": "Đánh giá cấp trung ương 2026"})
    assert central_round.status_code == 201, central_round.text
    assert central_round.json()["evaluations"] == {"in_round": 1}
    [national] = await evaluations_of(http, level="central")
    assert national["previous_stars"] == 4 and national["forwarded_from"] == tea["id"]
    await score_evaluation(http, central, national, tea_sheet, 93)
    closed = await http.post(f"/rounds/{central_round.json()['id']}/close",
                             headers=central.headers[central.subject_with("secretary")],
                             json={})
    assert closed.status_code == 200, closed.text
    by_province = await http.post("/decisions", headers=OFFICIAL, json={
        "level": "central", "number": "100/QĐ-BNNMT", "decided_on": "2026-12-20",
        "signer": "Thứ trưởng", "evaluation_ids": [national["id"]]})
    assert by_province.status_code == 403
    ministry = await http.post("/decisions", headers=MINISTRY, json={
        "level": "central", "number": "100/QĐ-BNNMT", "decided_on": "2026-12-20",
        "signer": "Thứ trưởng", "evaluation_ids": [national["id"]]})
    assert ministry.status_code == 201, ministry.text
    five = await published_payloads(
        jetstream, "ocop.evaluation.product.recognized.v1", at_least=6)
    assert five[-1]["stars"] == 5 and five[-1]["level"] == "central"
    assert five[-1]["authority"] == "Bộ Nông nghiệp và Môi trường"
    national_done = await published_payloads(
        jetstream, "ocop.evaluation.product.national-evaluation-completed.v1", at_least=1)
    assert [(n["five_stars"], n["stars"]) for n in national_done] == [(True, 5)]

    # The producer sees its own results, not another's, and never the members' sheets.
    producer_a = auth_header(Role.producer, province_code="01", producer_id=str(PRODUCER_A))
    own = await http.get("/evaluations", headers=producer_a, params={"limit": 200})
    assert {e["producer_id"] for e in own.json()["items"]} == {str(PRODUCER_A)}
    assert (await http.get(f"/evaluations/{mien['id']}", headers=producer_a)).status_code == 403
    assert (await http.get(f"/evaluations/{tea['id']}/sheets",
                           headers=producer_a)).status_code == 403
    sheets = await http.get(f"/evaluations/{tea['id']}/sheets", headers=OFFICIAL)
    assert len(sheets.json()) == 7

    # Every step is in the audit trail, under its rulebook.
    trail = await http.get("/audit", headers=OFFICIAL,
                           params={"entity_id": tea["id"], "limit": 50})
    actions = [a["action"] for a in trail.json()["items"]]
    assert actions.count("sheet.submitted") == 7
    assert {"evaluation.opened", "result.computed"} <= set(actions)
    assert {a["rulebook"] for a in trail.json()["items"]} == {"1489/2025"}


async def _when(coro, count: int):  # noqa: ANN001, ANN202
    """The awaited list when it has at least `count` items, else None."""
    items = await coro
    return items if len(items) >= count else None
