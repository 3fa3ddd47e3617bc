"""The certificate register on real PostgreSQL and NATS: a recognition issues a certificate
valid 36 months; expiry reminders fire once each, across restarts and with two replicas
sweeping at once; revocation and downgrade; the public lookup."""

import asyncio
import uuid
from datetime import date, timedelta

import pytest
from ocop_registry.adapters.tables import certificate_reminders, messaging
from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.service_layer.reminders import sweep_once
from ocop_registry.settings import CertificateSettings
from ocop_registry.testing import submit_and_recognize
from ocop_shared.auth import Role
from ocop_shared.contracts.evaluation import RecognitionWithdrawn
from ocop_shared.testing.services import (
    auth_header,
    publish_event,
    published_payloads,
    running,
    settings_for_test,
)
from sqlalchemy import func, select

OFFICIAL = auth_header(Role.provincial_official, province_code="01")
OTHER_PROVINCE = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)
DECIDED = date(2026, 11, 28)
UNTIL = date(2029, 11, 28)  # 36 months later
FAST = CertificateSettings(reminder_sweep_seconds=0.05)


class Clock:
    """An injectable `today`."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


def service(url: str, nats_url: str, clock: Clock):  # noqa: ANN201
    return running(build_definition(FAST, today=clock), settings_for_test(url, nats_url))


async def certified_product(http, n: int = 0, *, stars: int = 4,
                            decision_date: date = DECIDED) -> dict:
    producer = await http.post("/producers", headers=OFFICIAL, json={
        "name": f"HTX Chè Tà Xùa {n}", "kind": "cooperative",
        "registration_number": f"{101234567 + n:010d}", "legal_representative": "Lò Văn Pấng",
        "province_code": "01", "commune_code": "00004"})
    assert producer.status_code == 201, producer.text
    product = await http.post("/products", headers=OFFICIAL, json={
        "producer_id": producer.json()["id"], "name": f"Chè Shan Tuyết {n}",
        "product_set": "tea"})
    assert product.status_code == 201, product.text
    return await recognize(http, product.json(), stars=stars, decision_date=decision_date)


async def recognize(http, product: dict, *, stars: int = 4, decision_date: date = DECIDED,
                    number: str = "12/QĐ-UBND") -> dict:
    """The product once certified by that decision, with its certificates."""
    current = await submit_and_recognize(http, product, OFFICIAL, stars=stars,
                                         decision_date=decision_date, number=number)
    listed = (await http.get("/certificates", params={"product_id": product["id"]},
                             headers=OFFICIAL)).json()["items"]
    assert any(c["decision_number"] == number for c in listed), listed
    return {**current, "certificates": listed}


async def outbox_events(runtime, event: str) -> list[dict]:
    outbox = messaging.outbox
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(
            select(outbox.c.payload).where(outbox.c.type == f"ocop.registry.{event}.v1")
            .order_by(outbox.c.seq))).all()
    return [row.payload for row in rows]


async def eventually(check, seconds: float = 10.0) -> None:  # noqa: ANN001
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    assert await check()


@pytest.fixture
async def url(databases):
    return await databases.fresh("registry", MIGRATIONS)


async def test_recognition_issues_a_certificate_valid_36_months(url, jetstream) -> None:
    async with service(url, jetstream, Clock(DECIDED)) as svc:
        http = svc.http
        product = await certified_product(http)
        [cert] = product["certificates"]
        assert cert["valid_until"] == "2029-11-28" and cert["status"] == "active"
        assert cert["stars"] == 4 and cert["level"] == "province"
        assert cert["authority"] == "UBND thành phố Hà Nội"
        assert cert["product_code"] == product["code"] and cert["province_code"] == "01"
        [issued] = await outbox_events(svc.runtime, "CertificateIssued")
        assert issued["certificate_id"] == cert["id"] and issued["valid_until"] == "2029-11-28"
        assert issued["product_code"] == product["code"]
        assert issued["producer_id"] == product["producer_id"]
        assert (issued["product_name"], issued["product_set"], issued["province_code"],
                issued["commune_code"]) == (product["name"], "tea", "01", "00004")
        async with svc.runtime.engine.connect() as conn:
            schedule = (await conn.execute(
                select(certificate_reminders.c.kind, certificate_reminders.c.due_on)
                .order_by(certificate_reminders.c.due_on))).all()
        assert [tuple(r) for r in schedule] == [
            ("expiring_90", UNTIL - timedelta(90)), ("expiring_30", UNTIL - timedelta(30)),
            ("expired", UNTIL)]

        found = await published_payloads(jetstream, "ocop.registry.certificate.issued.v1",
                                         at_least=1)
        assert cert["id"] in [f["certificate_id"] for f in found]

        # a re-evaluation (upgrade) supersedes the active certificate
        again = await recognize(http, product, stars=5, decision_date=date(2027, 6, 1),
                                number="99/QĐ-UBND")
        by_number = {c["decision_number"]: c for c in again["certificates"]}
        assert by_number["12/QĐ-UBND"]["status"] == "superseded"
        assert by_number["99/QĐ-UBND"]["status"] == "active"
        assert by_number["99/QĐ-UBND"]["valid_until"] == "2030-06-01"
        assert again["stars"] == 5
        # evaluation was told why each submission came: first, then an upgrade from 4 stars
        submissions = await published_payloads(
            jetstream, "ocop.registry.product.submitted-for-evaluation.v1", at_least=2)
        assert [(e["reason"], e["current_stars"]) for e in submissions
                if e["product_id"] == product["id"]] == [("first", None), ("upgrade", 4)]

        public = (await http.get(f"/public/products/{product['code']}")).json()
        assert public["valid_until"] == "2030-06-01" and public["certificate_status"] == "active"
        assert public["stars"] == 5

        listed = await http.get("/certificates", params={"status": "active"}, headers=OFFICIAL)
        assert [c["decision_number"] for c in listed.json()["items"]] == ["99/QĐ-UBND"]
        soon = await http.get("/certificates", params={"expiring_before": "2030-01-01"},
                              headers=OPERATOR)
        assert [c["decision_number"] for c in soon.json()["items"]] == ["12/QĐ-UBND"]
        hcmc = await http.get("/certificates", headers=OTHER_PROVINCE)
        assert hcmc.json()["items"] == []
        assert (await http.get("/certificates", params={"province_code": "01"},
                               headers=OTHER_PROVINCE)).status_code == 403
        one = await http.get(f"/certificates/{cert['id']}", headers=OFFICIAL)
        assert one.status_code == 200 and one.json()["status"] == "superseded"
        missing = await http.get(f"/certificates/{uuid.uuid4()}", headers=OFFICIAL)
        assert missing.status_code == 404


async def test_reminders_fire_once_each_across_restarts(url, jetstream) -> None:
    clock = Clock(DECIDED)
    async with service(url, jetstream, clock) as svc:
        product = await certified_product(svc.http)
        [cert] = product["certificates"]
        clock.day = UNTIL - timedelta(91)
        await asyncio.sleep(0.3)
        assert await outbox_events(svc.runtime, "CertificateExpiringSoon") == []
        clock.day = UNTIL - timedelta(90)

        async def one_reminder() -> bool:
            return len(await outbox_events(svc.runtime, "CertificateExpiringSoon")) == 1
        await eventually(one_reminder)

    # a new process on the same database, a day later: nothing is sent again
    clock.day = UNTIL - timedelta(89)
    async with service(url, jetstream, clock) as svc:
        await asyncio.sleep(0.4)
        [first] = await outbox_events(svc.runtime, "CertificateExpiringSoon")
        assert first["days_left"] == 90 and first["certificate_id"] == cert["id"]
        assert first["valid_until"] == "2029-11-28"
        clock.day = UNTIL - timedelta(30)

        async def two_reminders() -> bool:
            return len(await outbox_events(svc.runtime, "CertificateExpiringSoon")) == 2
        await eventually(two_reminders)
        await asyncio.sleep(0.3)
        assert [e["days_left"] for e in
                await outbox_events(svc.runtime, "CertificateExpiringSoon")] == [90, 30]

    clock.day = UNTIL
    async with service(url, jetstream, clock) as svc:
        async def expired() -> bool:
            return len(await outbox_events(svc.runtime, "CertificateExpired")) == 1
        await eventually(expired)
        current = (await svc.http.get(f"/products/{product['id']}", headers=OFFICIAL)).json()
        assert current["status"] == "expired"
        shown = (await svc.http.get(f"/certificates/{cert['id']}", headers=OFFICIAL)).json()
        assert shown["status"] == "expired"
        public = (await svc.http.get(f"/public/products/{product['code']}")).json()
        assert public["certificate_status"] == "expired" and public["valid_until"] == "2029-11-28"
        clock.day = UNTIL + timedelta(5)
        await asyncio.sleep(0.4)

    async with service(url, jetstream, clock) as svc:
        await asyncio.sleep(0.4)
        assert len(await outbox_events(svc.runtime, "CertificateExpiringSoon")) == 2
        assert len(await outbox_events(svc.runtime, "CertificateExpired")) == 1
        async with svc.runtime.engine.connect() as conn:
            unsent = (await conn.execute(select(func.count()).select_from(
                certificate_reminders).where(certificate_reminders.c.sent_at.is_(None)))).scalar()
        assert unsent == 0

        # the relay published them: JetStream holds the expiry of this certificate
        got = await published_payloads(jetstream, "ocop.registry.certificate.expired.v1",
                                       at_least=1)
        assert [g["certificate_id"] for g in got].count(cert["id"]) == 1


async def test_two_replicas_sweeping_at_once_send_each_reminder_once(url, jetstream) -> None:
    clock = Clock(DECIDED)
    async with service(url, jetstream, clock) as a, service(url, jetstream, clock) as b:
        products = [await certified_product(a.http, n) for n in range(8)]
        # down for a while: at 30 days only the 30-day reminder is worth sending
        clock.day = UNTIL - timedelta(30)

        async def all_reminded() -> bool:
            return len(await outbox_events(a.runtime, "CertificateExpiringSoon")) >= 8
        await eventually(all_reminded)
        # and sweeps run by hand, side by side, on both replicas, many times over
        await asyncio.gather(*(sweep_once(r.runtime, clock.day, limit=3)
                               for r in (a, b) * 5))
        clock.day = UNTIL

        async def all_expired() -> bool:
            return len(await outbox_events(a.runtime, "CertificateExpired")) >= 8
        await eventually(all_expired)
        await asyncio.gather(*(sweep_once(r.runtime, clock.day, limit=3) for r in (a, b) * 5))
        await asyncio.sleep(0.3)

        reminders = await outbox_events(a.runtime, "CertificateExpiringSoon")
        expired = await outbox_events(a.runtime, "CertificateExpired")
        ids = {p["certificates"][0]["id"] for p in products}
        assert sorted(r["certificate_id"] for r in reminders) == sorted(ids)
        assert all(r["days_left"] == 30 for r in reminders)
        assert sorted(e["certificate_id"] for e in expired) == sorted(ids)
        async with a.runtime.engine.connect() as conn:
            skipped = (await conn.execute(
                select(certificate_reminders.c.kind)
                .where(certificate_reminders.c.skipped))).scalars().all()
        assert sorted(skipped) == ["expiring_90"] * 8


async def test_revoke_and_downgrade(url, jetstream) -> None:
    async with service(url, jetstream, Clock(DECIDED)) as svc:
        http = svc.http
        product = await certified_product(http, stars=5)
        cert = product["certificates"][0]["id"]
        decision = {"decision_number": "45/QĐ-UBND", "decision_date": "2027-03-01",
                    "reason": "Hậu kiểm: không duy trì tiêu chuẩn"}

        assert (await http.post(f"/certificates/{cert}/downgrade", headers=OTHER_PROVINCE,
                                json={**decision, "stars": 3})).status_code == 403
        producer = auth_header(Role.producer, province_code="01",
                               producer_id=product["producer_id"])
        assert (await http.post(f"/certificates/{cert}/revoke", headers=producer,
                                json=decision)).status_code == 403
        assert (await http.post(f"/certificates/{cert}/downgrade", headers=OFFICIAL,
                                json={**decision, "stars": 2})).status_code == 422
        assert (await http.post(f"/certificates/{uuid.uuid4()}/revoke", headers=OFFICIAL,
                                json=decision)).status_code == 404

        down = await http.post(f"/certificates/{cert}/downgrade", headers=OFFICIAL,
                               json={**decision, "stars": 4})
        assert down.status_code == 200, down.text
        assert down.json()["stars"] == 4 and down.json()["status"] == "active"
        assert down.json()["valid_until"] == "2029-11-28"
        assert down.json()["change_decision_number"] == "45/QĐ-UBND"
        same = await http.post(f"/certificates/{cert}/downgrade", headers=OFFICIAL,
                               json={**decision, "stars": 4})
        assert same.status_code == 409 and same.json()["field"] == "stars"
        [changed] = await outbox_events(svc.runtime, "CertificateStarsChanged")
        assert (changed["previous_stars"], changed["stars"]) == (5, 4)
        assert changed["product_code"] == product["code"]
        current = (await http.get(f"/products/{product['id']}", headers=OFFICIAL)).json()
        assert current["stars"] == 4 and current["status"] == "certified"

        revoked = await http.post(f"/certificates/{cert}/revoke", headers=OPERATOR,
                                  json={**decision, "decision_number": "46/QĐ-UBND"})
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["status"] == "revoked"
        [event] = await outbox_events(svc.runtime, "CertificateRevoked")
        assert event["certificate_id"] == cert and event["decision_number"] == "46/QĐ-UBND"
        assert event["reason"] == decision["reason"]
        current = (await http.get(f"/products/{product['id']}", headers=OFFICIAL)).json()
        assert current["status"] == "revoked"
        public = (await http.get(f"/public/products/{product['code']}")).json()
        assert public["status"] == "revoked" and public["certificate_status"] == "revoked"

        for action, body in (("revoke", decision), ("downgrade", {**decision, "stars": 3})):
            refused = await http.post(f"/certificates/{cert}/{action}", headers=OFFICIAL,
                                      json=body)
            assert refused.status_code == 409, refused.text
            assert refused.json()["field"] == "status"
        assert len(await outbox_events(svc.runtime, "CertificateRevoked")) == 1


async def test_a_withdrawn_recognition_revokes_the_certificate_once(url, jetstream) -> None:
    async with service(url, jetstream, Clock(DECIDED)) as svc:
        http = svc.http
        product = await certified_product(http, stars=4)
        withdrawn = RecognitionWithdrawn(
            evaluation_id=uuid.uuid4(), product_id=product["id"],
            producer_id=product["producer_id"], product_name=product["name"],
            province_code="01", previous_stars=4, score=44.5, stars=2, reason="inspection",
            level="province", authority="UBND tỉnh 01", decision_number="77/QĐ-UBND",
            decision_date=date(2027, 2, 1), rulebook="1489/2025")
        envelope = await publish_event(jetstream, withdrawn)
        await publish_event(jetstream, withdrawn, event_id=envelope.id)  # redelivered

        async def revoked() -> bool:
            current = (await http.get(f"/products/{product['id']}", headers=OFFICIAL)).json()
            return current["status"] == "revoked"

        await eventually(revoked)
        [event] = await outbox_events(svc.runtime, "CertificateRevoked")
        assert event["decision_number"] == "77/QĐ-UBND"
        assert "44.5 points, 2 stars" in event["reason"]
        [cert] = (await http.get("/certificates", params={"product_id": product["id"]},
                                 headers=OFFICIAL)).json()["items"]
        assert cert["status"] == "revoked"
