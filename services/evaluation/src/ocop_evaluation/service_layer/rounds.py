"""Evaluations enter rounds: opening an evaluation routes it to the open round of the council
that covers it (by rulebook, level and jurisdiction); opening a round takes in the evaluations
that were waiting for it; closing a round records the council's proposals."""

from __future__ import annotations

import uuid
from typing import Any

from ocop_shared.auth import Principal
from ocop_shared.contracts.evaluation import EvaluationOpened
from ocop_shared.errors import Conflict, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import councils, evaluations, rounds
from ..domain.councils import covers
from ..domain.evaluations import EvaluationStatus, RoundStatus, needs_decision
from ..domain.rulebooks import RulebookCatalog
from . import audit, published


ROUTING_LOCK = "ocop.evaluation.routing"
"""One transaction at a time routes evaluations into rounds or opens and closes rounds, so an
evaluation opened while a round opens or closes neither misses the round nor lands in a closed
one (the lock lasts until commit)."""


async def _lock_routing(session: AsyncConnection) -> None:
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(ROUTING_LOCK))))


async def get_round(session: AsyncConnection, round_id: uuid.UUID, *, lock: bool = False) -> dict:
    query = select(rounds).where(rounds.c.id == round_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("round_not_found", f"no round {round_id}", field="round_id")
    return row._asdict()


async def _open_round_for(session: AsyncConnection, evaluation: dict) -> dict | None:
    """The open round whose council covers the evaluation, under its rulebook and level."""
    candidates = (await session.execute(
        select(rounds, councils.c.province_code, councils.c.communes)
        .join(councils, councils.c.id == rounds.c.council_id)
        .where(rounds.c.status == RoundStatus.OPEN.value,
               rounds.c.rulebook == evaluation["rulebook"],
               rounds.c.level == evaluation["level"])
        .order_by(rounds.c.opened_at)
    )).all()
    for row in candidates:
        if covers(row.level, row.province_code, row.communes, evaluation["province_code"],
                  evaluation["commune_code"]):
            return row._asdict()
    return None


async def open_evaluation(
    session: AsyncConnection, outbox: Outbox, actor: Principal, *, key: uuid.UUID,
    product: dict[str, Any], rulebook: str, level: str, reason: str,
    previous_stars: int | None = None, forwarded_from: uuid.UUID | None = None,
) -> dict | None:
    """Open an evaluation for `product` (the facts of ProductSubmittedForEvaluation) unless one
    exists for `key` (a submission, forwarding or request id): then None and nothing else
    happens. It joins the open round of its council, or waits for the next one."""
    row = {
        "id": uuid.uuid4(), "submission_event_id": key, "rulebook": rulebook, "level": level,
        "reason": reason, "previous_stars": previous_stars, "forwarded_from": forwarded_from,
        "status": EvaluationStatus.AWAITING_ROUND.value,
        **{k: product.get(k) for k in (
            "product_id", "producer_id", "product_name", "product_code", "province_code",
            "commune_code", "product_set", "self_score", "submitted_on")},
    }
    await _lock_routing(session)
    round_ = await _open_round_for(session, row)
    if round_ is not None:
        row.update(status=EvaluationStatus.IN_ROUND.value, round_id=round_["id"])
    opened = (await session.execute(
        pg_insert(evaluations).values(row)
        .on_conflict_do_nothing(index_elements=[evaluations.c.submission_event_id])
        .returning(evaluations)
    )).first()
    if opened is None:
        return None
    await audit.record(session, actor, "evaluation.opened", "evaluation", row["id"],
                       rulebook=rulebook, level=level, reason=reason,
                       product_id=row["product_id"], round_id=row.get("round_id"))
    await outbox.add(session, EvaluationOpened(
        evaluation_id=row["id"], product_id=row["product_id"], producer_id=row["producer_id"],
        province_code=row["province_code"], level=level, rulebook=rulebook,
        submission_event_id=key, reason=reason,
        council_id=str(round_["council_id"]) if round_ else None,
        round_id=str(round_["id"]) if round_ else None,
    ))
    return opened._asdict()


async def open_round(
    session: AsyncConnection, actor: Principal, catalog: RulebookCatalog,
    council: dict, name: str,
) -> dict:
    """Open a round (đợt) of `council` under the rulebook its province runs (the central
    council: the default rulebook) and take in every evaluation waiting for it. One open round
    per council at a time."""
    await _lock_routing(session)
    already = (await session.execute(select(rounds.c.name).where(
        rounds.c.council_id == council["id"], rounds.c.status == RoundStatus.OPEN.value))).first()
    if already is not None:
        raise Conflict("round_already_open",
                       f"the council's round {already.name!r} is still open: close it first",
                       field="council_id")
    loaded = (catalog.for_province(council["province_code"]) if council["province_code"]
              else catalog.get(catalog.default))
    rulebook = loaded.rulebook
    try:
        rule = rulebook.level(council["level"])
    except KeyError as exc:
        raise InvalidInput("level_not_in_rulebook",
                           f"rulebook {rulebook.id} has no {council['level']} level",
                           field="council_id") from exc
    if not rule.council:
        raise InvalidInput("level_without_council",
                           f"under {rulebook.id} the {rule.level} level has no council",
                           field="council_id")
    round_id = uuid.uuid4()
    created = (await session.execute(insert(rounds).values(
        id=round_id, council_id=council["id"], name=name, rulebook=rulebook.id,
        level=council["level"], status=RoundStatus.OPEN.value, opened_by=actor.subject,
    ).returning(rounds))).one()._asdict()
    waiting = (await session.execute(
        select(evaluations.c.id, evaluations.c.province_code, evaluations.c.commune_code)
        .where(evaluations.c.status == EvaluationStatus.AWAITING_ROUND.value,
               evaluations.c.rulebook == rulebook.id,
               evaluations.c.level == council["level"])
        .with_for_update()
    )).all()
    taken = [w.id for w in waiting if covers(council["level"], council["province_code"],
                                             council["communes"], w.province_code,
                                             w.commune_code)]
    if taken:
        await session.execute(update(evaluations).where(evaluations.c.id.in_(taken))
                              .values(status=EvaluationStatus.IN_ROUND.value, round_id=round_id))
    await audit.record(session, actor, "round.opened", "round", round_id, rulebook=rulebook.id,
                       council_id=council["id"], name=name, evaluations=len(taken))
    return created | {"evaluations_taken": len(taken)}


async def round_counts(session: AsyncConnection, round_id: uuid.UUID) -> dict[str, int]:
    rows = (await session.execute(
        select(evaluations.c.status, func.count()).where(evaluations.c.round_id == round_id)
        .group_by(evaluations.c.status))).all()
    return {status: count for status, count in rows}


async def close_round(
    session: AsyncConnection, outbox: Outbox, actor: Principal, round_id: uuid.UUID,
    proposal_number: str | None, note: str | None,
) -> dict:
    """Close a round whose every evaluation has a standing result, and record the council's
    proposals: products the level's authority may recognise, that go up a level, or whose
    re-evaluation takes a held recognition away are proposed for its decision; the others end
    here (not recognised)."""
    await _lock_routing(session)
    round_ = await get_round(session, round_id, lock=True)
    if round_["status"] != RoundStatus.OPEN.value:
        raise Conflict("round_closed", f"round {round_['name']!r} is already closed",
                       field="status")
    unfinished = (await session.execute(
        select(evaluations.c.product_name, evaluations.c.status)
        .where(evaluations.c.round_id == round_id,
               evaluations.c.status != EvaluationStatus.SCORED.value)
        .order_by(evaluations.c.product_name))).all()
    if unfinished:
        listed = ", ".join(f"{r.product_name} ({r.status})" for r in unfinished[:10])
        more = f" and {len(unfinished) - 10} more" if len(unfinished) > 10 else ""
        raise Conflict("round_unfinished",
                       f"{len(unfinished)} evaluations have no standing result yet: "
                       f"{listed}{more}", field="evaluations")
    scored = (await session.execute(
        select(evaluations).where(evaluations.c.round_id == round_id))).all()
    proposed = [r.id for r in scored if needs_decision(
        r.recognised_stars, r.forwarded_to, r.previous_stars, r.reason)]
    proposed_ids = set(proposed)
    ended = [r for r in scored if r.id not in proposed_ids]
    if proposed:
        await session.execute(update(evaluations).where(evaluations.c.id.in_(proposed))
                              .values(status=EvaluationStatus.PROPOSED.value))
    if ended:
        await session.execute(update(evaluations)
                              .where(evaluations.c.id.in_([r.id for r in ended]))
                              .values(status=EvaluationStatus.NOT_RECOGNISED.value))
    closed = (await session.execute(
        update(rounds).where(rounds.c.id == round_id)
        .values(status=RoundStatus.CLOSED.value, closed_by=actor.subject, closed_at=func.now(),
                proposal_number=proposal_number, proposal_note=note)
        .returning(rounds))).one()._asdict()
    for row in ended:
        if row.level == "central":  # the product keeps the stars it held: say so
            await outbox.add(session, published.national_evaluation_completed(row._asdict()))
    await audit.record(session, actor, "round.closed", "round", round_id,
                       rulebook=round_["rulebook"], proposal_number=proposal_number,
                       proposed=proposed, not_recognised=[r.id for r in ended])
    return closed | {"proposed": len(proposed), "not_recognised": len(ended)}

