"""Supply-demand connection (kết nối cung - cầu): buyers and what they look for, the certified
products matching them, invitations to trade-connection sessions, the gift catalogue."""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from ocop_shared.contracts.promotion import BuyerInvited
from ocop_shared.errors import InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from ocop_shared.pagination import PageParams, paginate
from sqlalchemy import ColumnElement, and_, insert, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.certificate_tables import certified_products
from ..adapters.connection_tables import buyer_invitations, buyers
from ..adapters.tables import ceremony_products
from ..domain.connections import (
    GIFT_MIN_STARS,
    GIFT_SETS,
    EventKind,
    Interests,
    OfferedProduct,
    matching,
)
from .certificates import ACTIVE

log = structlog.get_logger("ocop.promotion.connections")
cp = certified_products.c
INTEREST_FIELDS = ("groups", "product_sets", "min_stars", "provinces")


def interests_of(buyer: dict) -> Interests:
    return Interests(groups=frozenset(buyer["groups"]),
                     product_sets=frozenset(buyer["product_sets"]),
                     min_stars=buyer["min_stars"], provinces=frozenset(buyer["provinces"]))


def match_filter(interests: Interests) -> ColumnElement[bool]:
    """`domain.connections.matches` as SQL on `certified_products`."""
    category = true() if not interests.groups and not interests.product_sets else or_(
        cp.product_group.in_(sorted(interests.groups)),
        cp.product_set.in_(sorted(interests.product_sets)))
    stars = true() if interests.min_stars is None else cp.stars >= interests.min_stars
    place = true() if not interests.provinces else cp.province_code.in_(
        sorted(interests.provinces))
    return and_(category, stars, place)


def _on_offer(today: date) -> ColumnElement[bool]:
    return and_(cp.status == ACTIVE, cp.valid_until >= today)


async def register_buyer(session: AsyncConnection, fields: dict) -> dict:
    row = {"id": uuid.uuid4(), **fields}
    await session.execute(insert(buyers).values(row))
    log.info("buyer.registered", buyer_id=str(row["id"]), kind=row["kind"])
    return await get_buyer(session, row["id"])


async def get_buyer(session: AsyncConnection, buyer_id: uuid.UUID) -> dict:
    row = (await session.execute(select(buyers).where(buyers.c.id == buyer_id))).first()
    if row is None:
        raise NotFound("buyer_not_found", f"no buyer {buyer_id}", field="buyer_id")
    return row._asdict()


async def set_interests(session: AsyncConnection, buyer_id: uuid.UUID, fields: dict) -> dict:
    """Replace what the buyer looks for."""
    await get_buyer(session, buyer_id)
    await session.execute(update(buyers).where(buyers.c.id == buyer_id)
                          .values({k: fields[k] for k in INTEREST_FIELDS}))
    return await get_buyer(session, buyer_id)


async def list_buyers(session: AsyncConnection, *, province_code: str | None,
                      page: PageParams) -> dict:
    query = select(buyers)
    if province_code:
        query = query.where(buyers.c.province_code == province_code)
    return await paginate(session, query.order_by(buyers.c.name, buyers.c.id), page)


async def matches_of(session: AsyncConnection, buyer: dict, today: date,
                     page: PageParams) -> dict:
    """The certified products (active, valid today) the buyer looks for, best first."""
    query = (select(certified_products)
             .where(_on_offer(today), match_filter(interests_of(buyer)))
             .order_by(cp.stars.desc(), cp.product_name, cp.product_id))
    return await paginate(session, query, page)


async def gift_catalogue(session: AsyncConnection, province_code: str, today: date,
                         page: PageParams) -> dict:
    """The province's certified products fit for gifts (`domain.connections.GIFT_SETS`, 3+
    stars, active certificate), most stars first, then by name."""
    query = (select(certified_products)
             .where(_on_offer(today), cp.province_code == province_code,
                    cp.product_set.in_(sorted(GIFT_SETS)), cp.stars >= GIFT_MIN_STARS)
             .order_by(cp.stars.desc(), cp.product_name, cp.product_id))
    return await paginate(session, query, page)


async def _products_on_show(session: AsyncConnection, kind: EventKind, event_id: uuid.UUID,
                            product_ids: list[uuid.UUID] | None, today: date) -> list:
    if product_ids is None:
        if kind is not EventKind.CEREMONY:
            raise InvalidInput("product_ids_required", "a trade fair's session needs the ids "
                               "of the products on show", field="product_ids")
        product_ids = list((await session.execute(
            select(ceremony_products.c.product_id)
            .where(ceremony_products.c.ceremony_id == event_id))).scalars())
        if not product_ids:
            raise NotFound("ceremony_has_no_products", f"ceremony {event_id} has no products",
                           field="event_id")
    rows = (await session.execute(select(certified_products).where(
        cp.product_id.in_(product_ids), _on_offer(today)))).all()
    order = {pid: i for i, pid in enumerate(product_ids)}
    return sorted(rows, key=lambda r: order[r.product_id])


async def invite_buyers(session: AsyncConnection, outbox: Outbox, *, event_kind: EventKind,
                        event_id: uuid.UUID, session_date: date, province_code: str | None,
                        product_ids: list[uuid.UUID] | None, today: date) -> dict:
    """Invite every buyer (of `province_code` if given) who looks for at least one of the
    certified products on show -> BuyerInvited each with the matched ids; once per
    (buyer, event): inviting again only reports who was invited before."""
    offered = [OfferedProduct(r.product_id, r.product_group, r.product_set, r.stars,
                              r.province_code)
               for r in await _products_on_show(session, event_kind, event_id, product_ids,
                                                today)]
    query = select(buyers).order_by(buyers.c.name, buyers.c.id)
    if province_code:
        query = query.where(buyers.c.province_code == province_code)
    invited, already = [], []
    for buyer in (await session.execute(query)).all():
        wanted = matching(interests_of(buyer._asdict()), offered)
        if not wanted:
            continue
        new = (await session.execute(
            upsert(buyer_invitations).values(
                buyer_id=buyer.id, event_kind=event_kind.value, event_id=event_id,
                session_date=session_date, product_ids=wanted)
            .on_conflict_do_nothing().returning(buyer_invitations.c.buyer_id))).first()
        if new is None:
            already.append(buyer.id)
            continue
        await outbox.add(session, BuyerInvited(
            buyer_id=buyer.id, buyer_name=buyer.name, event_kind=event_kind.value,
            event_id=event_id, session_date=session_date, product_ids=wanted))
        invited.append({"buyer_id": buyer.id, "buyer_name": buyer.name, "product_ids": wanted})
    log.info("buyers.invited", event_kind=event_kind.value, event_id=str(event_id),
             invited=len(invited), already_invited=len(already))
    return {"invited": invited, "already_invited": already}
