"""How promotion reacts to events: a recognised product goes on a ceremony (see the policy in
`domain.ceremonies`), a product that loses its certificate is taken off its ceremony.

Each handler runs inside the consumer's transaction (inbox row + effects + outbox rows commit
together), so a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import date

import structlog
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.contracts.promotion import (
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import ceremonies, ceremony_products
from ..domain.ceremonies import (
    CeremonyRules,
    CeremonyStatus,
    PlannedCeremony,
    choose_for_decision,
    first_ceremony_day,
    new_ceremony_day,
    vietnam_holidays,
)
from .certificates import CertificateLost, CertificateLostReaction

log = structlog.get_logger(__name__)
PRODUCT_FIELDS = ("product_id", "producer_id", "product_name", "stars")
_REMOVAL_REASONS = {
    "certificate_revoked": "giấy chứng nhận OCOP của sản phẩm bị thu hồi",
    "certificate_expired": "giấy chứng nhận OCOP của sản phẩm hết hiệu lực",
}


@dataclass(frozen=True)
class Placement:
    """A product to put on a ceremony: what it is, which decision recognised it, and whose."""

    product: CeremonyProduct
    authority: str
    level: str
    province_code: str
    decision_number: str
    decision_date: date | None


def default_venue(province_code: str) -> str:
    return f"Hội trường UBND tỉnh {province_code}"


def as_product(row: dict) -> CeremonyProduct:
    return CeremonyProduct(**{k: row[k] for k in PRODUCT_FIELDS})


async def _already_planned(session: AsyncConnection, product_id: uuid.UUID) -> bool:
    """Whether the product is already on a planned ceremony (of any authority)."""
    row = (
        await session.execute(
            select(ceremony_products.c.ceremony_id)
            .join(ceremonies, ceremonies.c.id == ceremony_products.c.ceremony_id)
            .where(ceremony_products.c.product_id == product_id,
                   ceremonies.c.status == CeremonyStatus.PLANNED.value)
            .limit(1)
        )
    ).first()
    return row is not None


async def serialise_planning(session: AsyncConnection, authority: str, province_code: str) -> None:
    """One planner at a time per (authority, province) until commit: two products recognised
    at once must not both plan a new ceremony. (FOR UPDATE alone cannot lock rows that do
    not exist yet.)"""
    key = f"ocop.promotion.ceremony:{authority}:{province_code}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def _planned_ceremonies(
    session: AsyncConnection, placing: Placement, earliest_day: date
) -> tuple[list[PlannedCeremony], dict[uuid.UUID, dict]]:
    """The authority's planned ceremonies from `earliest_day` on, locked FOR UPDATE so their
    product counts hold until commit, with how many of the decision's products each holds;
    also the rows themselves by id."""
    rows = (
        await session.execute(
            select(ceremonies)
            .where(ceremonies.c.authority == placing.authority,
                   ceremonies.c.province_code == placing.province_code,
                   ceremonies.c.status == CeremonyStatus.PLANNED.value,
                   ceremonies.c.ceremony_date >= earliest_day)
            .order_by(ceremonies.c.ceremony_date, ceremonies.c.id)
            .with_for_update()
        )
    ).all()
    by_id = {row.id: row._asdict() for row in rows}
    counts: dict[uuid.UUID, tuple[int, int]] = {}
    if by_id:
        same = func.count().filter(
            ceremony_products.c.decision_number == placing.decision_number)
        counts = {
            cid: (n, mine) for cid, n, mine in (
                await session.execute(
                    select(ceremony_products.c.ceremony_id, func.count(), same)
                    .where(ceremony_products.c.ceremony_id.in_(list(by_id)))
                    .group_by(ceremony_products.c.ceremony_id)
                )
            ).all()
        }
    planned = [
        PlannedCeremony(id=c["id"], authority=c["authority"], ceremony_date=c["ceremony_date"],
                        product_count=counts.get(c["id"], (0, 0))[0], capacity=c["capacity"],
                        decision_products=counts.get(c["id"], (0, 0))[1])
        for c in by_id.values()
    ]
    return planned, by_id


async def place(
    session: AsyncConnection,
    outbox: Outbox,
    rules: CeremonyRules,
    placing: Placement,
    planned_from: date,
    calendar: Container[date],
    *,
    earliest_day: date | None = None,
    group_size: int = 1,
) -> uuid.UUID:
    """Put a product on a ceremony of its authority, no earlier than `earliest_day` (by default
    `lead_days` after `planned_from`, where its window starts): join one
    (ProductAddedToCeremony) or plan a new one (CeremonyScheduled). The caller holds
    `serialise_planning` for the authority. Returns the ceremony's id."""
    if earliest_day is None:
        earliest_day = first_ceremony_day(planned_from, rules.lead_days, calendar)
    planned, rows = await _planned_ceremonies(session, placing, earliest_day)
    chosen = choose_for_decision(
        planned, placing.authority, planned_from, rules.window_days, rules.capacity,
        earliest_day=earliest_day, group_size=group_size,
    )
    if chosen is None:
        taken = {c.ceremony_date for c in planned}
        ceremony = {
            "id": uuid.uuid4(), "authority": placing.authority, "level": placing.level,
            "province_code": placing.province_code,
            "ceremony_date": new_ceremony_day(earliest_day, taken, calendar),
            "venue": default_venue(placing.province_code),
            "status": CeremonyStatus.PLANNED.value, "capacity": rules.capacity,
        }
        await session.execute(insert(ceremonies).values(ceremony))
    else:
        ceremony = rows[chosen.id]
    product = placing.product
    await session.execute(
        insert(ceremony_products).values(
            ceremony_id=ceremony["id"], decision_number=placing.decision_number,
            decision_date=placing.decision_date, **product.model_dump(),
        )
    )
    facts = {k: ceremony[k] for k in ("authority", "province_code", "ceremony_date", "venue")}
    if chosen is None:
        await outbox.add(session, CeremonyScheduled(
            ceremony_id=ceremony["id"], products=[product], **facts))
    else:
        await outbox.add(session, ProductAddedToCeremony(
            ceremony_id=ceremony["id"], product=product, **facts))
    log.info("ceremony.product_placed", ceremony_id=str(ceremony["id"]),
             product_id=str(product.product_id), new=chosen is None)
    return ceremony["id"]


