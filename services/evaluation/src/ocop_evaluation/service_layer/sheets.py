"""Members' score sheets and the council's result.

A member of the round's council submits one sheet per evaluation (and may correct it until the
result is computed). The result is computed when every eligible member has scored, or earlier
when the chair or secretary asks for it and a quorum has scored. Totals too far apart publish
RescoreRequired and only the named members submit again (a new attempt); the others' sheets
stand. A result that stands publishes EvaluationCompleted."""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.auth import Principal
from ocop_shared.contracts.evaluation import RescoreMember, RescoreRequired
from ocop_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import council_members, evaluations, score_sheets
from ..domain.councils import CouncilMember, eligible_scorers, why_cannot_score
from ..domain.evaluations import SCORING, EvaluationStatus
from ..domain.outcomes import level_outcome
from ..domain.rulebooks import RulebookCatalog, Sheet
from ..domain.scoring import (
    CouncilScore,
    QuorumNotMet,
    RescoreNeeded,
    SheetRefused,
    SheetScore,
    council_score,
    score_sheet,
)
from . import audit, published
from .councils import member_for, members_of
from .rounds import get_round


async def get_evaluation(
    session: AsyncConnection, evaluation_id: uuid.UUID, *, lock: bool = False
) -> dict:
    query = select(evaluations).where(evaluations.c.id == evaluation_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("evaluation_not_found", f"no evaluation {evaluation_id}",
                       field="evaluation_id")
    return row._asdict()


def sheet_of(catalog: RulebookCatalog, evaluation: dict) -> Sheet:
    try:
        return catalog.get(evaluation["rulebook"]).sheet_for(evaluation["product_set"])
    except KeyError as exc:
        raise Conflict("no_scoring_sheet", str(exc).strip("'\""), field="product_set") from exc


async def _scoring_context(
    session: AsyncConnection, evaluation_id: uuid.UUID
) -> tuple[dict, dict]:
    """The evaluation (locked) and its round, when it is being scored."""
    evaluation = await get_evaluation(session, evaluation_id, lock=True)
    if evaluation["status"] not in SCORING:
        raise Conflict("not_being_scored",
                       f"evaluation {evaluation_id} is {evaluation['status']}: sheets are taken "
                       f"only while it is in an open round", field="status")
    return evaluation, await get_round(session, evaluation["round_id"])


async def submit_sheet(
    session: AsyncConnection, outbox: Outbox, catalog: RulebookCatalog, principal: Principal,
    evaluation_id: uuid.UUID, choices: dict[int, int], today: date,
) -> dict:
    """Store the caller's sheet for the evaluation; compute the result when every eligible
    member has scored. Returns the sheet, with the evaluation's status after it."""
    evaluation, round_ = await _scoring_context(session, evaluation_id)
    member_row = await member_for(session, round_["council_id"], principal)
    if member_row is None:
        raise Forbidden("not_a_council_member",
                        "only a member of the round's council can submit a sheet in its rounds",
                        field="evaluation_id")
    members = await members_of(session, round_["council_id"])
    member = next(m for m in members if m.id == str(member_row["id"]))
    if (reason := why_cannot_score(member, str(evaluation["producer_id"]), today)) is not None:
        raise Forbidden("cannot_score", f"{member_row['name']} cannot score this product: "
                                        f"{reason}", field="evaluation_id")
    if (evaluation["status"] == EvaluationStatus.RESCORE_REQUIRED.value
            and member.id not in (evaluation["rescore_members"] or [])):
        raise Conflict("sheet_stands", "your sheet stands: only the members named in "
                                       "RescoreRequired score again", field="evaluation_id")
    sheet = sheet_of(catalog, evaluation)
    try:
        scored = score_sheet(sheet, choices)
    except SheetRefused as exc:
        raise InvalidInput("sheet_refused", str(exc), field=next(iter(exc.problems))) from exc
    row = {"id": uuid.uuid4(), "evaluation_id": evaluation_id, "member_id": member_row["id"],
           "attempt": evaluation["attempt"], "sheet_id": sheet.sheet_id,
           "choices": {str(k): v for k, v in sorted(choices.items())}, "total": scored.total,
           "part_scores": scored.parts, "knock_outs": list(scored.knock_outs),
           "submitted_by": principal.subject}
    stored = (await session.execute(
        insert(score_sheets).values(row)
        .on_conflict_do_update(
            constraint="uq_score_sheets_member",
            set_={k: row[k] for k in ("choices", "total", "part_scores", "knock_outs",
                                      "submitted_by")} | {"submitted_at": func.now()})
        .returning(score_sheets))).one()._asdict()
    await audit.record(session, principal, "sheet.submitted", "evaluation", evaluation_id,
                       rulebook=evaluation["rulebook"], member_id=member.id,
                       attempt=evaluation["attempt"], total=scored.total)
    eligible = eligible_scorers(members, str(evaluation["producer_id"]), today)
    attempts = await _latest_attempts(session, evaluation_id)
    status = evaluation["status"]
    if not ({m.id for m in eligible} - set(attempts)) and not _rescores_due(
            evaluation, eligible, attempts):
        result = await _tally(session, outbox, catalog, principal, evaluation, round_,
                              eligible)
        if not isinstance(result, QuorumNotMet):  # e.g. the chair cannot score this product
            status = result["status"]
    return stored | {"evaluation_status": status}


def _rescores_due(evaluation: dict, eligible: list[CouncilMember],
                  attempts: dict[str, int]) -> list[str]:
    """Members named by RescoreRequired (and still eligible) who have not scored again."""
    eligible_ids = {m.id for m in eligible}
    return [m for m in evaluation["rescore_members"] or []
            if m in eligible_ids and attempts.get(m, 0) < evaluation["attempt"]]


async def _latest_attempts(session: AsyncConnection, evaluation_id: uuid.UUID) -> dict[str, int]:
    """member id -> the attempt of their latest sheet."""
    rows = (await session.execute(
        select(score_sheets.c.member_id, func.max(score_sheets.c.attempt))
        .where(score_sheets.c.evaluation_id == evaluation_id)
        .group_by(score_sheets.c.member_id))).all()
    return {str(member): attempt for member, attempt in rows}


async def _latest_sheets(
    session: AsyncConnection, evaluation_id: uuid.UUID, sheet: Sheet
) -> dict[str, SheetScore]:
    """member id -> their latest sheet, scored again from its choices."""
    rows = (await session.execute(
        select(score_sheets.c.member_id, score_sheets.c.choices)
        .where(score_sheets.c.evaluation_id == evaluation_id)
        .order_by(score_sheets.c.attempt))).all()
    return {str(r.member_id): score_sheet(sheet, {int(k): v for k, v in r.choices.items()})
            for r in rows}


async def tally(
    session: AsyncConnection, outbox: Outbox, catalog: RulebookCatalog, principal: Principal,
    evaluation_id: uuid.UUID, today: date,
) -> dict:
    """The chair or secretary asks for the result with the sheets in hand (a quorum)."""
    evaluation, round_ = await _scoring_context(session, evaluation_id)
    members = await members_of(session, round_["council_id"])
    eligible = eligible_scorers(members, str(evaluation["producer_id"]), today)
    if pending := _rescores_due(evaluation, eligible,
                                await _latest_attempts(session, evaluation_id)):
        raise Conflict("rescore_pending", f"{len(pending)} members named in RescoreRequired "
                                          f"have not scored again", field="rescore_members")
    result = await _tally(session, outbox, catalog, principal, evaluation, round_, eligible)
    if isinstance(result, QuorumNotMet):
        raise Conflict("no_quorum", result.reason(), field="sheets")
    return result


async def _tally(
    session: AsyncConnection, outbox: Outbox, catalog: RulebookCatalog, actor: Principal,
    evaluation: dict, round_: dict, eligible: list[CouncilMember],
) -> dict | QuorumNotMet:
    """The council's result from the latest sheets: stored with EvaluationCompleted, or
    RescoreRequired; QuorumNotMet (nothing written) when the sheets in hand are not enough."""
    rulebook = catalog.get(evaluation["rulebook"]).rulebook
    sheet = sheet_of(catalog, evaluation)
    latest = await _latest_sheets(session, evaluation["id"], sheet)
    counted = {m.id: latest[m.id] for m in eligible if m.id in latest}
    outcome = council_score(rulebook.council, eligible, counted)
    if isinstance(outcome, QuorumNotMet):
        return outcome
    if not isinstance(outcome, CouncilScore):
        return await _require_rescore(session, outbox, actor, evaluation, round_, outcome)
    result = level_outcome(rulebook, evaluation["level"], outcome.score, sheet=sheet,
                           points=outcome.points, knocked_out=outcome.knocked_out)
    stored = (await session.execute(
        update(evaluations).where(evaluations.c.id == evaluation["id"]).values(
            status=EvaluationStatus.SCORED.value, score=outcome.score,
            part_scores=outcome.parts, stars_by_points=result.stars_by_points,
            stars=result.stars, capped_by={str(k): list(v) for k, v in result.capped_by.items()},
            knocked_out=list(result.knocked_out), recognised_stars=result.recognised_stars,
            forwarded_to=result.forwarded_to, recognised=result.certified,
            referred_to_ministry=result.forwarded_to == "central",
            potential_five_stars=result.potential_five_stars, rescore_members=None,
            completed_at=func.now(), sheet_id=sheet.sheet_id,
        ).returning(evaluations))).one()._asdict()
    await audit.record(session, actor, "result.computed", "evaluation", evaluation["id"],
                       rulebook=rulebook.id, score=outcome.score, stars=result.stars,
                       totals=outcome.totals, recognised_stars=result.recognised_stars,
                       forwarded_to=result.forwarded_to, knocked_out=result.knocked_out,
                       capped_by=result.capped_by)
    await outbox.add(session, published.evaluation_completed(stored, round_["council_id"]))
    return stored


async def _require_rescore(
    session: AsyncConnection, outbox: Outbox, actor: Principal, evaluation: dict, round_: dict,
    rescore: RescoreNeeded,
) -> dict:
    """No result stands: the named members must score again (attempt + 1)."""
    names = {str(r.id): (r.name, r.role) for r in (await session.execute(
        select(council_members.c.id, council_members.c.name, council_members.c.role)
        .where(council_members.c.council_id == round_["council_id"]))).all()}
    stored = (await session.execute(
        update(evaluations).where(evaluations.c.id == evaluation["id"]).values(
            status=EvaluationStatus.RESCORE_REQUIRED.value, attempt=evaluation["attempt"] + 1,
            rescore_members=list(rescore.members),
        ).returning(evaluations))).one()._asdict()
    await audit.record(session, actor, "rescore.required", "evaluation", evaluation["id"],
                       rulebook=evaluation["rulebook"], members=rescore.members,
                       totals=rescore.totals, spread=rescore.spread)
    await outbox.add(session, RescoreRequired(
        evaluation_id=evaluation["id"], product_id=evaluation["product_id"],
        producer_id=evaluation["producer_id"], product_name=evaluation["product_name"],
        province_code=evaluation["province_code"], council_id=str(round_["council_id"]),
        round_id=str(round_["id"]), rulebook=evaluation["rulebook"],
        attempt=evaluation["attempt"], spread=rescore.spread, max_spread=rescore.max_spread,
        members=[RescoreMember(member_id=m, name=names[m][0], role=names[m][1],
                               total=rescore.totals[m]) for m in rescore.members],
    ))
    return stored
