"""Evaluations, score sheets, decisions, re-evaluations, rulebooks and the audit trail over
HTTP: thin translation from HTTP to the service layer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role
from ocop_shared.errors import Forbidden, NotFound
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import select

from ..adapters.tables import audit_log, decisions, evaluations, score_sheets
from ..domain.evaluations import EvaluationStatus
from ..domain.rulebooks import RulebookCatalog
from ..service_layer import decisions as decision_commands
from ..service_layer import sheets as sheet_commands
from ..service_layer.councils import member_for
from ..service_layer.rounds import get_round
from .access import (
    auditors,
    check_evaluation_reach,
    council_members,
    deciders,
    readers,
    require_officer,
    staff_readers,
)
from .schemas import (
    AuditOut,
    DecisionIn,
    DecisionOut,
    EvaluationOut,
    ReEvaluationIn,
    SheetIn,
    SheetOut,
)


def build_router(catalog: RulebookCatalog, today: Callable[[], date]) -> APIRouter:
    router = APIRouter()

    @router.get("/evaluations", response_model=Page[EvaluationOut], tags=["evaluations"])
    async def list_evaluations(
        request: Request,
        status: EvaluationStatus | None = None,
        province_code: str | None = Query(None, description="Province code, e.g. 01"),
        product_id: uuid.UUID | None = None,
        round_id: uuid.UUID | None = None,
        level: str | None = Query(None, description="district, province or central"),
        page: PageParams = Depends(page_params),
        principal: Principal = Depends(readers),
    ) -> dict:
        """Evaluations, oldest first. Officials and council members see their province's, a
        producer its own."""
        query = select(evaluations)
        if principal.role in (Role.provincial_official, Role.council_member):
            province_code = principal.province_code or "-"
        if principal.role is Role.producer:
            query = query.where(evaluations.c.producer_id == _uuid(principal.producer_id))
        for column, value in ((evaluations.c.province_code, province_code),
                              (evaluations.c.product_id, product_id),
                              (evaluations.c.round_id, round_id),
                              (evaluations.c.level, level),
                              (evaluations.c.status, status and status.value)):
            if value is not None:
                query = query.where(column == value)
        async with unit_of_work(request) as session:
            return await paginate(
                session, query.order_by(evaluations.c.created_at, evaluations.c.id), page)

    @router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut,
                tags=["evaluations"])
    async def get_evaluation(evaluation_id: uuid.UUID, request: Request,
                             principal: Principal = Depends(readers)) -> dict:
        """The council's result beside the producer's self-score."""
        async with unit_of_work(request) as session:
            evaluation = await sheet_commands.get_evaluation(session, evaluation_id)
        check_evaluation_reach(principal, evaluation)
        return evaluation

    @router.post("/evaluations/{evaluation_id}/sheets", response_model=SheetOut,
                 status_code=201, tags=["scoring"])
    async def submit_sheet(evaluation_id: uuid.UUID, body: SheetIn, request: Request,
                           principal: Principal = Depends(council_members)) -> dict:
        """A member's score sheet: exactly one option per criterion of the product's sheet.
        When every eligible member has scored, the result is computed (or RescoreRequired)."""
        async with unit_of_work(request) as session:
            return await sheet_commands.submit_sheet(
                session, runtime_of(request).outbox, catalog, principal, evaluation_id,
                body.choices, today())

    @router.get("/evaluations/{evaluation_id}/sheets", response_model=list[SheetOut],
                tags=["scoring"])
    async def list_sheets(evaluation_id: uuid.UUID, request: Request,
                          principal: Principal = Depends(staff_readers)) -> list[dict]:
        """The members' sheets behind a result: for the council's members and the offices,
        never for producers."""
        async with unit_of_work(request) as session:
            evaluation = await sheet_commands.get_evaluation(session, evaluation_id)
            check_evaluation_reach(principal, evaluation)
            if principal.role is Role.council_member:
                round_ = (await get_round(session, evaluation["round_id"])
                          if evaluation["round_id"] else None)
                if round_ is None or await member_for(session, round_["council_id"],
                                                      principal) is None:
                    raise Forbidden("forbidden", "only the members of the evaluating council "
                                                 "see its sheets")
            rows = (await session.execute(
                select(score_sheets).where(score_sheets.c.evaluation_id == evaluation_id)
                .order_by(score_sheets.c.attempt, score_sheets.c.submitted_at))).all()
        return [r._asdict() for r in rows]

    @router.post("/evaluations/{evaluation_id}/tally", response_model=EvaluationOut,
                 tags=["scoring"])
    async def tally(evaluation_id: uuid.UUID, request: Request,
                    principal: Principal = Depends(council_members)) -> dict:
        """The chair or secretary computes the result from the sheets in hand when not every
        member scored: a quorum (75% of eligible members, including the chair) is needed."""
        async with unit_of_work(request) as session:
            evaluation = await sheet_commands.get_evaluation(session, evaluation_id)
            if evaluation["round_id"] is None:
                raise NotFound("not_in_round", "the evaluation is not in a round yet",
                               field="evaluation_id")
            round_ = await get_round(session, evaluation["round_id"])
            await require_officer(session, principal, round_["council_id"], today(),
                                  "compute a result")
            return await sheet_commands.tally(session, runtime_of(request).outbox, catalog,
                                              principal, evaluation_id, today())

    @router.post("/decisions", response_model=DecisionOut, status_code=201, tags=["decisions"])
    async def record_decision(body: DecisionIn, request: Request,
                              principal: Principal = Depends(deciders)) -> dict:
        """The authority's decision on proposed results: recognition (ProductRecognized),
        forwarding up a level, referral to the Ministry with the sample shipment."""
        data = body.model_dump()
        data["referrals"] = {k: v.model_dump() for k, v in body.referrals.items()}
        async with unit_of_work(request) as session:
            return await decision_commands.record_decision(
                session, runtime_of(request).outbox, catalog, principal, data)

    @router.get("/decisions", response_model=Page[DecisionOut], tags=["decisions"])
    async def list_decisions(request: Request, province_code: str | None = None,
                             page: PageParams = Depends(page_params),
                             principal: Principal = Depends(staff_readers)) -> dict:
        query = select(decisions)
        if principal.role in (Role.provincial_official, Role.council_member):
            province_code = principal.province_code or "-"
        if province_code is not None:
            query = query.where(decisions.c.province_code == province_code)
        async with unit_of_work(request) as session:
            return await paginate(session, query.order_by(decisions.c.created_at), page)

    @router.post("/re-evaluations", response_model=EvaluationOut, status_code=201,
                 tags=["evaluations"])
    async def request_re_evaluation(body: ReEvaluationIn, request: Request,
                                    principal: Principal = Depends(deciders)) -> dict:
        """Re-evaluate a product evaluated before (renewal, upgrade, inspection finding); the
        result may lower its stars."""
        async with unit_of_work(request) as session:
            latest = (await session.execute(
                select(evaluations.c.province_code)
                .where(evaluations.c.product_id == body.product_id).limit(1))).first()
            if latest is not None:
                check_evaluation_reach(principal, {"province_code": latest.province_code,
                                                   "producer_id": None})
            return await decision_commands.re_evaluate(
                session, runtime_of(request).outbox, catalog, principal,
                product_id=body.product_id, reason=body.reason, key=uuid.uuid4(), on=today())

    @router.get("/audit", response_model=Page[AuditOut], tags=["audit"])
    async def audit_trail(request: Request, entity_id: str | None = None,
                          action: str | None = None, page: PageParams = Depends(page_params),
                          principal: Principal = Depends(auditors)) -> dict:
        """Who did what, when, under which rulebook; newest first."""
        query = select(audit_log)
        if entity_id is not None:
            query = query.where(audit_log.c.entity_id == entity_id)
        if action is not None:
            query = query.where(audit_log.c.action == action)
        async with unit_of_work(request) as session:
            return await paginate(session, query.order_by(audit_log.c.id.desc()), page)

    @router.get("/rulebooks", tags=["rulebooks"])
    async def list_rulebooks(_: Principal = Depends(readers)) -> list[dict]:
        """The loaded rulebooks, which province runs which, and their sheets."""
        return [loaded.rulebook.model_dump(mode="json") | {
            "provinces": sorted(p for p, r in catalog.by_province.items() if r == rid),
            "default": rid == catalog.default,
            "sheet_index": [{"sheet_id": s.sheet_id, "title": s.title, "status": s.status,
                             "product_sets": list(s.product_sets)}
                            for s in loaded.sheets.values()],
        } for rid, loaded in sorted(catalog.loaded.items())]

    @router.get("/scoring-sheets", tags=["rulebooks"])
    async def scoring_sheet(rulebook: str = Query(examples=["1489/2025"]),
                            product_set: str = Query(examples=["tea"]),
                            _: Principal = Depends(readers)) -> dict:
        """The sheet a product set is scored on under a rulebook (criteria, options, points,
        knock-outs, mandatory criteria per star)."""
        if rulebook not in catalog.loaded:
            raise NotFound("rulebook_not_found", f"no rulebook {rulebook}", field="rulebook")
        try:
            return catalog.get(rulebook).sheet_for(product_set).model_dump(mode="json")
        except KeyError as exc:
            raise NotFound("sheet_not_found", str(exc).strip("'\""),
                           field="product_set") from exc

    return router


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
