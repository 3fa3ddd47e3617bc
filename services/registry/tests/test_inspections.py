"""Inspections (kiểm tra, hậu kiểm): the pure rules of the checklist and outcomes, then over
HTTP on real PostgreSQL and NATS: planning covers only the producer's certified products;
recording compliant or fix_by_deadline; invalid combinations refused naming the field; the
InspectionRecorded event published once with its outcome; recording twice refused."""

from datetime import date

import pytest
from ocop_registry.adapters.tables import messaging
from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.domain.inspections import (
    ITEM_NAMES_VI,
    CheckedItem,
    ChecklistItem,
    InvalidInspection,
    ItemResult,
    Outcome,
    check_dates,
    check_outcome,
    check_results,
    findings_summary,
)
from ocop_registry.testing import submit_and_recognize
from ocop_shared.auth import Role
from ocop_shared.contracts.registry import InspectionRecorded
from ocop_shared.testing.services import (
    auth_header,
    published_payloads,
    running,
    settings_for_test,
)
from sqlalchemy import select

OFFICIAL = auth_header(Role.provincial_official, province_code="01")
OTHER_PROVINCE = auth_header(Role.provincial_official, province_code="79")
COUNCIL = auth_header(Role.council_member, province_code="01")
DECIDED = date(2026, 1, 15)
PLANNED = date(2026, 6, 1)
INSPECTED = date(2026, 6, 10)

P, F, NA = ItemResult.PASS, ItemResult.FAIL, ItemResult.NOT_APPLICABLE


def items(**results: ItemResult) -> list[CheckedItem]:
    return [CheckedItem(ChecklistItem(k), v, "ghi chú" if v is F else None)
            for k, v in results.items()]


# ---------------------------------------------------------------------------------------
# The pure rules
# ---------------------------------------------------------------------------------------


def test_the_checklist_covers_domain_section_7_with_vietnamese_names() -> None:
    assert {i.value for i in ChecklistItem} == {
        "production_activity", "raw_materials", "labour", "scale", "revenue", "environment",
        "markets", "quality_management", "traceability", "trademark", "labels_packaging",
        "food_safety_certificates", "meets_criteria"}
    assert set(ITEM_NAMES_VI) == set(ChecklistItem)
    assert ChecklistItem.TRACEABILITY.name_vi == "Truy xuất nguồn gốc (mã vạch, mã QR)"


def test_compliant_needs_no_failed_item() -> None:
    check_outcome(items(labour=P, scale=NA), Outcome.COMPLIANT, None, INSPECTED)
    with pytest.raises(InvalidInspection) as exc:
        check_outcome(items(labour=P, trademark=F), Outcome.COMPLIANT, None, INSPECTED)
    assert exc.value.field == "outcome" and "trademark" in exc.value.message
    with pytest.raises(InvalidInspection, match="at least one passed"):
        check_outcome(items(labour=NA), Outcome.COMPLIANT, None, INSPECTED)


def test_fix_by_deadline_needs_a_later_deadline_and_a_failure() -> None:
    failing = items(labour=P, labels_packaging=F)
    check_outcome(failing, Outcome.FIX_BY_DEADLINE, date(2026, 9, 1), INSPECTED)
    for deadline in (None, INSPECTED, date(2026, 6, 1)):
        with pytest.raises(InvalidInspection) as exc:
            check_outcome(failing, Outcome.FIX_BY_DEADLINE, deadline, INSPECTED)
        assert exc.value.field == "deadline"
    with pytest.raises(InvalidInspection) as exc:
        check_outcome(items(labour=P), Outcome.FIX_BY_DEADLINE, date(2026, 9, 1), INSPECTED)
    assert exc.value.code == "nothing_to_fix"


