"""Read side of the promotion service: ceremonies and the products on them."""

from __future__ import annotations

import uuid

from ocop_shared.errors import NotFound
from ocop_shared.pagination import PageParams, paginate
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import ceremonies, ceremony_products, ceremony_sessions


def _with_product_count() -> Select:
    count = (
        select(func.count())
        .where(ceremony_products.c.ceremony_id == ceremonies.c.id)
        .scalar_subquery()
        .label("product_count")
    )
    return select(ceremonies, count)


async def list_ceremonies(
    session: AsyncConnection,
    *,
    province_code: str | None,
    status: str | None,
    page: PageParams,
) -> dict:
    """One page of ceremonies (earliest first) and how many match in all."""
    query = _with_product_count()
    if province_code:
        query = query.where(ceremonies.c.province_code == province_code)
    if status:
        query = query.where(ceremonies.c.status == status)
    return await paginate(session, query.order_by(ceremonies.c.ceremony_date, ceremonies.c.id),
                          page)


async def get_ceremony(session: AsyncConnection, ceremony_id: uuid.UUID) -> dict:
    """A ceremony with its products (in the order they joined) and its trade-connection
    sessions (in time order)."""
    row = (
        await session.execute(_with_product_count().where(ceremonies.c.id == ceremony_id))
    ).first()
    if row is None:
        raise NotFound("ceremony_not_found", f"no ceremony {ceremony_id}", field="ceremony_id")
    products = (
        await session.execute(
            select(ceremony_products)
            .where(ceremony_products.c.ceremony_id == ceremony_id)
            .order_by(ceremony_products.c.added_at, ceremony_products.c.product_id)
        )
    ).all()
    sessions = (
        await session.execute(
            select(ceremony_sessions)
            .where(ceremony_sessions.c.ceremony_id == ceremony_id)
            .order_by(ceremony_sessions.c.starts_at, ceremony_sessions.c.id)
        )
    ).all()
    return {**row._asdict(), "products": [p._asdict() for p in products],
            "sessions": [s._asdict() for s in sessions]}
