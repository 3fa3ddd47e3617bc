"""Awareness and training over HTTP, on real PostgreSQL: courses, participants and their
attendance (capacity, duplicates, course days), province scoping, and the report's counts for a
period."""

from __future__ import annotations

import uuid

import pytest
from ocop_promotion.bootstrap import MIGRATIONS, build_definition
from ocop_promotion.settings import PromotionSettings
from ocop_shared.auth import Role
from ocop_shared.testing.services import auth_header, running, settings_for_test

HANOI = auth_header(Role.provincial_official, province_code="01")
HCM = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)
MINISTRY = auth_header(Role.ministry_official)
PRODUCER = auth_header(Role.producer, province_code="01", producer_id="p-1")
INTEGRATION = auth_header(Role.integration)


@pytest.fixture
async def http(databases, jetstream):
    url = await databases.fresh("promotion", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=PromotionSettings)
    async with running(build_definition(settings), settings) as svc:
        yield svc.http


def course_body(**overrides: object) -> dict:
    return {"title": "Tập huấn OCOP cho chủ thể", "audience": "producers", "province_code": "01",
            "starts_on": "2026-03-10", "ends_on": "2026-03-12", "mode": "in_person",
            "venue": "Hội trường Sở NN&MT Hà Nội", "organiser": "Sở NN&MT Hà Nội",
            "trainer": "TS. Nguyễn Văn A", "capacity": 2, **overrides}


async def course(http, headers=HANOI, **overrides) -> dict:  # noqa: ANN001
    created = await http.post("/training/courses", headers=headers, json=course_body(**overrides))
    assert created.status_code == 201, created.text
    return created.json()


async def participant(http, course_id: str, headers=HANOI, **body) -> dict:  # noqa: ANN001
    created = await http.post(f"/training/courses/{course_id}/participants", headers=headers,
                              json={"kind": "producer", **body})
    assert created.status_code == 201, created.text
    return created.json()


async def attend(http, course_id: str, day: str, records: dict, headers=HANOI):  # noqa: ANN001,ANN201
    return await http.put(f"/training/courses/{course_id}/attendance", headers=headers, json={
        "day": day, "records": [{"participant_id": p, "present": v} for p, v in records.items()]})


async def awareness(http, headers=HANOI, **overrides) -> dict:  # noqa: ANN001
    created = await http.post("/awareness", headers=headers, json={
        "kind": "article", "channel": "Báo Hà Nội Mới", "title": "Sản phẩm OCOP Hà Nội",
        "audience": "public", "province_code": "01", "published_on": "2026-04-01",
        **overrides})
    assert created.status_code == 201, created.text
    return created.json()


async def test_courses_are_organised_by_their_provinces_officials(http) -> None:  # noqa: ANN001
    created = await course(http)
    assert (created["participant_count"], created["capacity"]) == (0, 2)
    online = await course(http, OPERATOR, mode="online", venue=None, audience="mixed")
    assert online["venue"] is None

    other = await http.post("/training/courses", headers=HANOI,
                            json=course_body(province_code="79"))
    assert other.status_code == 403
    assert (await http.post("/training/courses", headers=HCM,
                            json=course_body())).status_code == 403
    for who in (PRODUCER, MINISTRY, INTEGRATION):
        assert (await http.post("/training/courses", headers=who,
                                json=course_body())).status_code == 403
    backwards = await http.post("/training/courses", headers=HANOI,
                                json=course_body(ends_on="2026-03-09"))
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_on"
    no_venue = await http.post("/training/courses", headers=HANOI, json=course_body(venue=" "))
    assert no_venue.status_code == 422 and no_venue.json()["field"] == "venue"
    bad_audience = await http.post("/training/courses", headers=HANOI,
                                   json=course_body(audience="tourists"))
    assert bad_audience.status_code == 422 and "audience" in bad_audience.text
    no_room = await http.post("/training/courses", headers=HANOI, json=course_body(capacity=0))
    assert no_room.status_code == 422 and "capacity" in no_room.text

    shown = await http.get(f"/training/courses/{created['id']}", headers=PRODUCER)
    assert shown.status_code == 200 and shown.json()["title"] == created["title"]
    missing = await http.get(f"/training/courses/{uuid.uuid4()}", headers=HANOI)
    assert missing.status_code == 404 and missing.json()["field"] == "course_id"


