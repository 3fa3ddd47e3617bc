"""OCOP outlets (điểm giới thiệu và bán sản phẩm OCOP): commands, queries and the reaction to a
lost certificate (every outlet delists the product, once)."""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from ocop_shared.contracts.promotion import ProductDelisted, ProductListed
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.outbox import Outbox
from ocop_shared.pagination import PageParams, paginate
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.certificate_tables import certified_products
from ..adapters.outlet_tables import outlet_listings, outlets
from ..domain.outlets import REMOVED, ListingStatus, check_address
from .certificates import CertificateLost, CertificateLostReaction, valid_certificate

log = structlog.get_logger("ocop.promotion.outlets")
LISTED = ListingStatus.LISTED.value


async def open_outlet(session: AsyncConnection, fields: dict) -> dict:
    """A new outlet; its address must be a real commune/ward of its province."""
    check_address(fields["province_code"], fields["commune_code"])
    row = {"id": uuid.uuid4(), **fields}
    await session.execute(insert(outlets).values(row))
    log.info("outlet.opened", outlet_id=str(row["id"]), province=row["province_code"])
    return await get_outlet(session, row["id"])


async def get_outlet(session: AsyncConnection, outlet_id: uuid.UUID) -> dict:
    row = (await session.execute(select(outlets).where(outlets.c.id == outlet_id))).first()
    if row is None:
        raise NotFound("outlet_not_found", f"no outlet {outlet_id}", field="outlet_id")
    return row._asdict()


async def outlet_with_listings(session: AsyncConnection, outlet_id: uuid.UUID) -> dict:
    outlet = await get_outlet(session, outlet_id)
    rows = (await session.execute(
        select(outlet_listings)
        .where(outlet_listings.c.outlet_id == outlet_id, outlet_listings.c.status == LISTED)
        .order_by(outlet_listings.c.product_name, outlet_listings.c.product_id))).all()
    return {**outlet, "listings": [r._asdict() for r in rows]}


async def list_outlets(session: AsyncConnection, *, province_code: str | None,
                       kind: str | None, page: PageParams) -> dict:
    query = select(outlets)
    if province_code:
        query = query.where(outlets.c.province_code == province_code)
    if kind:
        query = query.where(outlets.c.kind == kind)
    return await paginate(session, query.order_by(outlets.c.name, outlets.c.id), page)


async def list_product(session: AsyncConnection, outbox: Outbox, outlet: dict,
                       product_id: uuid.UUID, today: date) -> dict:
    """The outlet lists a certified product -> ProductListed. The product's projection row is
    share-locked, so a revocation or expiry arriving meanwhile waits and then delists it."""
    await session.execute(select(certified_products.c.product_id)
                          .where(certified_products.c.product_id == product_id)
                          .with_for_update(read=True))
    cert = await valid_certificate(session, product_id, today)
    row = {"outlet_id": outlet["id"], "product_id": product_id,
           "producer_id": cert["producer_id"],
           "product_name": cert["product_name"] or cert["product_code"],
           "stars": cert["stars"], "status": LISTED}
    statement = upsert(outlet_listings).values(row)
    listed = (await session.execute(
        statement.on_conflict_do_update(
            index_elements=[outlet_listings.c.outlet_id, outlet_listings.c.product_id],
            set_={**row, "delist_reason": None, "delisted_at": None, "listed_at": func.now()},
            where=outlet_listings.c.status != LISTED)
        .returning(*outlet_listings.c))).first()
    if listed is None:
        raise Conflict("already_listed", f"{row['product_name']} is already listed at "
                       f"{outlet['name']}", field="product_id")
    await outbox.add(session, ProductListed(
        outlet_id=outlet["id"], outlet_name=outlet["name"], product_id=product_id,
        producer_id=row["producer_id"], product_name=row["product_name"], stars=row["stars"]))
    return listed._asdict()


async def _delist(session: AsyncConnection, outbox: Outbox, where: list, reason: str) -> int:
    """Delist the listed rows `where` selects, one ProductDelisted each; how many."""
    rows = (await session.execute(
        update(outlet_listings)
        .where(*where, outlet_listings.c.status == LISTED)
        .values(status=ListingStatus.DELISTED.value, delist_reason=reason,
                delisted_at=func.now())
        .returning(outlet_listings.c.outlet_id, outlet_listings.c.product_id,
                   outlet_listings.c.producer_id))).all()
    names = dict((await session.execute(
        select(outlets.c.id, outlets.c.name)
        .where(outlets.c.id.in_({r.outlet_id for r in rows})))).all()) if rows else {}
    for r in rows:
        await outbox.add(session, ProductDelisted(
            outlet_id=r.outlet_id, outlet_name=names[r.outlet_id], product_id=r.product_id,
            producer_id=r.producer_id, reason=reason))
    return len(rows)


async def remove_product(session: AsyncConnection, outbox: Outbox, outlet: dict,
                         product_id: uuid.UUID) -> None:
    """The outlet takes a product off its shelves -> ProductDelisted(reason="removed")."""
    done = await _delist(session, outbox, [outlet_listings.c.outlet_id == outlet["id"],
                                           outlet_listings.c.product_id == product_id], REMOVED)
    if not done:
        raise NotFound("not_listed", f"product {product_id} is not listed at {outlet['name']}",
                       field="product_id")


async def outlets_selling(session: AsyncConnection, product_id: uuid.UUID,
                          page: PageParams) -> dict:
    """Where to buy a product: the outlets listing it now, with their addresses."""
    query = (select(outlets, outlet_listings.c.listed_at)
             .join(outlet_listings, outlet_listings.c.outlet_id == outlets.c.id)
             .where(outlet_listings.c.product_id == product_id,
                    outlet_listings.c.status == LISTED)
             .order_by(outlets.c.province_code, outlets.c.name, outlets.c.id))
    return await paginate(session, query, page)


def on_certificate_lost(outbox: Outbox) -> CertificateLostReaction:
    """What a revoked or expired certificate changes here: every outlet listing the product
    delists it, one ProductDelisted per outlet with the reason (a second run finds nothing
    left to delist)."""

    async def react(session: AsyncConnection, lost: CertificateLost) -> None:
        count = await _delist(session, outbox, [outlet_listings.c.product_id == lost.product_id],
                              lost.reason)
        if count:
            log.info("outlet.delisted_on_certificate_lost", product_id=str(lost.product_id),
                     outlets=count, reason=lost.reason)

    return react
