"""Registry commands: each runs in one transaction with the events it causes (outbox)."""

from __future__ import annotations

import secrets
import uuid

from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.registry import (
    ProducerRegistered,
    ProductRegistered,
    ProductSubmittedForEvaluation,
)
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import producers, products
from ..domain.products import IllegalTransition, ProductStatus, transition


async def register_producer(session: AsyncConnection, outbox: Outbox, data: dict) -> dict:
    existing = (
        await session.execute(
            select(producers.c.id, producers.c.name).where(producers.c.tax_code == data["tax_code"])
        )
    ).first()
    if existing is not None:
        raise Conflict(
            "duplicate_tax_code",
            f"tax code {data['tax_code']} is already registered to producer "
            f"{existing.name} ({existing.id})",
            field="tax_code",
        )
    row = {"id": uuid.uuid4(), **data}
    created = (await session.execute(insert(producers).values(row).returning(producers))).one()
    await outbox.add(session, ProducerRegistered(producer_id=row["id"], **{
        k: data.get(k) for k in ("name", "kind", "province_code", "commune_code", "email", "phone")
    }))
    return created._asdict()


async def get_producer(session: AsyncConnection, producer_id: uuid.UUID) -> dict:
    row = (await session.execute(select(producers).where(producers.c.id == producer_id))).first()
    if row is None:
        raise NotFound("producer_not_found", f"no producer {producer_id}", field="producer_id")
    return row._asdict()


def _new_product_code(province_code: str) -> str:
    """Stable, unguessable public code, e.g. OCOP-01-7F3A9C2D (what the QR code carries)."""
    return f"OCOP-{province_code}-{secrets.token_hex(4).upper()}"


async def register_product(session: AsyncConnection, outbox: Outbox, data: dict) -> dict:
    producer = await get_producer(session, data["producer_id"])
    row = {
        "id": uuid.uuid4(),
        "code": _new_product_code(producer["province_code"]),
        "status": ProductStatus.DRAFT.value,
        **data,
    }
    created = (await session.execute(insert(products).values(row).returning(products))).one()
    await outbox.add(session, ProductRegistered(
        product_id=row["id"], product_code=row["code"], producer_id=producer["id"],
        name=row["name"], product_set=row["product_set"], province_code=producer["province_code"],
    ))
    return created._asdict()


async def get_product(session: AsyncConnection, product_id: uuid.UUID, *, lock: bool = False) -> dict:
    query = select(products).where(products.c.id == product_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("product_not_found", f"no product {product_id}", field="product_id")
    return row._asdict()


async def submit_product(
    session: AsyncConnection, outbox: Outbox, product_id: uuid.UUID, self_score: float | None
) -> dict:
    product = await get_product(session, product_id, lock=True)
    producer = await get_producer(session, product["producer_id"])
    try:
        status = transition(ProductStatus(product["status"]), ProductStatus.SUBMITTED)
    except IllegalTransition as exc:
        raise Conflict("illegal_transition", str(exc), field="status") from exc
    updated = (
        await session.execute(
            update(products)
            .where(products.c.id == product_id)
            .values(status=status.value, self_score=self_score, updated_at=func.now())
            .returning(products)
        )
    ).one()
    await outbox.add(session, ProductSubmittedForEvaluation(
        product_id=product["id"], product_code=product["code"], producer_id=producer["id"],
        product_name=product["name"], province_code=producer["province_code"],
        commune_code=producer["commune_code"], product_set=product["product_set"],
        self_score=self_score, submitted_on=today_in_vietnam(),
    ))
    return updated._asdict()