def test_a_deadline_only_goes_with_fix_by_deadline() -> None:
    failing = items(meets_criteria=F)
    check_outcome(failing, Outcome.RECOMMEND_REVOCATION, None, INSPECTED)
    check_outcome(failing, Outcome.RECOMMEND_REEVALUATION, None, INSPECTED)
    with pytest.raises(InvalidInspection) as exc:
        check_outcome(failing, Outcome.RECOMMEND_REVOCATION, date(2026, 9, 1), INSPECTED)
    assert exc.value.field == "deadline"


def test_results_are_checked() -> None:
    with pytest.raises(InvalidInspection) as exc:
        check_results([])
    assert exc.value.field == "items"
    with pytest.raises(InvalidInspection) as exc:
        check_results([CheckedItem(ChecklistItem.LABOUR, P), CheckedItem(ChecklistItem.LABOUR, F,
                                                                         "thiếu")])
    assert exc.value.field == "items.1"
    check_results([CheckedItem(ChecklistItem.LABOUR, P, None, "a"),
                   CheckedItem(ChecklistItem.LABOUR, P, None, "b")])
    with pytest.raises(InvalidInspection) as exc:
        check_results([CheckedItem(ChecklistItem.SCALE, F, "  ")])
    assert exc.value.field == "items.0.note"
    with pytest.raises(InvalidInspection) as exc:
        check_dates(date(2026, 7, 1), today=date(2026, 6, 30))
    assert exc.value.field == "inspected_on"


def test_findings_summary_names_the_failed_items() -> None:
    summary = findings_summary("Bao bì chưa cập nhật", items(labels_packaging=F, labour=P))
    assert summary == "Không đạt: Nhãn mác, bao bì. Bao bì chưa cập nhật"
    assert findings_summary(None, items(labour=P)) == "Không có phát hiện"
    assert len(findings_summary("x" * 1000, [])) == 500


# ---------------------------------------------------------------------------------------
# Over HTTP, on real PostgreSQL and NATS
# ---------------------------------------------------------------------------------------


def service(url: str, nats_url: str):  # noqa: ANN201
    return running(build_definition(), settings_for_test(url, nats_url))


@pytest.fixture
async def url(databases):
    return await databases.fresh("registry", MIGRATIONS)


async def new_producer(http, n: int = 0, province: str = "01") -> dict:
    producer = await http.post("/producers", headers=OFFICIAL, json={
        "name": f"HTX Chè Tà Xùa {n}", "kind": "cooperative",
        "registration_number": f"{101234567 + n:010d}", "legal_representative": "Lò Văn Pấng",
        "province_code": province, "commune_code": "00004"})
    assert producer.status_code == 201, producer.text
    return producer.json()


async def new_product(http, producer: dict, n: int = 0) -> dict:
    product = await http.post("/products", headers=OFFICIAL, json={
        "producer_id": producer["id"], "name": f"Chè Shan Tuyết {n}", "product_set": "tea"})
    assert product.status_code == 201, product.text
    return product.json()


async def recognize(http, product: dict, number: str = "12/QĐ-UBND") -> dict:
    return await submit_and_recognize(http, product, OFFICIAL, decision_date=DECIDED,
                                      number=number)


async def outbox_events(runtime) -> list[dict]:
    outbox = messaging.outbox
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(
            select(outbox.c.payload).where(outbox.c.type == InspectionRecorded.event_type())
            .order_by(outbox.c.seq))).all()
    return [row.payload for row in rows]


def all_pass(**overrides: str) -> list[dict]:
    return [{"item": i.value, "result": overrides.get(i.value, "pass"),
             **({"note": "Bao bì chưa ghi hạn sử dụng"} if overrides.get(i.value) == "fail"
                else {})}
            for i in ChecklistItem]


async def plan(http, producer: dict, products: list[dict], headers=OFFICIAL):  # noqa: ANN001, ANN201
    return await http.post("/inspections", headers=headers, json={
        "producer_id": producer["id"], "planned_on": str(PLANNED),
        "product_ids": [p["id"] for p in products], "inspectors": ["Nguyễn Văn A"]})


