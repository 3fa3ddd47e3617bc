"""How promotion reacts to evaluation's events: a recognised product goes on a ceremony.

Each handler runs inside the consumer's transaction (inbox row + effects + outbox rows commit
together), so a redelivered event changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Container
from datetime import date

from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.contracts.promotion import (
    CeremonyProduct,
    CeremonyScheduled,
    ProductAddedToCeremony,
)
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import ceremonies, ceremony_products
from ..domain.ceremonies import (
    CeremonyRules,
    CeremonyStatus,
    PlannedCeremony,
    choose_ceremony,
    first_ceremony_day,
    vietnam_holidays,
)
from .certificates import CertificateLost, CertificateLostReaction


def default_venue(province_code: str) -> str:
    return f"Hội trường UBND tỉnh {province_code}"


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


async def _serialise_planning(session: AsyncConnection, authority: str, province_code: str) -> None:
    """One planner at a time per (authority, province) until commit: two products recognised
    at once must not both plan a new ceremony. (FOR UPDATE alone cannot lock rows that do
    not exist yet.)"""
    key = f"ocop.promotion.ceremony:{authority}:{province_code}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def _planned_ceremonies(
    session: AsyncConnection, authority: str, province_code: str, earliest_day: date
) -> tuple[list[PlannedCeremony], dict[uuid.UUID, dict]]:
    """The authority's planned ceremonies from `earliest_day` on, locked FOR UPDATE so their
    product counts hold until commit; also the rows themselves by id."""
    rows = (
        await session.execute(
            select(ceremonies)
            .where(ceremonies.c.authority == authority,
                   ceremonies.c.province_code == province_code,
                   ceremonies.c.status == CeremonyStatus.PLANNED.value,
                   ceremonies.c.ceremony_date >= earliest_day)
            .order_by(ceremonies.c.ceremony_date, ceremonies.c.id)
            .with_for_update()
        )
    ).all()
    by_id = {row.id: row._asdict() for row in rows}
    counts: dict[uuid.UUID, int] = {}
    if by_id:
        counts = dict(
            (
                await session.execute(
                    select(ceremony_products.c.ceremony_id, func.count())
                    .where(ceremony_products.c.ceremony_id.in_(list(by_id)))
                    .group_by(ceremony_products.c.ceremony_id)
                )
            ).all()
        )
    planned = [
        PlannedCeremony(id=c["id"], authority=c["authority"], ceremony_date=c["ceremony_date"],
                        product_count=counts.get(c["id"], 0), capacity=c["capacity"])
        for c in by_id.values()
    ]
    return planned, by_id


async def place_on_ceremony(
    session: AsyncConnection,
    outbox: Outbox,
    rules: CeremonyRules,
    event: ProductRecognized,
    holidays_calendar: Container[date] | None = None,
) -> None:
    """Put a recognised product on a ceremony of its recognising authority: join a planned
    one with room (ProductAddedToCeremony) or plan a new one (CeremonyScheduled). A product
    already on a planned ceremony is left there, without an event."""
    await _serialise_planning(session, event.authority, event.province_code)
    if await _already_planned(session, event.product_id):
        return
    # an event handled late (a backlog, a replay) never plans a ceremony in the past
    planned_from = max(event.decision_date, today_in_vietnam())
    earliest_day = first_ceremony_day(planned_from, rules.lead_days, holidays_calendar)
    planned, rows = await _planned_ceremonies(
        session, event.authority, event.province_code, earliest_day
    )
    chosen = choose_ceremony(
        planned, event.authority, planned_from, rules.window_days, rules.capacity,
        earliest_day=earliest_day,
    )
    if chosen is None:
        ceremony = {
            "id": uuid.uuid4(), "authority": event.authority,
            "province_code": event.province_code, "ceremony_date": earliest_day,
            "venue": default_venue(event.province_code),
            "status": CeremonyStatus.PLANNED.value, "capacity": rules.capacity,
        }
        await session.execute(insert(ceremonies).values(ceremony))
    else:
        ceremony = rows[chosen.id]

    product = CeremonyProduct(product_id=event.product_id, producer_id=event.producer_id,
                              product_name=event.product_name, stars=event.stars)
    await session.execute(
        insert(ceremony_products).values(
            ceremony_id=ceremony["id"], decision_number=event.decision_number,
            **product.model_dump(),
        )
    )
    facts = {k: ceremony[k] for k in ("authority", "province_code", "ceremony_date", "venue")}
    if chosen is None:
        await outbox.add(session, CeremonyScheduled(
            ceremony_id=ceremony["id"], products=[product], **facts,
        ))
    else:
        await outbox.add(session, ProductAddedToCeremony(
            ceremony_id=ceremony["id"], product=product, **facts,
        ))


def build_handlers(rules: CeremonyRules, outbox: Outbox) -> dict[type[Event], Handler]:
    """The service's event handlers, bound to its rules and outbox."""
    calendar = vietnam_holidays()  # fills in each year on first lookup

    async def on_product_recognized(
        session: AsyncConnection, event: ProductRecognized, _env: Envelope
    ) -> None:
        await place_on_ceremony(session, outbox, rules, event, calendar)

    return {ProductRecognized: on_product_recognized}


def ceremony_on_certificate_lost(outbox: Outbox, rules: CeremonyRules) -> CertificateLostReaction:
    """A product whose certificate is revoked (or expires) before its ceremony is taken off."""

    async def react(session: AsyncConnection, lost: CertificateLost) -> None:
        return None

    return react
