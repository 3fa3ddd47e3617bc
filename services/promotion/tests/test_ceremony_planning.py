"""Ceremony planning on real PostgreSQL and NATS: a decision's products stay together within
the capacity, Tết is skipped, a revoked product is taken off its ceremony; every reaction once
even when its event is delivered twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import nats
import pytest
from ocop_promotion.adapters.tables import ceremonies, ceremony_products, messaging
from ocop_promotion.bootstrap import MIGRATIONS, build_definition
from ocop_promotion.domain.ceremonies import CeremonyRules
from ocop_promotion.service_layer.certificates import CertificateLost
from ocop_promotion.service_layer.events import build_handlers, ceremony_on_certificate_lost
from ocop_promotion.settings import PromotionSettings
from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.contracts.registry import CertificateIssued, CertificateRevoked
from ocop_shared.testing.services import publish_event, running, settings_for_test
from sqlalchemy import func, select

AUTHORITY = "UBND tỉnh 01"
MONDAY = date(2027, 3, 1)


def recognized(product_id: uuid.UUID, decision: str = "12/QĐ-UBND", *,
               decided: date = MONDAY, name: str = "Chè") -> ProductRecognized:
    return ProductRecognized(
        product_id=product_id, producer_id=uuid.uuid5(uuid.NAMESPACE_OID, str(product_id)),
        product_name=name, province_code="01", stars=4, level="province", authority=AUTHORITY,
        decision_number=decision, decision_date=decided, score=80.0, rulebook="148/2023")


async def deliver_twice(jetstream: str, event: Event) -> None:
    """Publish `event`, then redeliver it (same CloudEvent id): the consumer sees it twice."""
    envelope = await publish_event(jetstream, event)
    await publish_event(jetstream, event, event_id=envelope.id)


async def drained(jetstream: str) -> None:
    """Wait until promotion's consumers have acknowledged everything (duplicates included)."""
    nc = await nats.connect(jetstream)
    try:
        js = nc.jetstream()
        for _ in range(200):
            infos = [await js.consumer_info(stream, "promotion")
                     for stream in ("OCOP_EVALUATION", "OCOP_REGISTRY")]
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"still pending: {infos}")
    finally:
        await nc.close()


async def handled(svc, count: int) -> None:  # noqa: ANN001
    """Wait until the service's consumers have handled `count` distinct events and
    acknowledged every delivery."""
    inbox = messaging.inbox
    for _ in range(200):
        async with svc.runtime.engine.connect() as conn:
            done = (await conn.execute(select(func.count()).select_from(inbox))).scalar_one()
        if done >= count:
            await drained(svc.runtime.settings.nats_url)
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {done} of {count} events handled")


async def outbox_events(svc) -> list[tuple[str, dict]]:  # noqa: ANN001
    """(event name, payload) of every event the service wrote, in order."""
    outbox = messaging.outbox
    async with svc.runtime.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.type, outbox.c.payload).order_by(outbox.c.seq))
    return [(t.split(".")[2], p) for t, p in rows]


async def on_ceremonies(svc) -> dict[uuid.UUID, list[uuid.UUID]]:  # noqa: ANN001
    """Planned ceremony id -> its products in the order they joined."""
    async with svc.runtime.engine.connect() as conn:
        rows = await conn.execute(
            select(ceremony_products.c.ceremony_id, ceremony_products.c.product_id)
            .join(ceremonies, ceremonies.c.id == ceremony_products.c.ceremony_id)
            .where(ceremonies.c.status == "planned")
            .order_by(ceremony_products.c.added_at))
        placed: dict[uuid.UUID, list[uuid.UUID]] = {}
        for ceremony_id, product_id in rows:
            placed.setdefault(ceremony_id, []).append(product_id)
    return placed


@pytest.fixture
async def service(request, databases, jetstream):
    url = await databases.fresh("promotion", MIGRATIONS)
    overrides = getattr(request, "param", {})
    settings = settings_for_test(url, jetstream, cls=PromotionSettings, **overrides)
    async with running(build_definition(settings), settings) as svc:
        yield svc


@pytest.mark.parametrize("service", [{"ceremony_capacity": 10}], indirect=True)
async def test_twelve_products_of_one_decision_fill_one_ceremony_and_the_next(
    service, jetstream
) -> None:
    products = [uuid.UUID(int=i + 1) for i in range(12)]
    for product_id in products:
        await deliver_twice(jetstream, recognized(product_id))
    await handled(service, 12)

    events = await outbox_events(service)
    names = [name for name, _ in events]
    assert names == (["CeremonyScheduled"] + ["ProductAddedToCeremony"] * 9
                     + ["CeremonyScheduled", "ProductAddedToCeremony"])
    first, second = events[0][1], events[10][1]
    assert first["ceremony_date"] == "2027-03-15"  # 14 days' lead, a Monday
    assert second["ceremony_date"] == "2027-03-16"  # the next free working day
    placed = await on_ceremonies(service)
    assert placed == {uuid.UUID(first["ceremony_id"]): products[:10],
                      uuid.UUID(second["ceremony_id"]): products[10:]}