async def test_participants_capacity_duplicates_and_attendance(http) -> None:  # noqa: ANN001
    lop = await course(http)
    url = f"/training/courses/{lop['id']}/participants"
    producer_id = str(uuid.uuid4())
    first = await participant(http, lop["id"], name="Chị Lê Thị B",
                              organisation="HTX Chè Tân Cương", producer_id=producer_id)
    assert first["days_present"] == 0 and first["producer_id"] == producer_id

    same_producer = await http.post(url, headers=HANOI, json={
        "name": "Lê Thị B.", "kind": "producer", "producer_id": producer_id})
    assert same_producer.status_code == 409
    assert same_producer.json()["field"] == "producer_id"
    official = await http.post(url, headers=HANOI, json={"name": "Ông C", "kind": "official"})
    assert official.status_code == 422 and official.json()["field"] == "kind"
    assert (await http.post(url, headers=HCM, json={
        "name": "Anh D", "kind": "producer"})).status_code == 403
    assert (await http.post(url, headers=PRODUCER, json={
        "name": "Anh D", "kind": "producer"})).status_code == 403

    second = await participant(http, lop["id"], name="Anh  Trần Văn D", organisation="Hộ KD D")
    twice = await http.post(url, headers=HANOI, json={
        "name": "anh trần văn d", "kind": "producer", "organisation": "hộ kd d"})
    assert twice.status_code == 409 and twice.json()["field"] == "name"
    full = await http.post(url, headers=OPERATOR, json={"name": "Chị E", "kind": "producer"})
    assert full.status_code == 409 and full.json()["error"] == "course_full"
    assert full.json()["field"] == "course_id"
    missing = await http.post(f"/training/courses/{uuid.uuid4()}/participants", headers=HANOI,
                              json={"name": "Chị E", "kind": "producer"})
    assert missing.status_code == 404 and missing.json()["field"] == "course_id"

    a, b = first["id"], second["id"]
    day1 = await attend(http, lop["id"], "2026-03-10", {a: True, b: True})
    assert day1.status_code == 200, day1.text
    assert {r["participant_id"]: r["present"] for r in day1.json()["records"]} == {a: True,
                                                                                   b: True}
    assert (await attend(http, lop["id"], "2026-03-11", {a: True, b: True})).status_code == 200
    # the day is recorded again: B was in fact absent
    again = await attend(http, lop["id"], "2026-03-11", {b: False})
    assert {r["participant_id"]: r["present"] for r in again.json()["records"]} == {a: True,
                                                                                    b: False}
    outside = await attend(http, lop["id"], "2026-03-13", {a: True})
    assert outside.status_code == 422 and outside.json()["field"] == "day"
    before = await attend(http, lop["id"], "2026-03-09", {a: True})
    assert before.status_code == 422 and before.json()["field"] == "day"
    stranger = await attend(http, lop["id"], "2026-03-12", {a: True, str(uuid.uuid4()): True})
    assert stranger.status_code == 404
    assert stranger.json()["field"] == "records.1.participant_id"
    assert (await attend(http, lop["id"], "2026-03-12", {a: True}, HCM)).status_code == 403

    listed = await http.get(url, headers=HANOI, params={"limit": 1})
    assert listed.status_code == 200
    assert (listed.json()["total"], len(listed.json()["items"])) == (2, 1)
    everyone = (await http.get(url, headers=MINISTRY)).json()["items"]
    assert [(p["name"], p["days_present"]) for p in everyone] == [
        ("Chị Lê Thị B", 2), ("Anh  Trần Văn D", 1)]
    assert (await http.get(url, headers=HCM)).status_code == 403
    assert (await http.get(url, headers=PRODUCER)).status_code == 403
    shown = await http.get(f"/training/courses/{lop['id']}", headers=HANOI)
    assert shown.json()["participant_count"] == 2


async def test_reads_are_scoped_to_the_readers_province(http) -> None:  # noqa: ANN001
    hanoi = await course(http)
    hcm = await course(http, HCM, province_code="79", title="Tập huấn cán bộ",
                       audience="officials")
    await awareness(http)
    await awareness(http, HCM, province_code="79", kind="broadcast", channel="HTV")

    seen = await http.get("/training/courses", headers=HCM)
    assert [c["id"] for c in seen.json()["items"]] == [hcm["id"]]
    assert (await http.get("/training/courses", headers=HCM,
                           params={"province_code": "01"})).status_code == 403
    assert (await http.get(f"/training/courses/{hanoi['id']}", headers=HCM)).status_code == 403
    assert (await http.get("/training/courses", headers=MINISTRY)).json()["total"] == 2
    only_01 = await http.get("/training/courses", headers=INTEGRATION,
                             params={"province_code": "01", "audience": "producers"})
    assert [c["id"] for c in only_01.json()["items"]] == [hanoi["id"]]
    page = await http.get("/training/courses", headers=OPERATOR, params={"limit": 1})
    assert (page.json()["total"], len(page.json()["items"])) == (2, 1)

    items = await http.get("/awareness", headers=PRODUCER)
    assert [i["province_code"] for i in items.json()["items"]] == ["01"]
    assert (await http.get("/awareness", headers=PRODUCER,
                           params={"province_code": "79"})).status_code == 403
    assert (await http.get("/awareness", headers=MINISTRY)).json()["total"] == 2
    assert (await http.get("/reports/promotion", headers=HCM, params={
        "province_code": "01", "from": "2026-01-01", "to": "2026-12-31"})).status_code == 403
    assert (await http.get("/reports/promotion", headers=PRODUCER, params={
        "from": "2026-01-01", "to": "2026-12-31"})).status_code == 403
    refused = await http.post("/awareness", headers=HANOI, json={
        "kind": "article", "channel": "Báo", "title": "T", "audience": "public",
        "province_code": "79", "published_on": "2026-04-01"})
    assert refused.status_code == 403
    bad_reach = await http.post("/awareness", headers=HANOI, json={
        "kind": "article", "channel": "Báo", "title": "T", "audience": "public",
        "province_code": "01", "published_on": "2026-04-01", "reach": -1})
    assert bad_reach.status_code == 422 and "reach" in bad_reach.text


