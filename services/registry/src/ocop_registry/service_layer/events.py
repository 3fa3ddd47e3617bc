"""How the registry reacts to evaluation's events: the product's status follows them, and a
recognition issues a certificate (the certificate register).

Each handler runs inside the consumer's transaction (inbox row + effects commit together)."""

from __future__ import annotations

from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    EvaluationOpened,
    ProductRecognized,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
)
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import certificates, products
from ..domain.certificates import CertificateRules, CertificateStatus
from ..domain.products import (
    ProductStatus,
    status_after_evaluation,
    status_after_opening,
    transition,
)
from . import commands


async def _status(session: AsyncConnection, product_id: object) -> ProductStatus:
    row = (
        await session.execute(
            select(products.c.status).where(products.c.id == product_id).with_for_update()
        )
    ).first()
    if row is None:
        raise LookupError(f"product {product_id} is not in the registry")
    return ProductStatus(row.status)


async def on_evaluation_opened(
    session: AsyncConnection, event: EvaluationOpened, _env: Envelope
) -> None:
    status = status_after_opening(await _status(session, event.product_id))
    await session.execute(
        update(products).where(products.c.id == event.product_id).values(status=status.value)
    )


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


def build_handlers(rules: CertificateRules, outbox: Outbox) -> dict[type[Event], Handler]:
    """The service's event handlers, bound to the register's rules and outbox."""

    async def on_recognized_issue_certificate(
        session: AsyncConnection, event: ProductRecognized, env: Envelope
    ) -> None:
        await on_product_recognized(session, event, env)
        await commands.issue_certificate(session, outbox, rules, event)

    async def on_recognition_withdrawn(
        session: AsyncConnection, event: RecognitionWithdrawn, _env: Envelope
    ) -> None:
        """A re-evaluation took the recognition away: the active certificate is revoked by
        the authority's decision (nothing to do when none is active, e.g. after expiry)."""
        active = (await session.execute(
            select(certificates.c.id).where(
                certificates.c.product_id == event.product_id,
                certificates.c.status == CertificateStatus.ACTIVE.value))).first()
        if active is None:
            return
        await commands.revoke_certificate(session, outbox, active.id, {
            "decision_number": event.decision_number, "decision_date": event.decision_date,
            "reason": f"re-evaluation ({event.reason}) found {event.score:g} points, "
                      f"{event.stars} stars",
        })

    return {
        EvaluationOpened: on_evaluation_opened,
        EvaluationCompleted: on_evaluation_completed,
        ProductRecognized: on_recognized_issue_certificate,
        ProductReferredToMinistry: on_referred_to_ministry,
        RecognitionWithdrawn: on_recognition_withdrawn,
    }