async def test_plan_covers_only_the_producers_certified_products(url, jetstream) -> None:
    async with service(url, jetstream) as svc:
        http = svc.http
        producer = await new_producer(http)
        certified = await recognize(http, await new_product(http, producer))
        draft = await new_product(http, producer, 1)
        other = await new_producer(http, 2)
        others = await recognize(http, await new_product(http, other, 2), "13/QĐ-UBND")

        refused = await plan(http, producer, [certified, draft])
        assert refused.status_code == 409, refused.text
        assert refused.json()["field"] == "product_ids.1"
        assert refused.json()["error"] == "product_not_certified"
        refused = await plan(http, producer, [others])
        assert refused.status_code == 422 and refused.json()["field"] == "product_ids.0"
        refused = await plan(http, producer, [])
        assert refused.status_code == 422 and "product_ids" in refused.text
        assert (await plan(http, producer, [certified], OTHER_PROVINCE)).status_code == 403
        assert (await plan(http, producer, [certified], COUNCIL)).status_code == 403

        planned = await plan(http, producer, [certified])
        assert planned.status_code == 201, planned.text
        body = planned.json()
        assert body["status"] == "planned" and body["outcome"] is None
        assert body["product_ids"] == [certified["id"]] and body["province_code"] == "01"
        assert body["inspectors"] == ["Nguyễn Văn A"]
        got = await http.get(f"/inspections/{body['id']}", headers=COUNCIL)
        assert got.status_code == 200 and got.json()["id"] == body["id"]
        assert (await http.get(f"/inspections/{body['id']}",
                               headers=OTHER_PROVINCE)).status_code == 403
        checklist = (await http.get("/inspection-checklist", headers=COUNCIL)).json()
        assert len(checklist) == len(ChecklistItem)


async def test_record_compliant_then_recording_twice_is_refused(url, jetstream) -> None:
    async with service(url, jetstream) as svc:
        http = svc.http
        producer = await new_producer(http)
        product = await recognize(http, await new_product(http, producer))
        inspection = (await plan(http, producer, [product])).json()
        recorded = await http.post(f"/inspections/{inspection['id']}/record", headers=OFFICIAL,
                                   json={
            "inspected_on": str(INSPECTED), "items": all_pass(scale="not_applicable"),
            "outcome": "compliant", "findings": "Cơ sở sản xuất ổn định",
            "products_under_development": [{"name": "Trà túi lọc"}],
            "star_raising_plans": [{"process": "VietGAP", "product_id": product["id"],
                                    "target_stars": 5}]})
        assert recorded.status_code == 200, recorded.text
        body = recorded.json()
        assert body["status"] == "recorded" and body["outcome"] == "compliant"
        assert body["inspected_on"] == str(INSPECTED) and body["deadline"] is None
        assert len(body["items"]) == len(ChecklistItem)
        assert body["items"][0]["name_vi"] == "Tình hình hoạt động sản xuất, kinh doanh"
        assert body["products_under_development"] == [{"name": "Trà túi lọc",
                                                       "description": None}]
        assert body["star_raising_plans"][0]["process"] == "VietGAP"

        again = await http.post(f"/inspections/{inspection['id']}/record", headers=OFFICIAL,
                                json={"inspected_on": str(INSPECTED), "items": all_pass(),
                                      "outcome": "compliant"})
        assert again.status_code == 409 and again.json()["error"] == "inspection_already_recorded"

        [event] = await outbox_events(svc.runtime)
        assert event["outcome"] == "compliant" and event["inspection_id"] == inspection["id"]
        assert event["product_ids"] == [product["id"]] and event["province_code"] == "01"
        assert event["producer_id"] == producer["id"] and event["deadline"] is None

        published = await published_payloads(jetstream, InspectionRecorded.subject(),
                                             at_least=1)
        mine = [e for e in published if e["inspection_id"] == inspection["id"]]
        assert len(mine) == 1 and mine[0]["outcome"] == "compliant"


