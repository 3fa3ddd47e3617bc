"""Evaluation commands: each runs in one transaction with the events it causes (outbox).

This is the foundation's thin flow: one final score, entered by hand, completes an evaluation
and the province's decision follows at once. The full workflow (councils and their quorum,
rounds, members' score sheets on the rulebook's sheets, re-scoring when members differ by more
than 10 points, the recognition proposal and UBND tỉnh's decision with its own register of
numbers) comes in a later issue and replaces `record_final_score`'s shortcuts.
"""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    ProductRecognized,
    ProductReferredToMinistry,
)
from ocop_shared.errors import Conflict, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import decision_numbers, evaluations
from ..domain.evaluations import (
    EvaluationStatus,
    dossier_reference,
    provincial_authority,
    provincial_decision_number,
)
from ..domain.stars import InvalidScore, check_score, provincial_outcome


async def get_evaluation(
    session: AsyncConnection, evaluation_id: uuid.UUID, *, lock: bool = False
) -> dict:
    query = select(evaluations).where(evaluations.c.id == evaluation_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("evaluation_not_found", f"no evaluation {evaluation_id}",
                       field="evaluation_id")
    return row._asdict()


async def record_final_score(
    session: AsyncConnection,
    outbox: Outbox,
    evaluation_id: uuid.UUID,
    score: float,
    decided_by: str,
) -> dict:
    """Complete a pending evaluation with the council's final score and publish what follows:

    - always EvaluationCompleted (province level, stars capped at 4);
    - 3 or 4 stars: ProductRecognized by UBND tỉnh, with a decision number and today's date
      (4 stars and `potential_five_stars` when the score is 90 or more);
    - 90 points or more: ProductReferredToMinistry under the same decision.

    Refuses an unknown evaluation (NotFound), one already completed (Conflict) and a score
    outside 0-100 (InvalidInput). The score is kept to two decimals, as stored.
    """
    try:
        score = round(check_score(score), 2)
    except InvalidScore as exc:
        raise InvalidInput("invalid_score", str(exc), field="score") from exc
    evaluation = await get_evaluation(session, evaluation_id, lock=True)
    if evaluation["status"] == EvaluationStatus.COMPLETED.value:
        raise Conflict(
            "evaluation_already_completed",
            f"evaluation {evaluation_id} was completed with {evaluation['score']} points "
            f"({evaluation['stars']} stars); a new score needs a new submission",
            field="status",
        )
    outcome = provincial_outcome(score)
    decision_number: str | None = None
    decision_date: date | None = None
    if outcome.recognised:
        number = (await session.execute(select(decision_numbers.next_value()))).scalar_one()
        decision_number, decision_date = provincial_decision_number(number), today_in_vietnam()

    completed = (
        await session.execute(
            update(evaluations)
            .where(evaluations.c.id == evaluation_id)
            .values(
                status=EvaluationStatus.COMPLETED.value,
                score=score,
                stars=outcome.stars,
                recognised=outcome.recognised,
                referred_to_ministry=outcome.referred_to_ministry,
                potential_five_stars=outcome.potential_five_stars,
                decided_by=decided_by,
                completed_at=func.now(),
                decision_number=decision_number,
                decision_date=decision_date,
            )
            .returning(evaluations)
        )
    ).one()._asdict()

    product = {
        "product_id": completed["product_id"],
        "producer_id": completed["producer_id"],
        "product_name": completed["product_name"],
        "province_code": completed["province_code"],
        "rulebook": completed["rulebook"],
    }
    await outbox.add(session, EvaluationCompleted(
        evaluation_id=completed["id"], level=completed["level"], score=score, part_scores={},
        stars=outcome.stars, potential_five_stars=outcome.potential_five_stars, council_id=None,
        **product,
    ))
    if decision_number is not None and decision_date is not None:
        await outbox.add(session, ProductRecognized(
            stars=outcome.stars, level=completed["level"],
            authority=provincial_authority(completed["province_code"]),
            decision_number=decision_number, decision_date=decision_date, score=score,
            potential_five_stars=outcome.potential_five_stars, **product,
        ))
        if outcome.referred_to_ministry:
            await outbox.add(session, ProductReferredToMinistry(
                score=score, decision_number=decision_number, decision_date=decision_date,
                dossier_reference=dossier_reference(completed["product_id"]), **product,
            ))
    return completed