async def place_on_ceremony(
    session: AsyncConnection,
    outbox: Outbox,
    rules: CeremonyRules,
    event: ProductRecognized,
    holidays_calendar: Container[date] | None = None,
) -> None:
    """Put a recognised product on a ceremony of its recognising authority. A product already
    on a planned ceremony is left there, without an event."""
    await serialise_planning(session, event.authority, event.province_code)
    if await _already_planned(session, event.product_id):
        return
    calendar = holidays_calendar if holidays_calendar is not None else vietnam_holidays()
    placing = Placement(
        product=CeremonyProduct(product_id=event.product_id, producer_id=event.producer_id,
                                product_name=event.product_name, stars=event.stars),
        authority=event.authority, level=event.level, province_code=event.province_code,
        decision_number=event.decision_number, decision_date=event.decision_date,
    )
    # an event handled late (a backlog, a replay) never plans a ceremony in the past
    planned_from = max(event.decision_date, today_in_vietnam())
    await place(session, outbox, rules, placing, planned_from, calendar)


async def products_of(session: AsyncConnection, ceremony_id: uuid.UUID) -> list[dict]:
    """The ceremony's product rows in the order they joined."""
    rows = await session.execute(
        select(ceremony_products).where(ceremony_products.c.ceremony_id == ceremony_id)
        .order_by(ceremony_products.c.added_at, ceremony_products.c.product_id))
    return [r._asdict() for r in rows]


async def mark_cancelled(
    session: AsyncConnection, outbox: Outbox, ceremony: dict, products: list[dict], reason: str
) -> None:
    """Set the ceremony cancelled and say so (CeremonyCancelled, listing `products`)."""
    await session.execute(
        update(ceremonies).where(ceremonies.c.id == ceremony["id"])
        .values(status=CeremonyStatus.CANCELLED.value, cancel_reason=reason))
    await outbox.add(session, CeremonyCancelled(
        ceremony_id=ceremony["id"], authority=ceremony["authority"],
        province_code=ceremony["province_code"], ceremony_date=ceremony["ceremony_date"],
        products=[as_product(p) for p in products], reason=reason))
    log.info("ceremony.cancelled", ceremony_id=str(ceremony["id"]), reason=reason)


async def cancel_if_empty(
    session: AsyncConnection, outbox: Outbox, ceremony: dict, reason: str
) -> None:
    """A planned ceremony left without products is not held: cancel it."""
    if not await products_of(session, ceremony["id"]):
        await mark_cancelled(session, outbox, ceremony, [], reason)


def build_handlers(rules: CeremonyRules, outbox: Outbox) -> dict[type[Event], Handler]:
    """The service's event handlers, bound to its rules and outbox."""
    calendar = vietnam_holidays()  # fills in each year on first lookup

    async def on_product_recognized(
        session: AsyncConnection, event: ProductRecognized, _env: Envelope
    ) -> None:
        await place_on_ceremony(session, outbox, rules, event, calendar)

    return {ProductRecognized: on_product_recognized}


def ceremony_on_certificate_lost(outbox: Outbox, rules: CeremonyRules) -> CertificateLostReaction:
    """A product whose certificate is revoked (or expires) before its ceremony is taken off
    (ProductRemovedFromCeremony); a ceremony left empty is cancelled (CeremonyCancelled)."""

    async def react(session: AsyncConnection, lost: CertificateLost) -> None:
        rows = (await session.execute(
            select(ceremonies, ceremony_products.c.product_name, ceremony_products.c.stars,
                   ceremony_products.c.producer_id)
            .join(ceremony_products, ceremony_products.c.ceremony_id == ceremonies.c.id)
            .where(ceremony_products.c.product_id == lost.product_id,
                   ceremonies.c.status == CeremonyStatus.PLANNED.value,
                   ceremonies.c.ceremony_date >= today_in_vietnam())
            .with_for_update(of=ceremonies))).all()
        for row in rows:
            ceremony = row._asdict()
            await session.execute(delete(ceremony_products).where(
                ceremony_products.c.ceremony_id == ceremony["id"],
                ceremony_products.c.product_id == lost.product_id))
            await outbox.add(session, ProductRemovedFromCeremony(
                ceremony_id=ceremony["id"], province_code=ceremony["province_code"],
                ceremony_date=ceremony["ceremony_date"],
                product=as_product({**ceremony, "product_id": lost.product_id}),
                reason=lost.reason))
            log.info("ceremony.product_removed", ceremony_id=str(ceremony["id"]),
                     product_id=str(lost.product_id), reason=lost.reason)
            await cancel_if_empty(session, outbox, ceremony,
                                  f"Không còn sản phẩm để công bố: "
                                  f"{_REMOVAL_REASONS[lost.reason]}")

    return react
