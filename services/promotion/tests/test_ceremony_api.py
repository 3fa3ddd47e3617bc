"""Officials manage ceremonies over HTTP on real PostgreSQL and NATS: reschedule, move products,
cancel (the products are re-planned), display list and trade-connection sessions, with their
events and the 403/404/409/422 refusals."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from ocop_promotion.adapters.tables import messaging
from ocop_promotion.bootstrap import MIGRATIONS, build_definition
from ocop_promotion.settings import PromotionSettings
from ocop_shared.auth import Role
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.testing.services import auth_header, publish_event, running, settings_for_test
from sqlalchemy import func, select

HANOI = auth_header(Role.provincial_official, province_code="01")
HCM = auth_header(Role.provincial_official, province_code="79")
MINISTRY = auth_header(Role.ministry_official)
OPERATOR = auth_header(Role.operator)
PRODUCER = auth_header(Role.producer, producer_id=str(uuid.uuid4()))
D1 = [uuid.UUID(int=i) for i in (11, 12, 13)]
D2 = [uuid.UUID(int=i) for i in (21, 22)]


def recognized(product_id: uuid.UUID, decision: str, level: str = "province") -> ProductRecognized:
    return ProductRecognized(
        product_id=product_id, producer_id=uuid.uuid5(uuid.NAMESPACE_OID, str(product_id)),
        product_name=f"Sản phẩm {product_id.int}", province_code="01", stars=4, level=level,
        authority="UBND tỉnh 01" if level == "province" else "Bộ NN&MT",
        decision_number=decision, decision_date=date(2027, 3, 1), score=80.0,
        rulebook="148/2023")


async def handled(svc, count: int) -> None:  # noqa: ANN001
    for _ in range(200):
        async with svc.runtime.engine.connect() as conn:
            done = (await conn.execute(
                select(func.count()).select_from(messaging.inbox))).scalar_one()
        if done >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {done} of {count} events handled")


async def events_since(svc, seen: int) -> list[tuple[str, dict]]:  # noqa: ANN001
    outbox = messaging.outbox
    async with svc.runtime.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.type, outbox.c.payload)
                                  .order_by(outbox.c.seq).offset(seen))
    return [(t.split(".")[2], p) for t, p in rows]


@pytest.fixture
async def planned(databases, jetstream):
    """Ceremony A (2027-03-15) full with D1's three products, B (2027-03-16) with D2's two."""
    url = await databases.fresh("promotion", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=PromotionSettings, ceremony_capacity=3)
    async with running(build_definition(settings), settings) as svc:
        for product_id in D1:
            await publish_event(jetstream, recognized(product_id, "1/QĐ"))
        for product_id in D2:
            await publish_event(jetstream, recognized(product_id, "2/QĐ"))
        await handled(svc, 5)
        listed = (await svc.http.get("/ceremonies", headers=HANOI)).json()["items"]
        assert [(c["ceremony_date"], c["product_count"]) for c in listed] == [
            ("2027-03-15", 3), ("2027-03-16", 2)]
        yield svc, listed[0]["id"], listed[1]["id"]


async def test_reschedule_with_its_refusals(planned) -> None:  # noqa: ANN001
    svc, a, _b = planned
    http, url = svc.http, f"/ceremonies/{a}/reschedule"

    async def refused(headers: dict, body: dict, status: int, field: str | None = None) -> None:
        response = await http.post(url, headers=headers, json=body)
        assert response.status_code == status, response.text
        if field:
            assert response.json()["field"] == field

    await refused(HCM, {"ceremony_date": "2027-03-18"}, 403)
    await refused(MINISTRY, {"ceremony_date": "2027-03-18"}, 403)  # a provincial ceremony
    await refused(PRODUCER, {"ceremony_date": "2027-03-18"}, 403)
    await refused(HANOI, {"ceremony_date": "2027-03-20"}, 422, "ceremony_date")  # Saturday
    await refused(HANOI, {"ceremony_date": "2027-04-30"}, 422, "ceremony_date")  # holiday
    await refused(HANOI, {"ceremony_date": "2026-01-05"}, 422, "ceremony_date")  # past
    missing = await http.post(f"/ceremonies/{uuid.uuid4()}/reschedule", headers=HANOI,
                              json={"ceremony_date": "2027-03-18"})
    assert missing.status_code == 404 and missing.json()["field"] == "ceremony_id"

    sessions = await http.put(f"/ceremonies/{a}/sessions", headers=HANOI, json={"sessions": [
        {"starts_at": "2027-03-15T14:00:00+07:00", "topic": "Kết nối siêu thị"}]})
    assert sessions.status_code == 200, sessions.text
    done = await http.post(url, headers=HANOI, json={
        "ceremony_date": "2027-03-18", "venue": "Nhà văn hóa tỉnh", "reason": "Trùng lịch họp"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["ceremony_date"], body["venue"]) == ("2027-03-18", "Nhà văn hóa tỉnh")
    assert body["sessions"][0]["starts_at"].startswith("2027-03-18T07:00")  # 14:00 in Hanoi
    [(name, event)] = await events_since(svc, 5)
    assert name == "CeremonyRescheduled"
    assert (event["previous_date"], event["ceremony_date"]) == ("2027-03-15", "2027-03-18")
    assert [p["product_id"] for p in event["products"]] == [str(p) for p in D1]
    assert event["reason"] == "Trùng lịch họp"


async def test_display_list_and_sessions(planned) -> None:  # noqa: ANN001
    svc, a, _b = planned
    shown = await svc.http.put(f"/ceremonies/{a}/display", headers=HANOI,
                               json={"product_ids": [str(D1[0])]})
    assert shown.status_code == 200, shown.text
    assert [p["displayed"] for p in shown.json()["products"]] == [True, False, False]
    stranger = await svc.http.put(f"/ceremonies/{a}/display", headers=HANOI,
                                  json={"product_ids": [str(D2[0])]})
    assert stranger.status_code == 422 and stranger.json()["field"] == "product_ids"
    wrong_day = await svc.http.put(f"/ceremonies/{a}/sessions", headers=HANOI, json={
        "sessions": [{"starts_at": "2027-03-16T09:00:00+07:00", "topic": "Nhà phân phối"}]})
    assert wrong_day.status_code == 422 and wrong_day.json()["field"] == "sessions"
    assert (await svc.http.put(f"/ceremonies/{a}/sessions", headers=HCM,
                               json={"sessions": []})).status_code == 403
    assert await events_since(svc, 5) == []


async def test_move_then_cancel_replans_the_products(planned) -> None:  # noqa: ANN001
    svc, a, b = planned
    http = svc.http
    full = await http.post(f"/ceremonies/{b}/move", headers=HANOI, json={
        "product_ids": [str(D2[0])], "target_ceremony_id": a})
    assert full.status_code == 409 and full.json()["field"] == "target_ceremony_id"
    assert (await http.post(f"/ceremonies/{a}/move", headers=HCM, json={
        "product_ids": [str(D1[0])], "target_ceremony_id": b})).status_code == 403
    absent = await http.post(f"/ceremonies/{a}/move", headers=HANOI, json={
        "product_ids": [str(D2[0])], "target_ceremony_id": b})
    assert absent.status_code == 404 and absent.json()["field"] == "product_ids"

    moved = await http.post(f"/ceremonies/{a}/move", headers=OPERATOR, json={
        "product_ids": [str(D1[0])], "target_ceremony_id": b})
    assert moved.status_code == 200, moved.text
    assert [p["product_id"] for p in moved.json()["products"]] == [str(p) for p in
                                                                   (*D2, D1[0])]
    events = await events_since(svc, 5)
    assert [n for n, _ in events] == ["ProductRemovedFromCeremony", "ProductAddedToCeremony"]
    assert (events[0][1]["reason"], events[0][1]["moved_to"]) == ("moved", b)
    assert (events[1][1]["ceremony_id"], events[1][1]["product"]["product_id"]) == (
        b, str(D1[0]))

    no_reason = await http.post(f"/ceremonies/{b}/cancel", headers=HANOI, json={})
    assert no_reason.status_code == 422
    cancelled = await http.post(f"/ceremonies/{b}/cancel", headers=HANOI,
                                json={"reason": "Thiên tai"})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled", "Thiên tai")
    again = await http.post(f"/ceremonies/{b}/cancel", headers=HANOI, json={"reason": "x"})
    assert again.status_code == 409 and again.json()["field"] == "ceremony_id"

    events = await events_since(svc, 7)
    assert [n for n, _ in events] == ["CeremonyCancelled", "CeremonyScheduled",
                                      "ProductAddedToCeremony", "ProductAddedToCeremony"]
    assert len(events[0][1]["products"]) == 3 and events[0][1]["reason"] == "Thiên tai"
    # re-planned after B's day (A, on the 15th, is earlier): D2 opens a new ceremony on the
    # next free working day, its second product follows, then D1's product joins it too
    new = events[1][1]
    assert new["ceremony_date"] == "2027-03-17"
    assert [p["product_id"] for p in new["products"]] == [str(D2[0])]
    assert [(e["ceremony_id"], e["product"]["product_id"]) for _, e in events[2:]] == [
        (new["ceremony_id"], str(D2[1])), (new["ceremony_id"], str(D1[0]))]
    listed = (await http.get("/ceremonies", headers=HANOI,
                             params={"status": "planned"})).json()["items"]
    assert [(c["ceremony_date"], c["product_count"]) for c in listed] == [
        ("2027-03-15", 2), ("2027-03-17", 3)]