@pytest.mark.parametrize("service", [{"ceremony_capacity": 3}], indirect=True)
async def test_a_decision_rejoins_its_own_ceremony_before_another_decisions(
    service, jetstream
) -> None:
    d1 = [uuid.UUID(int=100 + i) for i in range(4)]
    d2 = [uuid.UUID(int=200 + i) for i in range(3)]
    # D1 fills A and overflows to B; D2 first joins B (the earliest with room) ...
    for product_id in d1:
        await deliver_twice(jetstream, recognized(product_id, "1/QĐ"))
    for product_id in d2:
        await deliver_twice(jetstream, recognized(product_id, "2/QĐ"))
    await handled(service, 7)
    placed = sorted((await on_ceremonies(service)).values(), key=len, reverse=True)
    # ... and the rest of D2 stays with it, overflowing to one new ceremony together
    assert sorted(placed) == sorted([d1[:3], [d1[3], d2[0], d2[1]], [d2[2]]])


@pytest.mark.parametrize(
    "service", [{"ceremony_lead_days": 0}, {"ceremony_lead_days": 1}], indirect=True)
async def test_a_decision_just_before_tet_is_announced_after_the_holidays(
    service, jetstream
) -> None:
    await deliver_twice(jetstream, recognized(uuid.uuid4(), decided=date(2027, 2, 4)))
    await handled(service, 1)
    events = await outbox_events(service)
    assert [name for name, _ in events] == ["CeremonyScheduled"]
    # Tết 2027: 4-10 Feb are holidays (6 Feb is the first day of the year), 11 Feb a Thursday
    assert events[0][1]["ceremony_date"] == "2027-02-11"


def issued(product_id: uuid.UUID, certificate_id: uuid.UUID) -> CertificateIssued:
    return CertificateIssued(
        certificate_id=certificate_id, product_id=product_id,
        producer_id=uuid.uuid5(uuid.NAMESPACE_OID, str(product_id)),
        product_code=f"OCOP-01-{product_id.int:04d}", stars=4, level="province",
        decision_number="12/QĐ-UBND", decision_date=MONDAY, valid_until=date(2030, 3, 1),
        authority=AUTHORITY, product_name="Chè", product_set="tea", province_code="01",
        commune_code="00004")


def revoked(product_id: uuid.UUID, certificate_id: uuid.UUID) -> CertificateRevoked:
    return CertificateRevoked(
        certificate_id=certificate_id, product_id=product_id,
        producer_id=uuid.uuid5(uuid.NAMESPACE_OID, str(product_id)),
        product_code=f"OCOP-01-{product_id.int:04d}", stars=4, decision_number="99/QĐ",
        decision_date=date(2027, 3, 5), reason="hậu kiểm không đạt")


async def test_a_revoked_product_is_taken_off_and_an_empty_ceremony_cancelled(
    service, jetstream
) -> None:
    kept, lost = uuid.UUID(int=301), uuid.UUID(int=302)
    certificates = {kept: uuid.uuid4(), lost: uuid.uuid4()}
    for product_id in (kept, lost):
        await publish_event(jetstream, issued(product_id, certificates[product_id]))
        await publish_event(jetstream, recognized(product_id))
    await handled(service, 4)

    await deliver_twice(jetstream, revoked(lost, certificates[lost]))
    await handled(service, 5)
    events = await outbox_events(service)
    assert [name for name, _ in events] == [
        "CeremonyScheduled", "ProductAddedToCeremony", "ProductRemovedFromCeremony"]
    removed = events[-1][1]
    assert removed["product"]["product_id"] == str(lost)
    assert removed["reason"] == "certificate_revoked" and removed["moved_to"] is None
    assert list((await on_ceremonies(service)).values()) == [[kept]]

    await deliver_twice(jetstream, revoked(kept, certificates[kept]))
    await handled(service, 6)
    events = await outbox_events(service)
    assert [name for name, _ in events[3:]] == ["ProductRemovedFromCeremony",
                                                "CeremonyCancelled"]
    cancelled = events[-1][1]
    assert cancelled["products"] == [] and "thu hồi" in cancelled["reason"]
    assert await on_ceremonies(service) == {}


async def test_each_handler_run_twice_in_a_row_acts_once(service) -> None:
    """Past the inbox too: running a handler again on its own effects changes nothing."""
    outbox = service.runtime.outbox
    on_recognized = build_handlers(CeremonyRules(), outbox)[ProductRecognized]
    on_lost = ceremony_on_certificate_lost(outbox, CeremonyRules())
    event = recognized(uuid.UUID(int=401))
    envelope = Envelope.new(source="/ocop/evaluation", type=event.event_type(),
                            subject=event.entity_id())
    lost = CertificateLost(event.product_id, event.producer_id, "certificate_expired",
                           date(2027, 3, 5))
    async with service.runtime.engine.begin() as conn:
        for _ in range(2):
            await on_recognized(conn, event, envelope)
        for _ in range(2):
            await on_lost(conn, lost)
    assert [name for name, _ in await outbox_events(service)] == [
        "CeremonyScheduled", "ProductRemovedFromCeremony", "CeremonyCancelled"]
