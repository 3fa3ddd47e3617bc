"""Trade fairs on real PostgreSQL and NATS: announce, apply (eligibility refusals name the
field), allocate more applicants than booths by the policy, withdraw (the waitlist moves up),
and a revoked certificate frees the booth for the next one -- once, even when redelivered."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

from ocop_promotion.adapters.tables import messaging
from ocop_promotion.service_layer.certificates import certified_product
from ocop_shared.auth import Role
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.promotion import (
    BoothAllocated,
    BoothReleased,
    BoothWaitlisted,
    TradeFairAnnounced,
)
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_shared.testing.services import auth_header, publish_event
from sqlalchemy import select

TODAY = today_in_vietnam()
STARTS, ENDS = TODAY + timedelta(days=30), TODAY + timedelta(days=33)
OPERATOR = auth_header(Role.operator)


def producer(producer_id: uuid.UUID, province: str = "01") -> dict[str, str]:
    return auth_header(Role.producer, producer_id=str(producer_id), province_code=province)


async def certify(promotion, jetstream: str, *, stars: int, commune: str,  # noqa: ANN001
                  producer_id: uuid.UUID | None = None, name: str = "product",
                  valid_until: date | None = None) -> dict:
    """Issue a certificate through JetStream and wait for the projection to hold it."""
    event = CertificateIssued(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(),
        producer_id=producer_id or uuid.uuid4(), product_code=f"OCOP-01-{name}", stars=stars,
        level="province", decision_number="1/QĐ", decision_date=TODAY - timedelta(days=10),
        valid_until=valid_until or TODAY + timedelta(days=3 * 365), authority="UBND tỉnh 01",
        product_name=name, product_set="tea", province_code="01", commune_code=commune)
    await publish_event(jetstream, event)
    for _ in range(100):
        async with promotion.runtime.engine.connect() as conn:
            if await certified_product(conn, event.product_id) is not None:
                return event.model_dump()
        await asyncio.sleep(0.1)
    raise AssertionError(f"certificate of {name} never arrived")


async def announce(promotion, **overrides: object) -> dict:  # noqa: ANN001
    body = {"name": "Hội chợ OCOP Hà Nội", "level": "provincial", "province_code": "01",
            "venue": "Cung Văn hoá Hữu nghị", "starts_on": STARTS.isoformat(),
            "ends_on": ENDS.isoformat(), "booths": 5,
            "applications_close": (datetime.now(UTC) + timedelta(days=7)).isoformat()}
    response = await promotion.http.post("/fairs", json=body | overrides, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return response.json()


async def apply(promotion, fair_id: str, cert: dict, headers: dict | None = None):  # noqa: ANN001, ANN201
    return await promotion.http.post(
        f"/fairs/{fair_id}/applications", json={"product_id": str(cert["product_id"])},
        headers=headers or producer(cert["producer_id"]))


async def events(promotion, *types: type) -> list[dict]:  # noqa: ANN001
    """Payloads in the outbox of the given event types, in the order they were written."""
    outbox = messaging.outbox
    async with promotion.runtime.engine.connect() as conn:
        rows = (await conn.execute(
            select(outbox.c.type, outbox.c.payload)
            .where(outbox.c.type.in_([t.event_type() for t in types]))
            .order_by(outbox.c.seq))).all()
    return [{"type": r.type.split(".")[2]} | r.payload for r in rows]


def booths(fair: dict) -> dict[int, str]:
    return {a["booth_number"]: a["product_name"] for a in fair["allocated"]}


def waitlist(fair: dict) -> dict[int, str]:
    return {a["waitlist_position"]: a["product_name"] for a in fair["waitlist"]}


async def eight_applicants(promotion, jetstream: str) -> tuple[dict, dict[str, dict]]:  # noqa: ANN001
    """A fair with 5 booths and 8 applicants of mixed stars and communes, applied p1..p8."""
    fair = await announce(promotion)
    specs = [("p1", 3, "00001"), ("p2", 5, "00001"), ("p3", 4, "00002"), ("p4", 4, "00001"),
             ("p5", 5, "00001"), ("p6", 4, "00003"), ("p7", 3, "00004"), ("p8", 4, "00002")]
    certs = {}
    for name, stars, commune in specs:
        certs[name] = await certify(promotion, jetstream, stars=stars, commune=commune,
                                    name=name)
    for name in certs:
        # p4 is applied for by the provincial office on its producer's behalf
        headers = (auth_header(Role.provincial_official, province_code="01") if name == "p4"
                   else None)
        response = await apply(promotion, fair["id"], certs[name], headers)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "applied"
    return fair, certs


async def test_allocation_then_withdrawal_moves_the_waitlist(promotion, jetstream) -> None:
    fair, certs = await eight_applicants(promotion, jetstream)
    announced = await events(promotion, TradeFairAnnounced)
    assert [e["fair_id"] for e in announced] == [fair["id"]]

    response = await promotion.http.post(f"/fairs/{fair['id']}/allocate", headers=OPERATOR)
    assert response.status_code == 200, response.text
    allocated = response.json()
    assert allocated["status"] == "allocated"
    # stars first; among the 4-stars p3 (00002) and p6 (00003) bring new communes
    assert booths(allocated) == {1: "p2", 2: "p5", 3: "p3", 4: "p6", 5: "p4"}
    assert waitlist(allocated) == {1: "p8", 2: "p7", 3: "p1"}
    emitted = await events(promotion, BoothAllocated, BoothWaitlisted)
    assert [(e["type"], e["product_name"], e.get("booth_number") or e.get("position"))
            for e in emitted] == [
        ("BoothAllocated", "p2", 1), ("BoothAllocated", "p5", 2), ("BoothAllocated", "p3", 3),
        ("BoothAllocated", "p6", 4), ("BoothAllocated", "p4", 5),
        ("BoothWaitlisted", "p8", 1), ("BoothWaitlisted", "p7", 2),
        ("BoothWaitlisted", "p1", 3)]

    again = await promotion.http.post(f"/fairs/{fair['id']}/allocate", headers=OPERATOR)
    assert (again.status_code, again.json()["error"]) == (409, "already_allocated")
    late = await apply(promotion, fair["id"], await certify(promotion, jetstream, stars=5,
                                                            commune="00009", name="late"))
    assert (late.status_code, late.json()["error"], late.json()["field"]) == (
        409, "applications_closed", "fair_id")

    # p6 withdraws: p8 takes booth 4, p7 and p1 move up
    p6 = next(a for a in allocated["allocated"] if a["product_name"] == "p6")
    stranger = await promotion.http.post(
        f"/fairs/{fair['id']}/applications/{p6['id']}/withdraw",
        headers=producer(certs["p1"]["producer_id"]))
    assert stranger.status_code == 403
    response = await promotion.http.post(
        f"/fairs/{fair['id']}/applications/{p6['id']}/withdraw",
        headers=producer(certs["p6"]["producer_id"]))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    detail = (await promotion.http.get(f"/fairs/{fair['id']}", headers=OPERATOR)).json()
    assert booths(detail) == {1: "p2", 2: "p5", 3: "p3", 4: "p8", 5: "p4"}
    assert waitlist(detail) == {1: "p7", 2: "p1"}
    after = (await events(promotion, BoothAllocated, BoothWaitlisted, BoothReleased))[8:]
    assert [(e["type"], e["product_name"] if "product_name" in e else "p6",
             e.get("booth_number") or e.get("position")) for e in after] == [
        ("BoothReleased", "p6", 4), ("BoothAllocated", "p8", 4),
        ("BoothWaitlisted", "p7", 1), ("BoothWaitlisted", "p1", 2)]
    assert after[0]["reason"] == "withdrawn"
    twice = await promotion.http.post(
        f"/fairs/{fair['id']}/applications/{p6['id']}/withdraw", headers=OPERATOR)
    assert (twice.status_code, twice.json()["error"]) == (409, "already_withdrawn")

    mine = await promotion.http.get(
        f"/producers/{certs['p8']['producer_id']}/fair-applications",
        headers=producer(certs["p8"]["producer_id"]))
    assert mine.status_code == 200, mine.text
    assert [(a["fair_name"], a["status"], a["booth_number"]) for a in mine.json()["items"]] == [
        ("Hội chợ OCOP Hà Nội", "allocated", 4)]
    other = await promotion.http.get(
        f"/producers/{certs['p8']['producer_id']}/fair-applications",
        headers=producer(certs["p1"]["producer_id"]))
    assert other.status_code == 403


async def test_a_revoked_certificate_frees_the_booth_once(promotion, jetstream) -> None:
    fair, certs = await eight_applicants(promotion, jetstream)
    response = await promotion.http.post(f"/fairs/{fair['id']}/allocate", headers=OPERATOR)
    assert response.status_code == 200, response.text
    p3 = certs["p3"]  # booth 3
    revoked = CertificateRevoked(
        certificate_id=p3["certificate_id"], product_id=p3["product_id"],
        producer_id=p3["producer_id"], product_code=p3["product_code"], stars=4,
        decision_number="9/QĐ-UBND", decision_date=TODAY, reason="vi phạm chất lượng")
    envelope = await publish_event(jetstream, revoked)
    await publish_event(jetstream, revoked, event_id=envelope.id)  # a redelivery

    for _ in range(100):
        detail = (await promotion.http.get(f"/fairs/{fair['id']}", headers=OPERATOR)).json()
        if booths(detail)[3] != "p3":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # let the redelivery through, if it were to change anything
    detail = (await promotion.http.get(f"/fairs/{fair['id']}", headers=OPERATOR)).json()
    assert booths(detail) == {1: "p2", 2: "p5", 3: "p8", 4: "p6", 5: "p4"}
    assert waitlist(detail) == {1: "p7", 2: "p1"}
    released = await events(promotion, BoothReleased)
    assert [(e["product_id"], e["booth_number"], e["reason"]) for e in released] == [
        (str(p3["product_id"]), 3, "certificate_revoked")]
    allocated = [e for e in await events(promotion, BoothAllocated)
                 if e["product_name"] == "p8"]
    assert [e["booth_number"] for e in allocated] == [3]


async def test_an_expired_certificate_leaves_the_waitlist(promotion, jetstream) -> None:
    fair = await announce(promotion, booths=1)
    certs = [await certify(promotion, jetstream, stars=4, commune=f"0000{i}", name=f"w{i}")
             for i in range(3)]
    for cert in certs:
        assert (await apply(promotion, fair["id"], cert)).status_code == 201
    allocated = (await promotion.http.post(f"/fairs/{fair['id']}/allocate",
                                           headers=OPERATOR)).json()
    assert (booths(allocated), waitlist(allocated)) == ({1: "w0"}, {1: "w1", 2: "w2"})
    w1 = certs[1]  # its certificate expires (the registry says so) before the fair ends
    await publish_event(jetstream, CertificateExpired(
        certificate_id=w1["certificate_id"], product_id=w1["product_id"],
        producer_id=w1["producer_id"], product_code=w1["product_code"], stars=4,
        valid_until=TODAY))
    for _ in range(100):
        if await events(promotion, BoothReleased):
            break
        await asyncio.sleep(0.1)
    detail = (await promotion.http.get(f"/fairs/{fair['id']}", headers=OPERATOR)).json()
    assert (booths(detail), waitlist(detail)) == ({1: "w0"}, {1: "w2"})
    released = await events(promotion, BoothReleased)
    assert [(e["product_id"], e["booth_number"], e["reason"]) for e in released] == [
        (str(w1["product_id"]), None, "certificate_expired")]
    moved = [e for e in await events(promotion, BoothWaitlisted) if e["product_name"] == "w2"]
    assert [e["position"] for e in moved] == [2, 1]


async def test_ineligible_applications_are_refused(promotion, jetstream) -> None:
    fair = await announce(promotion, min_stars=4, level="national", province_code=None)
    ok = await certify(promotion, jetstream, stars=4, commune="00001", name="ok")
    short = await certify(promotion, jetstream, stars=5, commune="00001", name="short",
                          valid_until=ENDS - timedelta(days=1))
    low = await certify(promotion, jetstream, stars=3, commune="00001", name="low")

    def refusal(response) -> tuple:  # noqa: ANN001
        body = response.json()
        return response.status_code, body["error"], body["field"]

    assert refusal(await apply(promotion, fair["id"], short)) == (
        409, "certificate_ends_too_soon", "product_id")
    assert refusal(await apply(promotion, fair["id"], low)) == (
        409, "below_min_stars", "product_id")
    assert refusal(await apply(promotion, fair["id"], {
        "product_id": uuid.uuid4(), "producer_id": ok["producer_id"]})) == (
        404, "not_certified", "product_id")
    assert refusal(await apply(promotion, fair["id"], ok, producer(uuid.uuid4()))) == (
        403, "not_your_product", "product_id")
    assert refusal(await apply(promotion, fair["id"], ok,
                               auth_header(Role.provincial_official, province_code="79"))) == (
        403, "outside_province", "product_id")
    assert (await apply(promotion, fair["id"], ok)).status_code == 201
    assert refusal(await apply(promotion, fair["id"], ok)) == (
        409, "already_applied", "product_id")
    assert refusal(await apply(promotion, str(uuid.uuid4()), ok)) == (
        404, "fair_not_found", "fair_id")

    closing = await announce(promotion, applications_close=(
        datetime.now(UTC) + timedelta(seconds=1.5)).isoformat())
    await asyncio.sleep(2)
    assert refusal(await apply(promotion, closing["id"], ok)) == (
        409, "applications_closed", "fair_id")


async def test_who_announces_what_and_the_lists(promotion) -> None:
    body = {"name": "Triển lãm OCOP vùng", "level": "regional", "province_code": "01",
            "venue": "Hà Nội", "starts_on": STARTS.isoformat(), "ends_on": ENDS.isoformat(),
            "booths": 100, "applications_close": (TODAY + timedelta(days=7)).isoformat()}
    provincial = auth_header(Role.provincial_official, province_code="01")
    ministry = auth_header(Role.ministry_official)
    refused = await promotion.http.post("/fairs", json=body, headers=provincial)
    assert refused.status_code == 403
    assert (await promotion.http.post("/fairs", json=body, headers=ministry)).status_code == 201
    own = body | {"level": "provincial", "name": "Hội chợ tỉnh"}
    assert (await promotion.http.post("/fairs", json=own, headers=ministry)).status_code == 403
    assert (await promotion.http.post("/fairs", json=own | {"province_code": "79"},
                                      headers=provincial)).status_code == 403
    assert (await promotion.http.post("/fairs", json=own, headers=provincial)).status_code == 201
    producer_token = producer(uuid.uuid4())
    assert (await promotion.http.post("/fairs", json=own,
                                      headers=producer_token)).status_code == 403
    bad = await promotion.http.post("/fairs", json=own | {"ends_on": TODAY.isoformat()},
                                    headers=provincial)
    assert (bad.status_code, bad.json()["field"]) == (422, "ends_on")
    missing = await promotion.http.post("/fairs", json=own | {"province_code": None},
                                        headers=OPERATOR)
    assert (missing.status_code, missing.json()["field"]) == (422, "province_code")
    past = await promotion.http.post("/fairs", json=own | {"name": "Hội chợ đã qua",
                                     "starts_on": "2020-01-01", "ends_on": "2020-01-03",
                                     "applications_close": "2019-12-01T00:00:00"},
                                     headers=OPERATOR)
    assert (past.status_code, past.json()["field"]) == (422, "applications_close")

    listed = await promotion.http.get("/fairs", params={"level": "provincial"},
                                      headers=producer_token)
    assert [f["name"] for f in listed.json()["items"]] == ["Hội chợ tỉnh"]
    upcoming = await promotion.http.get("/fairs", params={"upcoming": True,
                                                          "province_code": "01"},
                                        headers=OPERATOR)
    assert upcoming.json()["total"] == 2