async def test_record_fix_by_deadline_and_invalid_combinations(url, jetstream) -> None:
    async with service(url, jetstream) as svc:
        http = svc.http
        producer = await new_producer(http)
        product = await recognize(http, await new_product(http, producer))
        inspection = (await plan(http, producer, [product])).json()
        record = f"/inspections/{inspection['id']}/record"
        failing = all_pass(labels_packaging="fail")

        cases = [
            ({"items": failing, "outcome": "compliant"}, 422, "outcome"),
            ({"items": failing, "outcome": "fix_by_deadline"}, 422, "deadline"),
            ({"items": failing, "outcome": "fix_by_deadline", "deadline": str(INSPECTED)},
             422, "deadline"),
            ({"items": all_pass(), "outcome": "recommend_revocation", "deadline": "2026-09-01"},
             422, "deadline"),
            ({"items": [{"item": "labour", "result": "fail"}], "outcome": "recommend_revocation"},
             422, "items.0.note"),
            ({"items": [{"item": "labour", "result": "pass",
                         "product_id": "00000000-0000-0000-0000-000000000000"}],
              "outcome": "compliant"}, 422, "items.0.product_id"),
            ({"items": failing, "outcome": "fix_by_deadline", "deadline": "2026-09-01",
              "inspected_on": "2099-01-01"}, 422, "inspected_on"),
        ]
        for body, code, field in cases:
            refused = await http.post(record, headers=OFFICIAL,
                                      json={"inspected_on": str(INSPECTED)} | body)
            assert refused.status_code == code, (body, refused.text)
            assert refused.json()["field"] == field, (body, refused.text)
        unknown = await http.post(record, headers=OFFICIAL, json={
            "inspected_on": str(INSPECTED), "items": [{"item": "nope", "result": "pass"}],
            "outcome": "compliant"})
        assert unknown.status_code == 422 and "item" in unknown.text
        assert (await http.post(record, headers=OTHER_PROVINCE, json={
            "inspected_on": str(INSPECTED), "items": all_pass(),
            "outcome": "compliant"})).status_code == 403
        assert await outbox_events(svc.runtime) == []

        recorded = await http.post(record, headers=OFFICIAL, json={
            "inspected_on": str(INSPECTED), "items": failing, "outcome": "fix_by_deadline",
            "deadline": "2026-09-01", "findings": "Nhãn chưa đúng quy định"})
        assert recorded.status_code == 200, recorded.text
        assert recorded.json()["deadline"] == "2026-09-01"
        [event] = await outbox_events(svc.runtime)
        assert event["outcome"] == "fix_by_deadline" and event["deadline"] == "2026-09-01"
        assert event["failed_items"] == ["labels_packaging"]
        assert event["findings"] == "Không đạt: Nhãn mác, bao bì. Nhãn chưa đúng quy định"

        listed = await http.get("/inspections", headers=OFFICIAL,
                                params={"outcome": "fix_by_deadline"})
        assert listed.status_code == 200
        assert [i["id"] for i in listed.json()["items"]] == [inspection["id"]]
        for params in ({"status": "planned"}, {"outcome": "compliant"},
                       {"producer_id": "00000000-0000-0000-0000-000000000000"}):
            assert (await http.get("/inspections", headers=OFFICIAL,
                                   params=params)).json()["total"] == 0
        assert (await http.get("/inspections", headers=OFFICIAL,
                               params={"status": "recorded", "province_code": "01",
                                       "producer_id": producer["id"]})).json()["total"] == 1
        assert (await http.get("/inspections", headers=OTHER_PROVINCE)).json()["total"] == 0
        own = auth_header(Role.producer, province_code="01", producer_id=producer["id"])
        assert (await http.get("/inspections", headers=own)).json()["total"] == 1
        stranger = auth_header(Role.producer, province_code="01",
                               producer_id="00000000-0000-0000-0000-000000000001")
        assert (await http.get("/inspections", headers=stranger)).json()["total"] == 0