async def test_the_reports_counts_for_a_period(http) -> None:  # noqa: ANN001
    # in 2026, Hà Nội: a 3-day producers' course (2 participants) and a 1-day mixed one
    lop = await course(http)
    a = (await participant(http, lop["id"], name="Chị B", producer_id=str(uuid.uuid4())))["id"]
    b = (await participant(http, lop["id"], name="Anh D"))["id"]
    await attend(http, lop["id"], "2026-03-10", {a: True, b: True})
    await attend(http, lop["id"], "2026-03-11", {a: True, b: False})
    mixed = await course(http, audience="mixed", starts_on="2026-12-31", ends_on="2026-12-31",
                         capacity=10)
    c = (await participant(http, mixed["id"], name="Ông C", kind="official"))["id"]
    await participant(http, mixed["id"], name="Bà E", kind="council_member")
    await attend(http, mixed["id"], "2026-12-31", {c: True})
    # not counted: a course of 2025, one starting in 2027, one of another province
    old = await course(http, starts_on="2025-12-30", ends_on="2026-01-02")
    await participant(http, old["id"], name="Chị F")
    await course(http, starts_on="2027-01-01", ends_on="2027-01-01")
    other = await course(http, HCM, province_code="79")
    await participant(http, other["id"], name="Anh G", headers=HCM)

    await awareness(http, reach=12000)
    await awareness(http, reach=3000, published_on="2026-12-31")
    await awareness(http, kind="broadcast", channel="Đài PT-TH Hà Nội", published_on="2026-01-01")
    await awareness(http, kind="event", channel="Phố đi bộ Hồ Gươm", reach=5000,
                    audience="consumers", published_on="2026-10-10")
    await awareness(http, reach=999, published_on="2025-12-31")
    await awareness(http, reach=999, published_on="2027-01-01")
    await awareness(http, HCM, province_code="79", reach=999)

    report = await http.get("/reports/promotion", headers=HANOI, params={
        "province_code": "01", "from": "2026-01-01", "to": "2026-12-31"})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["province_code"], body["from"], body["to"]) == ("01", "2026-01-01",
                                                                 "2026-12-31")
    assert body["training"] == {
        "courses_held": 2, "participants": 4,
        "participants_by_audience": {"official": 1, "council_member": 1, "producer": 2},
        "participant_days_offered": 8, "participant_days_present": 4, "attendance_rate": 0.5,
    }
    assert body["awareness"] == {
        "items": 4, "reach": 20000,
        "by_kind": {"article": {"items": 2, "reach": 15000},
                    "broadcast": {"items": 1, "reach": 0},
                    "event": {"items": 1, "reach": 5000}},
    }
    # a provincial official's report is their own province's, asked or not
    own = (await http.get("/reports/promotion", headers=HANOI, params={
        "from": "2026-01-01", "to": "2026-12-31"})).json()
    assert own == body
    nationwide = (await http.get("/reports/promotion", headers=MINISTRY, params={
        "from": "2026-01-01", "to": "2026-12-31"})).json()
    assert nationwide["province_code"] is None
    assert nationwide["training"]["courses_held"] == 3
    assert nationwide["awareness"]["by_kind"]["article"] == {"items": 3, "reach": 15999}
    empty = (await http.get("/reports/promotion", headers=OPERATOR, params={
        "province_code": "01", "from": "2024-01-01", "to": "2024-12-31"})).json()
    assert empty["training"]["attendance_rate"] is None
    assert empty["awareness"]["items"] == 0
    backwards = await http.get("/reports/promotion", headers=OPERATOR, params={
        "from": "2026-12-31", "to": "2026-01-01"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "to"
    listed = await http.get("/awareness", headers=HANOI, params={
        "from": "2026-01-01", "to": "2026-12-31", "kind": "article"})
    assert [i["published_on"] for i in listed.json()["items"]] == ["2026-12-31", "2026-04-01"]
