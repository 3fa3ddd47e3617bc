"""How the evaluation service reacts to the registry's events: a submitted product is opened
for evaluation at its rulebook's entry level (EvaluationOpened), and an inspection that
recommends re-evaluation opens one for each product it covered.

Each handler runs inside the consumer's transaction (inbox row + effects commit together)."""

from __future__ import annotations

import uuid

import structlog
from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.registry import InspectionRecorded, ProductSubmittedForEvaluation
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.rulebooks import RulebookCatalog
from . import audit
from .decisions import re_evaluate
from .rounds import open_evaluation

RECOMMENDS_REEVALUATION = "recommend_reevaluation"

log = structlog.get_logger("ocop.evaluation.events")


def build_handlers(outbox: Outbox, catalog: RulebookCatalog) -> dict[type[Event], Handler]:
    """The service's event handlers, bound to its outbox and rulebooks."""

    async def on_product_submitted(
        session: AsyncConnection, event: ProductSubmittedForEvaluation, envelope: Envelope
    ) -> None:
        """Open an evaluation keyed by the submission's event id (a redelivery finds it)."""
        rulebook = catalog.for_province(event.province_code).rulebook
        await open_evaluation(
            session, outbox, audit.SYSTEM, key=envelope.id, product=event.model_dump(),
            rulebook=rulebook.id, level=rulebook.entry_level, reason=event.reason,
            previous_stars=event.current_stars)

    async def on_inspection_recorded(
        session: AsyncConnection, event: InspectionRecorded, envelope: Envelope
    ) -> None:
        if event.outcome != RECOMMENDS_REEVALUATION:
            return
        for product_id in event.product_ids:
            try:
                await re_evaluate(
                    session, outbox, catalog, audit.SYSTEM, product_id=product_id,
                    reason="inspection", key=uuid.uuid5(envelope.id, str(product_id)),
                    on=event.inspected_on)
            except (NotFound, Conflict) as exc:  # never evaluated here, or already under way
                log.info("re-evaluation not opened", product_id=str(product_id),
                         reason=exc.message)

    return {ProductSubmittedForEvaluation: on_product_submitted,
            InspectionRecorded: on_inspection_recorded}
