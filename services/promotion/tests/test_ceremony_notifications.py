"""End to end on real NATS and PostgreSQL: a ceremony rescheduled by an official in promotion
reaches its producer's inbox in notifications, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from ocop_notifications.bootstrap import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from ocop_notifications.bootstrap import build_definition as notifications_definition
from ocop_notifications.settings import NotificationsSettings
from ocop_promotion.bootstrap import MIGRATIONS, build_definition
from ocop_promotion.settings import PromotionSettings
from ocop_shared.auth import Role
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.testing.services import auth_header, publish_event, running, settings_for_test

HANOI = auth_header(Role.provincial_official, province_code="01")
PRODUCER_ID = uuid.uuid4()
PRODUCER = auth_header(Role.producer, province_code="01", producer_id=str(PRODUCER_ID))


async def inbox(http) -> list[dict]:  # noqa: ANN001
    response = await http.get("/inbox", headers=PRODUCER)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def eventually(http, subject_starts: str) -> list[dict]:  # noqa: ANN001
    for _ in range(200):
        found = [d for d in await inbox(http) if d["subject_line"].startswith(subject_starts)]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {subject_starts!r} in {await inbox(http)}")


async def test_a_rescheduled_ceremony_reaches_the_producers_inbox(databases, jetstream) -> None:
    promotion_db = await databases.fresh("promotion", MIGRATIONS)
    notifications_db = await databases.fresh("notifications", NOTIFICATIONS_MIGRATIONS)
    promotion_settings = settings_for_test(promotion_db, jetstream, cls=PromotionSettings)
    notifications_settings = settings_for_test(notifications_db, jetstream,
                                               cls=NotificationsSettings)
    async with (
        running(build_definition(promotion_settings), promotion_settings) as promotion,
        running(notifications_definition(), notifications_settings) as notifications,
    ):
        await publish_event(jetstream, ProductRecognized(
            product_id=uuid.uuid4(), producer_id=PRODUCER_ID, product_name="Chè Shan Tuyết",
            province_code="01", stars=4, level="province", authority="UBND tỉnh 01",
            decision_number="12/QĐ-UBND", decision_date=date(2027, 3, 1), score=80.0,
            rulebook="148/2023"))
        [invited] = await eventually(notifications.http, "Lễ công bố sản phẩm OCOP ngày")
        assert "15/03/2027" in invited["subject_line"]

        [ceremony] = (await promotion.http.get("/ceremonies", headers=HANOI)).json()["items"]
        moved = await promotion.http.post(
            f"/ceremonies/{ceremony['id']}/reschedule", headers=HANOI,
            json={"ceremony_date": "2027-03-19", "reason": "Trùng lịch họp"})
        assert moved.status_code == 200, moved.text
        [told] = await eventually(notifications.http, "Lễ công bố sản phẩm OCOP được dời")
        assert "19/03/2027" in told["subject_line"]
        assert "15/03/2027" in told["body"] and "Trùng lịch họp" in told["body"]
        await asyncio.sleep(0.5)
        assert len(await inbox(notifications.http)) == 2
