"""How the registry reacts to evaluation's events: the product's status follows them.

Each handler runs inside the consumer's transaction (inbox row + effects commit together)."""

from __future__ import annotations

from ocop_shared.contracts import Envelope
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    ProductRecognized,
    ProductReferredToMinistry,
)
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import products
from ..domain.products import ProductStatus, status_after_evaluation, transition


async def _status(session: AsyncConnection, product_id: object) -> ProductStatus:
    row = (
        await session.execute(
            select(products.c.status).where(products.c.id == product_id).with_for_update()
        )
    ).first()
    if row is None:
        raise LookupError(f"product {product_id} is not in the registry")
    return ProductStatus(row.status)


async def on_evaluation_completed(
    session: AsyncConnection, event: EvaluationCompleted, _env: Envelope
) -> None:
    status = status_after_evaluation(await _status(session, event.product_id), event.stars)
    await session.execute(
        update(products)
        .where(products.c.id == event.product_id)
        .values(status=status.value, score=event.score)
    )


async def on_product_recognized(
    session: AsyncConnection, event: ProductRecognized, _env: Envelope
) -> None:
    status = transition(await _status(session, event.product_id), ProductStatus.CERTIFIED)
    await session.execute(
        update(products)
        .where(products.c.id == event.product_id)
        .values(
            status=status.value, stars=event.stars, level=event.level, score=event.score,
            decision_number=event.decision_number, decision_date=event.decision_date,
        )
    )


async def on_referred_to_ministry(
    session: AsyncConnection, event: ProductReferredToMinistry, _env: Envelope
) -> None:
    await _status(session, event.product_id)
    await session.execute(
        update(products)
        .where(products.c.id == event.product_id)
        .values(referred_to_ministry=True)
    )


HANDLERS = {
    EvaluationCompleted: on_evaluation_completed,
    ProductRecognized: on_product_recognized,
    ProductReferredToMinistry: on_referred_to_ministry,
}
