"""The recognising authority's decisions, forwarding up a level, and re-evaluations.

An official of the authority records a decision (number, date, signer) on proposed results:
each product its level recognises gets ProductRecognized; a product whose score goes up a level
is forwarded: a new evaluation at that level, and, for the central council,
ProductReferredToMinistry with the dossier reference and the sample shipment; a re-evaluation
that ended below 3 stars takes the recognition away (RecognitionWithdrawn). The Ministry's
decision on a central result recognises 5 stars (NationalEvaluationCompleted says so)."""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.auth import Principal, Role
from ocop_shared.contracts.evaluation import SampleShipment
from ocop_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import decisions, evaluations, referrals
from ..domain.evaluations import (
    EvaluationStatus,
    authority_name,
    dossier_reference,
    withdraws_recognition,
)
from ..domain.rulebooks import RulebookCatalog
from . import audit, published
from .rounds import open_evaluation

FORWARDING = uuid.UUID("5d0b3c62-8f7e-4a43-9c55-0c1f3f7e2a10")
"""Namespace of the keys of forwarded evaluations (one per forwarded evaluation)."""


def may_decide(principal: Principal, level: str, province_code: str | None) -> bool:
    """Only an official of the authority records its decision: the Ministry's office for the
    central level, the province's office for its province (and its former districts)."""
    if principal.role is Role.operator:
        return True
    if level == "central":
        return principal.role is Role.ministry_official
    return (principal.role is Role.provincial_official and province_code is not None
            and principal.province_code == province_code)


async def record_decision(
    session: AsyncConnection, outbox: Outbox, catalog: RulebookCatalog, principal: Principal,
    data: dict,
) -> dict:
    level, province = data["level"], data.get("province_code")
    if level == "central":
        province = None
    elif not province:
        raise InvalidInput("province_required", "a provincial or district decision names its "
                                                "province", field="province_code")
    if not may_decide(principal, level, province):
        raise Forbidden("not_the_authority", f"only an official of the {level} authority "
                                             f"records its decision", field="level")
    ids = list(dict.fromkeys(data["evaluation_ids"]))
    rows = {r.id: r._asdict() for r in (await session.execute(
        select(evaluations).where(evaluations.c.id.in_(ids)).with_for_update())).all()}
    for position, evaluation_id in enumerate(ids):
        row = rows.get(evaluation_id)
        field = f"evaluation_ids[{position}]"
        if row is None:
            raise NotFound("evaluation_not_found", f"no evaluation {evaluation_id}", field=field)
        if row["status"] != EvaluationStatus.PROPOSED.value:
            raise Conflict("not_proposed", f"{row['product_name']} is {row['status']}: a "
                                           f"decision covers proposed results only", field=field)
        if row["level"] != level or (province is not None and row["province_code"] != province):
            raise Conflict("other_authority", f"{row['product_name']} was proposed to the "
                                              f"{row['level']} authority of province "
                                              f"{row['province_code']}", field=field)
    authorities = {authority_name(catalog.get(r["rulebook"]).rulebook.level(level).authority,
                                  level, province) for r in rows.values()}
    if len(authorities) != 1:
        raise Conflict("mixed_authorities", "one decision is one authority's: "
                                            f"{', '.join(sorted(authorities))}",
                       field="evaluation_ids")
    authority = authorities.pop()
    shipments = _shipments(data.get("referrals") or {}, rows, ids)
    duplicate = (await session.execute(select(decisions.c.id).where(
        decisions.c.authority == authority, decisions.c.number == data["number"]))).first()
    if duplicate is not None:
        raise Conflict("decision_exists", f"{authority} already recorded decision "
                                          f"{data['number']}", field="number")
    decision = (await session.execute(insert(decisions).values(
        id=uuid.uuid4(), level=level, authority=authority, province_code=province,
        number=data["number"], decided_on=data["decided_on"], signer=data["signer"],
        recorded_by=principal.subject,
    ).returning(decisions))).one()._asdict()
    for evaluation_id in ids:
        await _apply(session, outbox, principal, decision, rows[evaluation_id],
                     shipments.get(evaluation_id))
    await audit.record(session, principal, "decision.recorded", "decision", decision["id"],
                       number=decision["number"], authority=authority, signer=data["signer"],
                       evaluations=ids)
    return decision | {"evaluation_ids": ids}


