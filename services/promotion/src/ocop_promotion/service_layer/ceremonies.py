"""The officials' commands on ceremonies: reschedule, move products, cancel (its products are
re-planned), set the display list and the trade-connection sessions.

Each runs in the request's transaction; the events it causes go to the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Container
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from ocop_shared.auth import Principal, Role
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.promotion import (
    CeremonyRescheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ocop_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import ceremonies, ceremony_products, ceremony_sessions
from ..domain.ceremonies import (
    CeremonyRules,
    CeremonyStatus,
    check_ceremony_day,
    first_ceremony_day,
)
from .events import (
    Placement,
    as_product,
    cancel_if_empty,
    mark_cancelled,
    place,
    products_of,
    serialise_planning,
)

log = structlog.get_logger(__name__)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MINISTRY_LEVEL = "central"
DEFAULT_RESCHEDULE_REASON = "Thay đổi theo quyết định của cơ quan tổ chức"


def check_manager(principal: Principal, ceremony: dict, field: str = "ceremony_id") -> None:
    """Operators manage every ceremony; a provincial official those of their province's
    authority; a Ministry official the Ministry's."""
    if principal.role is Role.operator:
        return
    ministry = ceremony["level"] == MINISTRY_LEVEL
    if principal.role is Role.ministry_official and ministry:
        return
    if (principal.role is Role.provincial_official and not ministry
            and principal.can_act_in_province(ceremony["province_code"])):
        return
    raise Forbidden("not_your_ceremony", "you do not manage this ceremony", field=field)


async def planned_ceremony(
    session: AsyncConnection, principal: Principal, ceremony_id: uuid.UUID,
    field: str = "ceremony_id",
) -> dict:
    """The ceremony, locked, when it exists (404), the caller manages it (403) and it is still
    planned (409)."""
    row = (await session.execute(
        select(ceremonies).where(ceremonies.c.id == ceremony_id).with_for_update())).first()
    if row is None:
        raise NotFound("ceremony_not_found", f"no ceremony {ceremony_id}", field=field)
    ceremony = row._asdict()
    check_manager(principal, ceremony, field)
    if ceremony["status"] != CeremonyStatus.PLANNED.value:
        raise Conflict("ceremony_not_planned", f"the ceremony is {ceremony['status']}",
                       field=field)
    return ceremony


async def reschedule(
    session: AsyncConnection, outbox: Outbox, principal: Principal, ceremony_id: uuid.UUID,
    *, new_date: date, venue: str | None, reason: str | None, calendar: Container[date],
) -> None:
    """Move a planned ceremony to `new_date` (a working day, not past, not a holiday) and
    optionally another venue; its trade-connection sessions move with it."""
    ceremony = await planned_ceremony(session, principal, ceremony_id)
    why_not = check_ceremony_day(new_date, today_in_vietnam(), calendar)
    if why_not:
        raise InvalidInput("not_a_ceremony_day", why_not, field="ceremony_date")
    previous = ceremony["ceremony_date"]
    venue = venue or ceremony["venue"]
    await session.execute(update(ceremonies).where(ceremonies.c.id == ceremony_id)
                          .values(ceremony_date=new_date, venue=venue))
    await session.execute(
        update(ceremony_sessions).where(ceremony_sessions.c.ceremony_id == ceremony_id)
        .values(starts_at=ceremony_sessions.c.starts_at + (new_date - previous)))
    await outbox.add(session, CeremonyRescheduled(
        ceremony_id=ceremony_id, authority=ceremony["authority"],
        province_code=ceremony["province_code"], previous_date=previous, ceremony_date=new_date,
        venue=venue, products=[as_product(p) for p in await products_of(session, ceremony_id)],
        reason=reason or DEFAULT_RESCHEDULE_REASON))
    log.info("ceremony.rescheduled", ceremony_id=str(ceremony_id), on=str(new_date))


