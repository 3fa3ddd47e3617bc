"""The directory and the rules on real PostgreSQL and NATS: officials, council members, the
Ministry contact and an integration registered over the API, a producer from the registry's
events; each event gives the right deliveries (recipients, channels, languages), once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from ocop_notifications.adapters.tables import deliveries
from ocop_notifications.bootstrap import MIGRATIONS, build_definition
from ocop_notifications.settings import NotificationsSettings
from ocop_shared.auth import Principal, Role, issue_token
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    ProductReferredToMinistry,
    RescoreMember,
    RescoreRequired,
)
from ocop_shared.contracts.promotion import BoothAllocated
from ocop_shared.contracts.registry import CertificateExpiringSoon, ProducerRegistered
from ocop_shared.testing.services import (
    TEST_SECRET,
    auth_header,
    publish_event,
    running,
    settings_for_test,
)
from sqlalchemy import select

OPERATOR = auth_header(Role.operator)
LAO_CAI = auth_header(Role.provincial_official, province_code="15")
HA_NOI = auth_header(Role.provincial_official, province_code="01")
MINISTRY = auth_header(Role.ministry_official)
COUNCIL = "council-15-province"
HOOK = "http://127.0.0.1:9/hooks/ocop"


@pytest.fixture
async def notifications(databases, jetstream):  # noqa: ANN001, ANN201
    url = await databases.fresh("notifications", MIGRATIONS)
    # the dispatcher tries email and webhooks once (nothing listens); no retry in the test
    settings = settings_for_test(url, jetstream, cls=NotificationsSettings,
                                 retry_base_seconds=3600.0, send_timeout_seconds=0.5,
                                 smtp_port=9)
    async with running(build_definition(), settings) as svc:
        yield svc


async def register(svc, body: dict, headers: dict = OPERATOR, status: int = 201) -> dict:  # noqa: ANN001
    response = await svc.http.post("/recipients", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def rows_of(svc, event_id: uuid.UUID) -> list:  # noqa: ANN001
    async with svc.runtime.engine.connect() as conn:
        return (await conn.execute(
            select(deliveries).where(deliveries.c.source_event_id == event_id)
            .order_by(deliveries.c.recipient_id, deliveries.c.channel))).all()


async def wait_rows(svc, event_id: uuid.UUID, count: int) -> list:  # noqa: ANN001
    for _ in range(150):
        rows = await rows_of(svc, event_id)
        if len(rows) >= count:
            await asyncio.sleep(0.3)  # nothing more should come
            return await rows_of(svc, event_id)
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} deliveries, got {await rows_of(svc, event_id)}")


def table(rows: list) -> set[tuple[str, str, str]]:
    return {(r.recipient_id, r.channel, r.language) for r in rows}


async def directory(svc, jetstream: str) -> dict[str, str]:  # noqa: ANN001
    """Register everybody; return the ids."""
    official = await register(svc, {"kind": "official", "name": "Lê Văn Cường",
                                    "subject": "lc-official", "province_code": "15",
                                    "email": "cuong@laocai.gov.vn"}, LAO_CAI)
    chair = await register(svc, {"kind": "council_member", "name": "Ms Hoa (chair)",
                                 "province_code": "15", "council_id": COUNCIL,
                                 "council_role": "chair", "language": "en",
                                 "email": "hoa@example.vn"}, LAO_CAI)
    secretary = await register(svc, {"kind": "council_member", "name": "Phạm Thư Ký",
                                     "province_code": "15", "council_id": COUNCIL,
                                     "council_role": "secretary", "channels": ["inbox"]})
    await register(svc, {"kind": "council_member", "name": "Thành viên", "province_code": "15",
                         "council_id": COUNCIL, "council_role": "member",
                         "channels": ["inbox"]})
    ministry = await register(svc, {"kind": "ministry", "name": "Văn phòng OCOP Trung ương",
                                    "email": "ocop@mard.gov.vn"}, MINISTRY)
    portal = await register(svc, {"kind": "integration", "name": "Cổng OCOP tỉnh"})
    response = await svc.http.post(
        f"/recipients/{portal['id']}/webhooks", headers=OPERATOR,
        json={"url": HOOK, "secret": "s" * 32,
              "event_types": ["EvaluationCompleted", "ocop.evaluation.RescoreRequired.v1"]})
    assert response.status_code == 201, response.text
    assert "secret" not in response.json()

    producer_id = uuid.uuid4()
    await publish_event(jetstream, ProducerRegistered(
        producer_id=producer_id, name="HTX Chè Suối Giàng", kind="cooperative",
        province_code="15", email="htx@suoigiang.vn"))
    producer = f"producer:{producer_id}"
    for _ in range(100):
        if (await svc.http.get(f"/recipients/{producer}", headers=OPERATOR)).status_code == 200:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the producer never arrived")
    return {"official": official["id"], "chair": chair["id"], "secretary": secretary["id"],
            "ministry": ministry["id"], "portal": portal["id"], "producer": producer,
            "producer_id": str(producer_id), "subscription": response.json()["id"]}


async def test_events_reach_the_right_people_in_their_language_once(
        notifications, jetstream) -> None:  # noqa: ANN001
    ids = await directory(notifications, jetstream)
    assert ids["official"] == "official:lc-official"
    producer_id = uuid.UUID(ids["producer_id"])

    completed = EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=producer_id,
        product_name="Chè Shan tuyết Suối Giàng", province_code="15", level="province",
        score=85.5, stars=4, rulebook="QĐ 148/QĐ-TTg", council_id=COUNCIL)
    env = await publish_event(jetstream, completed)
    rows = await wait_rows(notifications, env.id, 5)
    assert table(rows) == {
        (ids["producer"], "inbox", "vi"), (ids["producer"], "email", "vi"),
        (ids["official"], "inbox", "vi"), (ids["official"], "email", "vi"),
        (ids["portal"], "webhook", "vi"),
    }
    by = {(r.recipient_id, r.channel): r for r in rows}
    assert by[(ids["producer"], "inbox")].status == "delivered"
    assert by[(ids["producer"], "email")].address == "htx@suoigiang.vn"
    assert by[(ids["producer"], "email")].status in ("pending", "delivered")
    assert "85,5/100 điểm" in by[(ids["producer"], "email")].body
    hook = by[(ids["portal"], "webhook")]
    assert hook.address == HOOK and str(hook.subscription_id) == ids["subscription"]
    assert hook.payload["type"] == "ocop.evaluation.EvaluationCompleted.v1"
    assert hook.payload["id"] == str(env.id)
    assert hook.payload["data"]["product_name"] == "Chè Shan tuyết Suối Giàng"
    assert all(r.province_code == "15" for r in rows)

    rescore = RescoreRequired(
        evaluation_id=completed.evaluation_id, product_id=completed.product_id,
        producer_id=producer_id, product_name="Chè Shan tuyết Suối Giàng", province_code="15",
        council_id=COUNCIL, round_id="2026-1", rulebook="QĐ 148/QĐ-TTg", attempt=1,
        spread=12.5, max_spread=10.0,
        members=[RescoreMember(member_id="m1", name="Nguyễn Văn An", role="member",
                               total=80.0)])
    rescore_env = await publish_event(jetstream, rescore)
    rows = await wait_rows(notifications, rescore_env.id, 4)
    assert table(rows) == {
        (ids["chair"], "inbox", "en"), (ids["chair"], "email", "en"),
        (ids["secretary"], "inbox", "vi"), (ids["portal"], "webhook", "vi"),
    }
    chair_mail = next(r for r in rows if r.recipient_id == ids["chair"] and r.channel == "email")
    assert chair_mail.subject_line.startswith("Re-scoring required")
    assert "Dear Ms Hoa (chair)" in chair_mail.body and "12.5 points" in chair_mail.body
    secretary = next(r for r in rows if r.recipient_id == ids["secretary"])
    assert secretary.subject_line.startswith("Yêu cầu chấm lại")

    referral = ProductReferredToMinistry(
        product_id=completed.product_id, producer_id=producer_id,
        product_name="Chè Shan tuyết Suối Giàng", province_code="15", score=92.0,
        decision_number="1234/QĐ-UBND", decision_date=date(2026, 3, 15),
        dossier_reference="HS-15-0042", rulebook="QĐ 148/QĐ-TTg")
    referral_env = await publish_event(jetstream, referral)
    rows = await wait_rows(notifications, referral_env.id, 4)
    assert table(rows) == {  # the integration did not subscribe to referrals
        (ids["producer"], "inbox", "vi"), (ids["producer"], "email", "vi"),
        (ids["ministry"], "inbox", "vi"), (ids["ministry"], "email", "vi"),
    }
    assert all("1234/QĐ-UBND" in r.body for r in rows)

    # redelivered: the same event id again adds nothing
    await publish_event(jetstream, completed, event_id=env.id)
    await publish_event(jetstream, rescore, event_id=rescore_env.id)
    marker = await publish_event(jetstream, referral.model_copy(update={"score": 95.0}))
    await wait_rows(notifications, marker.id, 4)  # processed after the redeliveries
    await asyncio.sleep(0.5)
    assert len(await rows_of(notifications, env.id)) == 5
    assert len(await rows_of(notifications, rescore_env.id)) == 4

    # the producer's inbox API still works
    producer_token = auth_header(Role.producer, producer_id=ids["producer_id"],
                                 province_code="15")
    inbox = (await notifications.http.get("/inbox", headers=producer_token)).json()
    assert sorted(i["source_event_type"].split(".")[2] for i in inbox["items"]) == [
        "EvaluationCompleted", "ProductReferredToMinistry", "ProductReferredToMinistry"]
    assert {i["channel"] for i in inbox["items"]} == {"inbox"}
    # so does a registered official's, found by the subject of their token
    official_token = {"Authorization": "Bearer " + issue_token(Principal(
        subject="lc-official", role=Role.provincial_official, province_code="15"), TEST_SECRET)}
    mine = (await notifications.http.get("/inbox", headers=official_token)).json()
    assert [i["source_event_type"] for i in mine["items"]] == [
        "ocop.evaluation.EvaluationCompleted.v1"]
    read = await notifications.http.post(f"/inbox/{mine['items'][0]['id']}/read",
                                         headers=official_token)
    assert read.status_code == 200 and read.json()["read_at"] is not None


async def test_a_deactivated_recipient_is_told_nothing_more(notifications, jetstream) -> None:  # noqa: ANN001
    official = await register(notifications, {"kind": "official", "name": "A",
                                              "province_code": "15", "channels": ["inbox"]})
    response = await notifications.http.post(f"/recipients/{official['id']}/deactivate",
                                              headers=LAO_CAI)
    assert response.status_code == 200 and response.json()["active"] is False
    event = EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=uuid.uuid4(),
        product_name="Gạo", province_code="15", level="province", score=70.0, stars=4,
        rulebook="QĐ 148/QĐ-TTg")
    env = await publish_event(jetstream, event)
    rows = await wait_rows(notifications, env.id, 1)
    assert [r.recipient_id for r in rows] == [f"producer:{event.producer_id}"]  # unknown: inbox


async def test_who_may_register_whom(notifications) -> None:  # noqa: ANN001
    official = {"kind": "official", "name": "B", "province_code": "15", "channels": ["inbox"]}
    await register(notifications, official, HA_NOI, 403)  # another province
    await register(notifications, {**official, "kind": "ministry"}, LAO_CAI, 403)
    await register(notifications, {"kind": "integration", "name": "X"}, MINISTRY, 403)
    await register(notifications, official, auth_header(Role.producer), 403)
    created = await register(notifications, {**official, "subject": "b"}, LAO_CAI)
    await register(notifications, {**official, "subject": "b"}, LAO_CAI, 409)
    # a provincial official reads its province's directory only
    listed = (await notifications.http.get("/recipients", headers=HA_NOI)).json()
    assert created["id"] not in [r["id"] for r in listed["items"]]
    assert (await notifications.http.get(f"/recipients/{created['id']}",
                                         headers=HA_NOI)).status_code == 404
    listed = (await notifications.http.get("/recipients?kind=official",
                                           headers=LAO_CAI)).json()
    assert [r["id"] for r in listed["items"]] == [created["id"]]
    changed = await notifications.http.patch(f"/recipients/{created['id']}", headers=LAO_CAI,
                                             json={"language": "en"})
    assert changed.status_code == 200 and changed.json()["language"] == "en"


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "official", "name": "C"}, "province_code"),
    ({"kind": "council_member", "name": "C", "province_code": "15", "council_role": "chair"},
     "council_id"),
    ({"kind": "council_member", "name": "C", "province_code": "15", "council_id": "x"},
     "council_role"),
    ({"kind": "ministry", "name": "C", "channels": ["email"]}, "email"),
])
async def test_invalid_recipients_name_the_field(notifications, body: dict, field: str) -> None:  # noqa: ANN001
    response = await notifications.http.post("/recipients", json=body, headers=OPERATOR)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


async def test_webhook_subscriptions_are_validated(notifications) -> None:  # noqa: ANN001
    portal = await register(notifications, {"kind": "integration", "name": "Portal"})
    official = await register(notifications, {"kind": "official", "name": "D",
                                              "province_code": "15", "channels": ["inbox"]})
    path = f"/recipients/{portal['id']}/webhooks"
    good = {"url": "https://portal.example.vn/ocop", "secret": "x" * 16,
            "event_types": ["EvaluationCompleted"]}

    async def post(body: dict, where: str = path, headers: dict = OPERATOR) -> tuple[int, dict]:
        response = await notifications.http.post(where, json=body, headers=headers)
        return response.status_code, response.json()

    assert (await post({**good, "url": "ftp://portal.example.vn/x"}))[1].get("field") == "url"
    status, body = await post({**good, "event_types": ["ProducerRegistered"]})
    assert status == 422 and body["field"] == "event_types"
    assert (await post({**good, "secret": "short"}))[0] == 422
    assert (await post(good, headers=LAO_CAI))[0] == 403
    status, body = await post(good, f"/recipients/{official['id']}/webhooks")
    assert status == 422 and body["field"] == "recipient_id"
    status, created = await post(good)
    assert status == 201 and created["event_types"] == ["ocop.evaluation.EvaluationCompleted.v1"]
    status, body = await post({**good, "event_types": ["EvaluationCompleted", "BoothAllocated"]})
    assert status == 409 and body["field"] == "event_types"
    response = await notifications.http.post(f"{path}/{created['id']}/deactivate",
                                             headers=OPERATOR)
    assert response.status_code == 200 and response.json()["active"] is False
    assert (await post({**good, "event_types": ["EvaluationCompleted", "BoothAllocated"]}))[0] \
        == 201
    listed = (await notifications.http.get(path, headers=OPERATOR)).json()
    assert len(listed) == 2 and all("secret" not in s for s in listed)


async def test_an_expiry_reaches_the_officials_of_the_producers_province(
        notifications, jetstream) -> None:  # noqa: ANN001
    official = await register(notifications, {"kind": "official", "name": "E",
                                              "province_code": "15", "language": "en",
                                              "channels": ["inbox"]})
    await register(notifications, {"kind": "official", "name": "F", "province_code": "01",
                                   "channels": ["inbox"]})
    producer_id = uuid.uuid4()
    await publish_event(jetstream, ProducerRegistered(
        producer_id=producer_id, name="HTX Mận Bắc Hà", kind="cooperative",
        province_code="15"))
    for _ in range(100):  # the registry would have told us about the producer long before
        if (await notifications.http.get(f"/recipients/producer:{producer_id}",
                                         headers=OPERATOR)).status_code == 200:
            break
        await asyncio.sleep(0.1)
    env = await publish_event(jetstream, CertificateExpiringSoon(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=producer_id,
        product_code="OCOP-15-0009", stars=3, valid_until=date(2026, 12, 31), days_left=90))
    rows = await wait_rows(notifications, env.id, 2)
    assert table(rows) == {(f"producer:{producer_id}", "inbox", "vi"),
                           (official["id"], "inbox", "en")}
    assert all(r.province_code == "15" for r in rows)
    assert "expires in 90 days" in next(r for r in rows
                                        if r.recipient_id == official["id"]).subject_line


async def test_deactivating_a_subscription_fails_its_pending_deliveries(
        notifications, jetstream) -> None:  # noqa: ANN001
    portal = await register(notifications, {"kind": "integration", "name": "Portal"})
    path = f"/recipients/{portal['id']}/webhooks"
    created = (await notifications.http.post(path, headers=OPERATOR, json={
        "url": HOOK, "secret": "x" * 16, "event_types": ["EvaluationCompleted"]})).json()
    event = EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=uuid.uuid4(),
        product_name="Mật ong bạc hà", province_code="15", level="province", score=78.0,
        stars=4, rulebook="1489/2025")
    env = await publish_event(jetstream, event)
    [hook] = [r for r in await wait_rows(notifications, env.id, 2) if r.channel == "webhook"]
    assert hook.status == "pending"  # nobody listens on port 9; the next try is an hour away

    response = await notifications.http.post(f"{path}/{created['id']}/deactivate",
                                             headers=OPERATOR)
    assert response.status_code == 200
    [after] = [r for r in await rows_of(notifications, env.id) if r.channel == "webhook"]
    assert (after.status, after.last_error) == ("failed", "subscription deactivated")
    async with notifications.runtime.engine.connect() as conn:
        failed = (await conn.execute(
            select(notifications.runtime.definition.tables.outbox.c.payload)
            .where(notifications.runtime.definition.tables.outbox.c.type
                   == "ocop.notifications.NotificationFailed.v1"))).scalars().all()
    assert [(f["delivery_id"], f["error"]) for f in failed] == [
        (str(hook.id), "subscription deactivated")]


async def test_a_booth_allocated_reaches_its_producer(notifications, jetstream) -> None:  # noqa: ANN001
    producer_id = uuid.uuid4()
    booth = BoothAllocated(
        fair_id=uuid.uuid4(), fair_name="Hội chợ OCOP Hà Nội 2026",
        application_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=producer_id,
        product_name="Trà sen Tây Hồ", stars=4, booth_number=7, starts_on=date(2026, 12, 10),
        ends_on=date(2026, 12, 14), venue="Cung Văn hóa Hữu nghị")
    env = await publish_event(jetstream, booth)
    [row] = await wait_rows(notifications, env.id, 1)
    assert (row.recipient_id, row.channel) == (f"producer:{producer_id}", "inbox")
    assert "Hội chợ OCOP Hà Nội 2026" in row.body and "7" in row.body
