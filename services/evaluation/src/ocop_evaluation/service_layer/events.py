"""How the evaluation service reacts to the registry's events: a submitted product becomes a
pending evaluation, announced with EvaluationOpened.

Each handler runs inside the consumer's transaction (inbox row + effects commit together)."""

from __future__ import annotations

import uuid

from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import EvaluationOpened
from ocop_shared.contracts.registry import ProductSubmittedForEvaluation
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import evaluations
from ..domain.evaluations import PROVINCE_LEVEL, EvaluationStatus
from ..domain.stars import DEFAULT_RULEBOOK


def build_handlers(outbox: Outbox) -> dict[type[Event], Handler]:
    """The service's event handlers, bound to its outbox."""

    async def on_product_submitted(
        session: AsyncConnection, event: ProductSubmittedForEvaluation, envelope: Envelope
    ) -> None:
        """Open a pending evaluation for the submission and announce it (EvaluationOpened).
        The consumer's inbox already drops a redelivered event; the unique submission event
        id makes a second insert a no-op anyway, and then nothing is announced."""
        opened = (
            await session.execute(
                insert(evaluations)
                .values(
                    id=uuid.uuid4(),
                    submission_event_id=envelope.id,
                    product_id=event.product_id,
                    producer_id=event.producer_id,
                    product_name=event.product_name,
                    product_code=event.product_code,
                    province_code=event.province_code,
                    commune_code=event.commune_code,
                    product_set=event.product_set,
                    self_score=event.self_score,
                    submitted_on=event.submitted_on,
                    status=EvaluationStatus.PENDING.value,
                    rulebook=DEFAULT_RULEBOOK,
                    level=PROVINCE_LEVEL,
                )
                .on_conflict_do_nothing(index_elements=[evaluations.c.submission_event_id])
                .returning(evaluations.c.id)
            )
        ).first()
        if opened is None:
            return
        await outbox.add(session, EvaluationOpened(
            evaluation_id=opened.id, product_id=event.product_id, producer_id=event.producer_id,
            province_code=event.province_code, level=PROVINCE_LEVEL, rulebook=DEFAULT_RULEBOOK,
            submission_event_id=envelope.id,
        ))

    return {ProductSubmittedForEvaluation: on_product_submitted}