async def move_products(
    session: AsyncConnection, outbox: Outbox, principal: Principal, ceremony_id: uuid.UUID,
    *, product_ids: list[uuid.UUID], target_id: uuid.UUID,
) -> None:
    """Move products to another planned ceremony of the same authority with room for them
    all; a ceremony left empty is cancelled."""
    if target_id == ceremony_id:
        raise InvalidInput("same_ceremony", "the products are already on this ceremony",
                           field="target_ceremony_id")
    source = await planned_ceremony(session, principal, ceremony_id)
    target = await planned_ceremony(session, principal, target_id, "target_ceremony_id")
    if (target["authority"], target["province_code"]) != (
            source["authority"], source["province_code"]):
        raise Conflict("other_authority", "the target ceremony is another authority's",
                       field="target_ceremony_id")
    on_source = {p["product_id"]: p for p in await products_of(session, ceremony_id)}
    missing = [str(p) for p in product_ids if p not in on_source]
    if missing:
        raise NotFound("product_not_on_ceremony", f"not on this ceremony: {', '.join(missing)}",
                       field="product_ids")
    held = (await session.execute(select(func.count()).where(
        ceremony_products.c.ceremony_id == target_id))).scalar_one()
    if held + len(product_ids) > target["capacity"]:
        raise Conflict("ceremony_full", f"the target ceremony has room for "
                       f"{max(target['capacity'] - held, 0)} more products",
                       field="target_ceremony_id")
    facts = {k: target[k] for k in ("authority", "province_code", "ceremony_date", "venue")}
    for product_id in dict.fromkeys(product_ids):
        row = on_source[product_id]
        await session.execute(update(ceremony_products).where(
            ceremony_products.c.ceremony_id == ceremony_id,
            ceremony_products.c.product_id == product_id).values(
            ceremony_id=target_id, added_at=func.now(), displayed=True))
        product = as_product(row)
        await outbox.add(session, ProductRemovedFromCeremony(
            ceremony_id=ceremony_id, province_code=source["province_code"],
            ceremony_date=source["ceremony_date"], product=product, reason="moved",
            moved_to=target_id))
        await outbox.add(session, ProductAddedToCeremony(
            ceremony_id=target_id, product=product, **facts))
    await cancel_if_empty(session, outbox, source,
                          "Các sản phẩm đã được chuyển sang lễ công bố ngày "
                          f"{target['ceremony_date']:%d/%m/%Y}")
    log.info("ceremony.products_moved", ceremony_id=str(ceremony_id), to=str(target_id),
             count=len(product_ids))


async def cancel(
    session: AsyncConnection, outbox: Outbox, principal: Principal, ceremony_id: uuid.UUID,
    *, reason: str, rules: CeremonyRules, calendar: Container[date],
) -> None:
    """Cancel a planned ceremony; its products are re-planned decision by decision on other
    ceremonies of the authority after the cancelled one's date (see `domain.ceremonies`)."""
    ceremony = await planned_ceremony(session, principal, ceremony_id)
    await serialise_planning(session, ceremony["authority"], ceremony["province_code"])
    products = await products_of(session, ceremony_id)
    await mark_cancelled(session, outbox, ceremony, products, reason)
    today = today_in_vietnam()
    cancelled_on = ceremony["ceremony_date"]
    earliest_day = max(first_ceremony_day(today, rules.lead_days, calendar),
                       first_ceremony_day(cancelled_on + timedelta(days=1), 0, calendar))
    by_decision: dict[str, list[dict]] = {}
    for row in products:
        by_decision.setdefault(row["decision_number"], []).append(row)
    for group in by_decision.values():
        for placed, row in enumerate(group):
            placing = Placement(
                product=as_product(row), authority=ceremony["authority"],
                level=ceremony["level"], province_code=ceremony["province_code"],
                decision_number=row["decision_number"], decision_date=row["decision_date"])
            await place(session, outbox, rules, placing, max(today, cancelled_on), calendar,
                        earliest_day=earliest_day, group_size=len(group) - placed)


async def set_display(
    session: AsyncConnection, principal: Principal, ceremony_id: uuid.UUID,
    product_ids: list[uuid.UUID],
) -> None:
    """Display exactly `product_ids` (products on the ceremony) at the ceremony."""
    await planned_ceremony(session, principal, ceremony_id)
    on_it = {p["product_id"] for p in await products_of(session, ceremony_id)}
    missing = [str(p) for p in product_ids if p not in on_it]
    if missing:
        raise InvalidInput("product_not_on_ceremony",
                           f"not on this ceremony: {', '.join(missing)}", field="product_ids")
    await session.execute(
        update(ceremony_products).where(ceremony_products.c.ceremony_id == ceremony_id)
        .values(displayed=ceremony_products.c.product_id.in_(product_ids)))


async def set_sessions(
    session: AsyncConnection, principal: Principal, ceremony_id: uuid.UUID,
    sessions: list[tuple[datetime, str]],
) -> None:
    """Replace the ceremony's trade-connection sessions (each on the ceremony's day)."""
    ceremony = await planned_ceremony(session, principal, ceremony_id)
    for starts_at, _topic in sessions:
        if starts_at.astimezone(VIETNAM).date() != ceremony["ceremony_date"]:
            raise InvalidInput("session_not_on_ceremony_day",
                               f"a session at {starts_at} is not on the ceremony's day "
                               f"{ceremony['ceremony_date']}", field="sessions")
    await session.execute(
        delete(ceremony_sessions).where(ceremony_sessions.c.ceremony_id == ceremony_id))
    for starts_at, topic in sessions:
        await session.execute(insert(ceremony_sessions).values(
            id=uuid.uuid4(), ceremony_id=ceremony_id, starts_at=starts_at, topic=topic))