def _shipments(given: dict, rows: dict, ids: list) -> dict[uuid.UUID, tuple[str, SampleShipment]]:
    """The referral details every product sent to the central council needs."""
    shipments = {}
    for evaluation_id in ids:
        row = rows[evaluation_id]
        if row["forwarded_to"] != "central":
            if evaluation_id in given:
                raise InvalidInput("not_referred",
                                   f"{row['product_name']} is not referred to the Ministry",
                                   field=f"referrals.{evaluation_id}")
            continue
        referral = given.get(evaluation_id)
        if referral is None or referral.get("sample_shipment") is None:
            raise InvalidInput("sample_shipment_required",
                               f"{row['product_name']} ({row['score']} points) goes to the "
                               f"central council: say how its samples were shipped",
                               field=f"referrals.{evaluation_id}.sample_shipment")
        reference = referral.get("dossier_reference") or dossier_reference(
            row["product_code"], evaluation_id)
        shipments[evaluation_id] = (reference, SampleShipment.model_validate(
            referral["sample_shipment"]))
    return shipments


async def _apply(
    session: AsyncConnection, outbox: Outbox, actor: Principal, decision: dict,
    evaluation: dict, shipment: tuple[str, SampleShipment] | None,
) -> None:
    decided = (await session.execute(
        update(evaluations).where(evaluations.c.id == evaluation["id"]).values(
            status=EvaluationStatus.DECIDED.value, decision_id=decision["id"],
            decided_by=actor.subject, decision_number=decision["number"],
            decision_date=decision["decided_on"],
        ).returning(evaluations))).one()._asdict()
    if decided["recognised_stars"] is not None:
        await outbox.add(session, published.product_recognized(decided, decision))
    if withdraws_recognition(decided["recognised_stars"], decided["forwarded_to"],
                             decided["previous_stars"], decided["reason"]):
        await outbox.add(session, published.recognition_withdrawn(decided, decision))
    if decided["level"] == "central":
        await outbox.add(session, published.national_evaluation_completed(decided, decision))
    if decided["forwarded_to"] is None:
        return
    product = decided | {"submitted_on": decision["decided_on"]}
    opened = await open_evaluation(
        session, outbox, actor, key=uuid.uuid5(FORWARDING, str(decided["id"])), product=product,
        rulebook=decided["rulebook"], level=decided["forwarded_to"], reason="forwarded",
        previous_stars=decided["recognised_stars"] or decided["previous_stars"],
        forwarded_from=decided["id"])
    if shipment is not None and opened is not None:
        reference, samples = shipment
        await session.execute(insert(referrals).values(
            evaluation_id=decided["id"], decision_id=decision["id"],
            dossier_reference=reference, sample_shipment=samples.model_dump(mode="json"),
            next_evaluation_id=opened["id"]))
        await outbox.add(session, published.product_referred(decided, decision, reference,
                                                             samples))


async def re_evaluate(
    session: AsyncConnection, outbox: Outbox, catalog: RulebookCatalog, actor: Principal, *,
    product_id: uuid.UUID, reason: str, key: uuid.UUID, on: date,
) -> dict | None:
    """Open a re-evaluation of a product this service evaluated before (on an inspection
    finding, or an official's request), at the entry level of its province's rulebook. The
    stars it holds are kept as `previous_stars`: the new result may lower them."""
    latest = (await session.execute(
        select(evaluations).where(evaluations.c.product_id == product_id)
        .order_by(evaluations.c.created_at.desc()).limit(1))).first()
    if latest is None:
        raise NotFound("product_never_evaluated",
                       f"product {product_id} was never evaluated here: it must be submitted "
                       f"from the registry", field="product_id")
    if latest.status not in (EvaluationStatus.DECIDED.value,
                             EvaluationStatus.NOT_RECOGNISED.value):
        raise Conflict("under_evaluation", f"{latest.product_name} is under evaluation "
                                           f"({latest.status})", field="product_id")
    held = (await session.execute(
        select(evaluations.c.recognised_stars).where(
            evaluations.c.product_id == product_id,
            evaluations.c.status == EvaluationStatus.DECIDED.value,
            evaluations.c.recognised_stars.is_not(None))
        .order_by(evaluations.c.decision_date.desc(), evaluations.c.created_at.desc())
        .limit(1))).scalar()
    rulebook = catalog.for_province(latest.province_code).rulebook
    return await open_evaluation(
        session, outbox, actor, key=key, product=latest._asdict() | {"submitted_on": on},
        rulebook=rulebook.id, level=rulebook.entry_level, reason=reason, previous_stars=held)
