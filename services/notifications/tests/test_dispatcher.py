"""The dispatcher on real PostgreSQL and NATS, with a real SMTP server (aiosmtpd) and real HTTP
receivers on loopback: emails arrive intact, webhooks are signed, retried then delivered or
failed, a failing endpoint is paused and holds up nobody, a delivery is sent once whatever the
duplicates, the replicas and the restarts."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager

from ocop_notifications.adapters.tables import (
    delivery_attempts,
    deliveries,
    messaging,
    recipients,
    webhook_subscriptions,
)
from ocop_notifications.bootstrap import MIGRATIONS, build_definition
from ocop_notifications.domain.deliveries import Channel
from ocop_notifications.domain.signing import verify
from ocop_notifications.service_layer.dispatcher import claim, lease
from ocop_notifications.service_layer.queue import Outgoing, enqueue
from ocop_notifications.settings import NotificationsSettings
from ocop_shared.auth import Role
from ocop_shared.contracts import Envelope
from ocop_shared.contracts.notifications import NotificationDelivered, NotificationFailed
from ocop_shared.db import create_engine
from ocop_shared.messaging.outbox import Outbox
from ocop_shared.testing.services import auth_header, running, settings_for_test
from sqlalchemy import func, insert, select, update

from services.notifications.tests.receivers import HttpReceiver, SmtpReceiver

SECRET = "whsec-0123456789abcdef"
EVENT_TYPE = "ocop.evaluation.EvaluationCompleted.v1"
SUBJECT = "Kết quả đánh giá OCOP: Chè Shan tuyết Suối Giàng đạt 4 sao"
BODY = ("Kính gửi Hợp tác xã Suối Giàng,\n\nSản phẩm Chè Shan tuyết Suối Giàng đạt 85,5 điểm "
        "(4 sao).\nBước tiếp theo: chờ quyết định công nhận của UBND tỉnh.\n")
FAST = {"dispatch_interval_seconds": 0.05, "retry_base_seconds": 0.05,
        "retry_cap_seconds": 1.0, "max_attempts": 3}
OPERATOR = auth_header(Role.operator)


@asynccontextmanager
async def service(url: str, jetstream: str, smtp: SmtpReceiver | None = None, **overrides):  # noqa: ANN003, ANN201
    values = FAST | {"smtp_host": "127.0.0.1", "smtp_port": smtp.port if smtp else 1} | overrides
    settings = settings_for_test(url, jetstream, cls=NotificationsSettings, **values)
    async with running(build_definition(), settings) as svc:
        yield svc


async def wait_for(check: Callable, timeout: float = 15.0) -> object:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check.__name__}")
        await asyncio.sleep(0.02)


async def add_subscription(engine, url: str) -> uuid.UUID:  # noqa: ANN001
    recipient_id, subscription_id = f"integration:{uuid.uuid4()}", uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(insert(recipients).values(
            id=recipient_id, kind="integration", name="Cổng Bộ", channels=["webhook"]))
        await conn.execute(insert(webhook_subscriptions).values(
            id=subscription_id, recipient_id=recipient_id, url=url, secret=SECRET,
            event_types=[EVENT_TYPE]))
    return subscription_id


def email_to(address: str, event_id: uuid.UUID | None = None) -> Outgoing:
    return Outgoing(
        source_event_id=event_id or uuid.uuid4(), source_event_type=EVENT_TYPE,
        recipient_id=f"producer:{uuid.uuid4()}", province_code="15", channel=Channel.EMAIL,
        language="vi", subject_line=SUBJECT, body=BODY, address=address)


async def webhook_to(engine, subscription_id: uuid.UUID) -> Outgoing:  # noqa: ANN001
    async with engine.connect() as conn:
        sub = (await conn.execute(select(webhook_subscriptions)
                                  .where(webhook_subscriptions.c.id == subscription_id))).one()
    envelope = Envelope.new(source="/ocop/evaluation", type=EVENT_TYPE, subject="p-1")
    payload = envelope.structured({"product_name": "Chè Shan tuyết", "stars": 4})
    return Outgoing(
        source_event_id=envelope.id, source_event_type=EVENT_TYPE,
        recipient_id=sub.recipient_id, province_code="15", channel=Channel.WEBHOOK,
        language="vi", subject_line=SUBJECT, body=BODY, address=sub.url, payload=payload,
        subscription_id=subscription_id)


async def put(svc, *items: Outgoing) -> list[uuid.UUID | None]:  # noqa: ANN001
    async with svc.runtime.engine.begin() as conn:
        return [await enqueue(conn, svc.runtime.outbox, item) for item in items]


async def delivery(engine, delivery_id: uuid.UUID):  # noqa: ANN001, ANN201
    async with engine.connect() as conn:
        return (await conn.execute(select(deliveries)
                                   .where(deliveries.c.id == delivery_id))).one()


async def attempts(engine, delivery_id: uuid.UUID) -> list:  # noqa: ANN001
    async with engine.connect() as conn:
        return (await conn.execute(
            select(delivery_attempts).where(delivery_attempts.c.delivery_id == delivery_id)
            .order_by(delivery_attempts.c.id))).all()


async def outbox_payloads(engine, event: type) -> list[dict]:  # noqa: ANN001
    outbox = messaging.outbox
    async with engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.payload)
                                   .where(outbox.c.type == event.event_type())
                                   .order_by(outbox.c.seq))).all()
    return [r.payload for r in rows]


def settled(engine, delivery_id: uuid.UUID, status: str = "delivered") -> Callable:  # noqa: ANN001
    async def is_settled() -> bool:
        return (await delivery(engine, delivery_id)).status == status
    is_settled.__name__ = f"{delivery_id} {status}"
    return is_settled


async def test_an_email_arrives_intact_and_is_logged(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    with SmtpReceiver() as smtp:
        async with service(url, jetstream, smtp) as svc:
            engine = svc.runtime.engine
            [delivery_id] = await put(svc, email_to("htx.suoigiang@example.vn"))
            await wait_for(settled(engine, delivery_id))

            [mail] = smtp.messages
            message = mail.message
            assert mail.rcpt_tos == ["htx.suoigiang@example.vn"]
            assert message["From"] == "OCOP <no-reply@ocop.local>"
            assert message["To"] == "htx.suoigiang@example.vn"
            assert message["Subject"] == SUBJECT
            assert message["Message-ID"] == f"<{delivery_id}@ocop.local>"
            assert message.get_content_type() == "text/plain"
            assert message.get_content_charset() == "utf-8"
            assert message.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire

            row = await delivery(engine, delivery_id)
            assert (row.attempts, row.last_error, row.next_attempt_at) == (1, None, None)
            assert row.delivered_at is not None
            [logged] = await attempts(engine, delivery_id)
            assert (logged.attempt, logged.outcome, logged.detail) == (1, "delivered", None)
            announced = await outbox_payloads(engine, NotificationDelivered)
            assert [(a["delivery_id"], a["channel"]) for a in announced] == [
                (str(delivery_id), "email")]

            response = await svc.http.get(f"/deliveries/{delivery_id}", headers=OPERATOR)
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["status"], body["channel"], body["address"]) == (
                "delivered", "email", "htx.suoigiang@example.vn")
            assert [(a["attempt"], a["outcome"]) for a in body["attempts"]] == [(1, "delivered")]
            own = auth_header(Role.provincial_official, province_code="15")
            other = auth_header(Role.provincial_official, province_code="01")
            assert (await svc.http.get(f"/deliveries/{delivery_id}", headers=own)
                    ).status_code == 200
            assert (await svc.http.get(f"/deliveries/{delivery_id}", headers=other)
                    ).status_code == 403
            producer = auth_header(Role.producer, producer_id=str(uuid.uuid4()))
            assert (await svc.http.get(f"/deliveries/{delivery_id}", headers=producer)
                    ).status_code == 403
            assert (await svc.http.get(f"/deliveries/{uuid.uuid4()}", headers=OPERATOR)
                    ).status_code == 404


async def test_the_same_delivery_enqueued_twice_gives_one_email(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    event_id = uuid.uuid4()
    with SmtpReceiver() as smtp:
        async with service(url, jetstream, smtp) as svc:
            first = email_to("a@example.vn", event_id)
            [delivery_id, again] = await put(svc, first, first)
            [later] = await put(svc, first)
            assert delivery_id is not None and again is None and later is None
            await wait_for(settled(svc.runtime.engine, delivery_id))
            await asyncio.sleep(0.3)  # several more rounds
            assert len(smtp.messages) == 1
            assert len(await attempts(svc.runtime.engine, delivery_id)) == 1


async def test_a_signed_webhook_is_retried_until_it_succeeds(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    async with HttpReceiver(script=[500, 500], then=200) as hook:
        async with service(url, jetstream, retry_base_seconds=0.2) as svc:
            engine = svc.runtime.engine
            subscription = await add_subscription(engine, hook.url)
            outgoing = await webhook_to(engine, subscription)
            [delivery_id] = await put(svc, outgoing)
            await wait_for(settled(engine, delivery_id))

            assert [r.status for r in hook.requests] == [500, 500, 200]
            for request in hook.requests:
                assert verify(SECRET, request.headers["x-ocop-signature"], request.body,
                              now=time.time())
                assert not verify("wrong-secret-0123456789", request.headers[
                    "x-ocop-signature"], request.body, now=time.time())
                assert request.headers["content-type"] == "application/cloudevents+json"
                assert request.headers["x-ocop-delivery"] == str(delivery_id)
                assert request.headers["ce-id"] == str(outgoing.source_event_id)
                event = json.loads(request.body)
                assert event == outgoing.payload
                assert (event["type"], event["data"]["product_name"]) == (
                    EVENT_TYPE, "Chè Shan tuyết")
            # each wait is at least half its ceiling: 0.2 * 2^(n-1) / 2, i.e. 0.1 s then 0.2 s
            gaps = [b.received_at - a.received_at
                    for a, b in zip(hook.requests, hook.requests[1:], strict=False)]
            assert gaps[0] >= 0.1 - 0.01 and gaps[1] >= 0.2 - 0.01, gaps

            row = await delivery(engine, delivery_id)
            assert (row.status, row.attempts) == ("delivered", 3)
            logged = await attempts(engine, delivery_id)
            assert [(a.attempt, a.outcome, a.detail) for a in logged] == [
                (1, "retry", "HTTP 500"), (2, "retry", "HTTP 500"), (3, "delivered", None)]
            async with engine.connect() as conn:
                sub = (await conn.execute(select(webhook_subscriptions))).one()
            assert (sub.consecutive_failures, sub.paused_until) == (0, None)
            assert [p["delivery_id"] for p in
                    await outbox_payloads(engine, NotificationDelivered)] == [str(delivery_id)]


async def test_a_webhook_that_keeps_failing_is_failed_at_the_cap(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    async with HttpReceiver(then=500) as hook:
        async with service(url, jetstream) as svc:
            engine = svc.runtime.engine
            subscription = await add_subscription(engine, hook.url)
            outgoing = await webhook_to(engine, subscription)
            [delivery_id] = await put(svc, outgoing)
            await wait_for(settled(engine, delivery_id, "failed"))
            await asyncio.sleep(0.3)  # no attempt after the last one

            assert len(hook.requests) == 3
            row = await delivery(engine, delivery_id)
            assert (row.attempts, row.last_error) == (3, "HTTP 500")
            assert row.failed_at is not None and row.delivered_at is None
            assert [a.outcome for a in await attempts(engine, delivery_id)] == [
                "retry", "retry", "failed"]
            [failed] = await outbox_payloads(engine, NotificationFailed)
            assert failed == {
                "delivery_id": str(delivery_id),
                "source_event_id": str(outgoing.source_event_id),
                "source_event_type": EVENT_TYPE, "recipient_id": outgoing.recipient_id,
                "channel": "webhook", "error": "HTTP 500"}
            assert await outbox_payloads(engine, NotificationDelivered) == []

            async def failure_published() -> bool:  # the relay got it onto JetStream
                async with engine.connect() as conn:
                    return (await conn.execute(
                        select(messaging.outbox.c.published_at)
                        .where(messaging.outbox.c.type == NotificationFailed.event_type())
                    )).scalar() is not None
            await wait_for(failure_published)


async def test_an_endpoint_that_keeps_failing_is_paused_until_resumed(databases,
                                                                       jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    with SmtpReceiver() as smtp:
        async with HttpReceiver(then=500) as hook:
            async with service(url, jetstream, smtp, max_attempts=2, pause_after_failures=2,
                               pause_seconds=3600) as svc:
                engine = svc.runtime.engine
                subscription = await add_subscription(engine, hook.url)
                [first] = await put(svc, await webhook_to(engine, subscription))
                await wait_for(settled(engine, first, "failed"))
                async with engine.connect() as conn:
                    sub = (await conn.execute(select(webhook_subscriptions))).one()
                assert sub.consecutive_failures == 2 and sub.paused_until is not None

                # due together: the email goes, the paused endpoint's delivery waits
                hook.then = 200
                [second, mail] = await put(svc, await webhook_to(engine, subscription),
                                           email_to("b@example.vn"))
                await wait_for(settled(engine, mail))
                await asyncio.sleep(0.3)
                assert len(hook.requests) == 2
                assert (await delivery(engine, second)).status == "pending"
                assert await attempts(engine, second) == []

                resume = f"/webhook-subscriptions/{subscription}/resume"
                producer = auth_header(Role.producer, producer_id=str(uuid.uuid4()))
                assert (await svc.http.post(resume, headers=producer)).status_code == 403
                assert (await svc.http.post(f"/webhook-subscriptions/{uuid.uuid4()}/resume",
                                            headers=OPERATOR)).status_code == 404
                response = await svc.http.post(resume, headers=OPERATOR)
                assert response.status_code == 200, response.text
                assert response.json()["paused_until"] is None
                await wait_for(settled(engine, second))
                assert [r.status for r in hook.requests] == [500, 500, 200]


async def test_a_failing_endpoint_holds_up_neither_email_nor_other_endpoints(
        databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    with SmtpReceiver() as smtp:
        async with HttpReceiver(then=500) as bad, HttpReceiver() as good:
            bad.hold()  # the bad endpoint does not even answer until released
            async with service(url, jetstream, smtp) as svc:
                engine = svc.runtime.engine
                bad_sub = await add_subscription(engine, bad.url)
                good_sub = await add_subscription(engine, good.url)
                [to_bad, to_good, mail] = await put(
                    svc, await webhook_to(engine, bad_sub), await webhook_to(engine, good_sub),
                    email_to("c@example.vn"))
                await wait_for(settled(engine, to_good))
                await wait_for(settled(engine, mail))
                assert bad.arrived.is_set() and bad.requests == []  # still hanging
                assert (await delivery(engine, to_bad)).attempts == 0
                bad.release()
                await wait_for(settled(engine, to_bad, "failed"))
                assert len(good.requests) == 1 and len(smtp.messages) == 1


async def test_a_restart_during_retries_neither_loses_nor_repeats(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    async with HttpReceiver(script=[500, 500], then=200) as hook:
        # first life: attempt 1 fails, then the service stops before its (slow) retry
        async with service(url, jetstream, retry_base_seconds=2.0) as svc:
            engine = svc.runtime.engine
            subscription = await add_subscription(engine, hook.url)
            [delivery_id] = await put(svc, await webhook_to(engine, subscription))

            async def first_attempt_logged() -> bool:
                return len(await attempts(engine, delivery_id)) == 1
            await wait_for(first_attempt_logged)
        assert [r.status for r in hook.requests] == [500]

        # second life, same database: it picks the delivery up where it was
        async with service(url, jetstream) as svc:
            engine = svc.runtime.engine
            await wait_for(settled(engine, delivery_id), timeout=20)
            await asyncio.sleep(0.3)
            assert [r.status for r in hook.requests] == [500, 500, 200]
            assert len(hook.ok) == 1
            assert {r.headers["x-ocop-delivery"] for r in hook.requests} == {str(delivery_id)}
            logged = await attempts(engine, delivery_id)
            assert [(a.attempt, a.outcome) for a in logged] == [
                (1, "retry"), (2, "retry"), (3, "delivered")]
            assert (await delivery(engine, delivery_id)).attempts == 3


async def test_two_replicas_send_each_email_once(databases, jetstream) -> None:
    url = await databases.fresh("notifications", MIGRATIONS)
    with SmtpReceiver() as smtp:
        async with service(url, jetstream, smtp, dispatch_batch_size=3) as one, \
                service(url, jetstream, smtp, dispatch_batch_size=3) as two:
            ids = await put(one, *(email_to(f"p{n}@example.vn") for n in range(20)))
            for delivery_id in ids:
                await wait_for(settled(two.runtime.engine, delivery_id))
            await asyncio.sleep(0.3)
            assert len(smtp.messages) == 20
            assert len({m.message["Message-ID"] for m in smtp.messages}) == 20


async def test_a_claim_leases_deliveries_until_recorded_or_expired(databases) -> None:
    """No dispatcher running: claim by hand. A claimed delivery is hidden from other claims
    (another replica) until its lease ends, as after a crash in the middle of a send."""
    url = await databases.fresh("notifications", MIGRATIONS)
    engine = create_engine(url)
    settings = NotificationsSettings.model_validate(
        {"OCOP_JWT_SECRET": "x" * 40, "database_url": url})
    try:
        async with engine.begin() as conn:
            delivery_id = await enqueue(conn, Outbox(messaging.outbox, source="/ocop/test"),
                                        email_to("d@example.vn"))
        [claimed] = await claim(engine, settings)
        assert claimed.id == delivery_id and claimed.attempts == 0
        assert await claim(engine, settings) == []  # leased
        row = await delivery(engine, delivery_id)
        assert row.status == "pending" and row.next_attempt_at > row.created_at + lease(
            settings) / 2
        async with engine.begin() as conn:  # the lease runs out (the sender died)
            await conn.execute(update(deliveries).values(next_attempt_at=func.now()))
        assert [r.id for r in await claim(engine, settings)] == [delivery_id]
    finally:
        await engine.dispose()
