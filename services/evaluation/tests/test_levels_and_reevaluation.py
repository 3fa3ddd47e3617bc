"""Routing by rulebook and jurisdiction, forwarding between levels, and re-evaluation, on real
PostgreSQL and NATS JetStream: province 79 runs rulebook 148/2023 (district councils first),
province 01 the default 1489/2025; an inspection finding re-evaluates a product and the new
decision lowers its stars, then takes the recognition away."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from ocop_evaluation.bootstrap import MIGRATIONS, build_definition
from ocop_evaluation.settings import EvaluationSettings
from ocop_evaluation.testing import create_council, score_evaluation
from ocop_shared.auth import Role
from ocop_shared.contracts.registry import InspectionRecorded, ProductSubmittedForEvaluation
from ocop_shared.testing.services import (
    TEST_SECRET,
    auth_header,
    publish_event,
    published_payloads,
    running,
    settings_for_test,
)

from .test_provincial_round import eventually, evaluations_of

HCM = auth_header(Role.provincial_official, province_code="79")
HANOI = auth_header(Role.provincial_official, province_code="01")
MINISTRY = auth_header(Role.ministry_official)
TODAY = date(2026, 11, 28)
SMALL = ("chair", "secretary", "member")


@pytest.fixture
async def evaluation(databases, jetstream):
    url = await databases.fresh("evaluation", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=EvaluationSettings,
                                 province_rulebooks={"79": "148/2023"})
    async with running(build_definition(settings, today=lambda: TODAY), settings) as svc:
        yield svc


def submitted(name: str, province: str, commune: str | None) -> ProductSubmittedForEvaluation:
    return ProductSubmittedForEvaluation(
        product_id=uuid.uuid4(), product_code=f"P-{uuid.uuid4().hex[:6]}",
        producer_id=uuid.uuid4(), product_name=name, province_code=province,
        commune_code=commune, product_set="honey", submitted_on=TODAY)


async def honey_sheet(http, rulebook: str) -> dict:  # noqa: ANN001
    got = await http.get("/scoring-sheets", headers=HANOI,
                         params={"rulebook": rulebook, "product_set": "honey"})
    assert got.status_code == 200, got.text
    return got.json()


async def decide(http, headers, level, province, number, ids) -> None:  # noqa: ANN001
    made = await http.post("/decisions", headers=headers, json={
        "level": level, "province_code": province, "number": number,
        "decided_on": "2026-11-28", "signer": "Chủ tịch", "evaluation_ids": ids})
    assert made.status_code == 201, made.text


async def at_least(coro, count: int):  # noqa: ANN001, ANN201
    items = await coro
    return items if len(items) >= count else None


async def close(http, council, round_id: str) -> dict:  # noqa: ANN001
    closed = await http.post(f"/rounds/{round_id}/close", json={},
                             headers=council.headers[council.subject_with("chair")])
    assert closed.status_code == 200, closed.text
    return closed.json()


async def test_148_runs_a_district_council_first_and_forwards_70_plus(
    evaluation, jetstream
) -> None:
    http = evaluation.http
    high, mid = submitted("Mật ong rừng", "79", "26734"), submitted("Mật ong cà phê", "79",
                                                                      "26734")
    elsewhere = submitted("Mật ong Cần Giờ", "79", "27664")
    for event in (high, mid, elsewhere):
        await publish_event(jetstream, event)
    opened = await eventually(
        lambda: at_least(evaluations_of(http, HCM, province_code="79"), 3), "3 evaluations")
    assert {(e["rulebook"], e["level"]) for e in opened} == {("148/2023", "district")}

    refused = await http.post("/councils", headers=HCM, json={
        "name": "HĐ không có xã", "level": "district", "province_code": "79"})
    assert refused.status_code == 422 and refused.json()["field"] == "communes"
    district = await create_council(http, HCM, TEST_SECRET, level="district",
                                    province_code="79", roles=SMALL, communes=["26734"])
    round_ = await http.post(f"/councils/{district.id}/rounds", headers=HCM,
                             json={"name": "Đợt 1 huyện"})
    assert round_.status_code == 201, round_.text
    assert round_.json()["rulebook"] == "148/2023"
    assert round_.json()["evaluations"] == {"in_round": 2}  # not the other commune's
    in_round = {e["product_name"]: e for e in await evaluations_of(
        http, HCM, round_id=round_.json()["id"])}
    sheet = await honey_sheet(http, "148/2023")
    await score_evaluation(http, district, in_round["Mật ong rừng"], sheet, 75)
    await score_evaluation(http, district, in_round["Mật ong cà phê"], sheet, 60)
    forwarded = (await http.get(f"/evaluations/{in_round['Mật ong rừng']['id']}",
                                headers=HCM)).json()
    assert (forwarded["stars"], forwarded["recognised_stars"], forwarded["forwarded_to"]) == (
        4, None, "province")
    assert (await close(http, district, round_.json()["id"]))["evaluations"] == {
        "proposed": 2}
    await decide(http, HCM, "district", "79", "45/QĐ-UBND", list(
        e["id"] for e in in_round.values()))

    recognised = await published_payloads(
        jetstream, "ocop.evaluation.product.recognized.v1", at_least=1)
    assert [(r["product_name"], r["stars"], r["level"], r["authority"])
            for r in recognised] == [("Mật ong cà phê", 3, "district", "UBND huyện 79")]
    [provincial] = await evaluations_of(http, HCM, province_code="79", level="province")
    assert provincial["product_name"] == "Mật ong rừng"
    assert (provincial["reason"], provincial["status"]) == ("forwarded", "awaiting_round")
    assert provincial["forwarded_from"] == in_round["Mật ong rừng"]["id"]
    still_waiting = await evaluations_of(http, HCM, level="district", status="awaiting_round")
    assert [e["product_name"] for e in still_waiting] == ["Mật ong Cần Giờ"]


async def test_an_inspection_finding_re_evaluates_and_can_lower_the_stars(
    evaluation, jetstream
) -> None:
    http = evaluation.http
    product = submitted("Mật ong bạc hà", "01", "00004")
    await publish_event(jetstream, product)
    await eventually(lambda: at_least(evaluations_of(http, province_code="01"), 1), "opened")
    council = await create_council(http, HANOI, TEST_SECRET, roles=SMALL)
    sheet = await honey_sheet(http, "1489/2025")

    async def round_scored_and_decided(target: float, number: str) -> dict:
        opened = await http.post(f"/councils/{council.id}/rounds", headers=HANOI,
                                 json={"name": f"Đợt {number}"})
        assert opened.status_code == 201, opened.text
        [current] = await evaluations_of(http, round_id=opened.json()["id"])
        await score_evaluation(http, council, current, sheet, target)
        await close(http, council, opened.json()["id"])
        await decide(http, HANOI, "province", "01", number, [current["id"]])
        return current

    await round_scored_and_decided(80, "10/QĐ-UBND")
    under_way = await http.post("/re-evaluations", headers=HANOI, json={
        "product_id": str(product.product_id), "reason": "upgrade"})
    assert under_way.status_code == 201, under_way.text
    again = await http.post("/re-evaluations", headers=HANOI, json={
        "product_id": str(product.product_id), "reason": "upgrade"})
    assert again.status_code == 409 and again.json()["error"] == "under_evaluation"
    unknown = await http.post("/re-evaluations", headers=HANOI, json={
        "product_id": str(uuid.uuid4()), "reason": "upgrade"})
    assert unknown.status_code == 404
    await round_scored_and_decided(82, "11/QĐ-UBND")

    # An inspection recommends re-evaluation (delivered twice: one re-evaluation).
    inspection = InspectionRecorded(
        inspection_id=uuid.uuid4(), producer_id=product.producer_id, province_code="01",
        product_ids=[product.product_id], inspected_on=date(2026, 11, 27),
        outcome="recommend_reevaluation", findings="Nguồn nguyên liệu không rõ ràng")
    envelope = await publish_event(jetstream, inspection)
    await publish_event(jetstream, inspection, event_id=envelope.id)
    reopened = await eventually(lambda: at_least(
        evaluations_of(http, product_id=str(product.product_id), status="awaiting_round"), 1),
        "the re-evaluation")
    assert len(reopened) == 1
    assert (reopened[0]["reason"], reopened[0]["previous_stars"]) == ("inspection", 4)
    await round_scored_and_decided(60, "12/QĐ-UBND")
    recognised = await published_payloads(
        jetstream, "ocop.evaluation.product.recognized.v1", at_least=3)
    assert [(r["stars"], r["reason"], r["previous_stars"]) for r in recognised] == [
        (4, "first", None), (4, "upgrade", 4), (3, "inspection", 4)]
    assert len(await evaluations_of(http, product_id=str(product.product_id))) == 3

    # Another re-evaluation finds 40 points: the decision takes the recognition away.
    again = await http.post("/re-evaluations", headers=HANOI, json={
        "product_id": str(product.product_id), "reason": "inspection"})
    assert again.status_code == 201 and again.json()["previous_stars"] == 3
    last = await round_scored_and_decided(40, "13/QĐ-UBND")
    withdrawn = await published_payloads(
        jetstream, "ocop.evaluation.product.recognition-withdrawn.v1", at_least=1)
    assert [(w["evaluation_id"], w["previous_stars"], w["stars"], w["decision_number"])
            for w in withdrawn] == [(last["id"], 3, 2, "13/QĐ-UBND")]


async def test_a_round_opening_while_submissions_arrive_takes_every_one(
    evaluation, jetstream
) -> None:
    """Submissions keep arriving while the round opens: each lands in the round, whether it
    was waiting when the round opened or came after (none is left waiting)."""
    http = evaluation.http
    council = await create_council(http, HANOI, TEST_SECRET, roles=SMALL)
    events = [submitted(f"Sản phẩm {n}", "01", "00004") for n in range(60)]

    async def publish_all() -> None:
        for event in events:
            await publish_event(jetstream, event)

    publishing = asyncio.create_task(publish_all())
    await eventually(lambda: at_least(evaluations_of(http), 10), "the first evaluations")
    opened = await http.post(f"/councils/{council.id}/rounds", headers=HANOI,
                             json={"name": "Đợt giữa chừng"})
    assert opened.status_code == 201, opened.text
    await publishing
    everything = await eventually(lambda: at_least(evaluations_of(http), 60), "60 evaluations")
    assert {(e["status"], e["round_id"]) for e in everything} == {
        ("in_round", opened.json()["id"])}


async def test_a_central_score_below_90_leaves_the_product_at_4_stars(
    evaluation, jetstream
) -> None:
    """The other way out of the central council: 85 points there, so the Ministry recognises
    nothing and NationalEvaluationCompleted says the product keeps its 4 stars."""
    http = evaluation.http
    product = submitted("Mật ong rừng Tràm", "01", "00004")
    await publish_event(jetstream, product)
    await eventually(lambda: at_least(evaluations_of(http, province_code="01"), 1), "opened")
    provincial = await create_council(http, HANOI, TEST_SECRET, roles=SMALL)
    sheet = await honey_sheet(http, "1489/2025")
    opened = await http.post(f"/councils/{provincial.id}/rounds", headers=HANOI,
                             json={"name": "Đợt 1"})
    [current] = await evaluations_of(http, round_id=opened.json()["id"])
    await score_evaluation(http, provincial, current, sheet, 92)
    await close(http, provincial, opened.json()["id"])
    made = await http.post("/decisions", headers=HANOI, json={
        "level": "province", "province_code": "01", "number": "20/QĐ-UBND",
        "decided_on": "2026-11-28", "signer": "Chủ tịch", "evaluation_ids": [current["id"]],
        "referrals": {current["id"]: {"sample_shipment": {"samples": 5,
                                                          "shipped_on": "2026-11-28"}}}})
    assert made.status_code == 201, made.text

    central = await create_council(http, MINISTRY, TEST_SECRET, level="central",
                                   province_code=None, roles=SMALL)
    central_round = await http.post(f"/councils/{central.id}/rounds", headers=MINISTRY,
                                    json={"name": "Trung ương"})
    [national] = await evaluations_of(http, round_id=central_round.json()["id"])
    assert await score_evaluation(http, central, national, sheet, 85) == "scored"
    closed = await close(http, central, central_round.json()["id"])
    assert closed["evaluations"] == {"not_recognised": 1}
    [outcome] = await published_payloads(
        jetstream, "ocop.evaluation.product.national-evaluation-completed.v1", at_least=1)
    assert (outcome["five_stars"], outcome["stars"], outcome["score"]) == (False, 4, 85)
    recognised = await published_payloads(
        jetstream, "ocop.evaluation.product.recognized.v1", at_least=1)
    assert [(r["level"], r["stars"]) for r in recognised] == [("province", 4)]
