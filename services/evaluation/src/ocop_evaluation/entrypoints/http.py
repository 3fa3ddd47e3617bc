"""The evaluation service's HTTP API: thin translation from HTTP to commands and queries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import select

from ..adapters.tables import evaluations
from ..domain.evaluations import EvaluationStatus
from ..service_layer import commands
from .schemas import EvaluationOut, FinalScoreIn

router = APIRouter()

readers = require(Role.operator, Role.provincial_official, Role.council_member, Role.integration,
                  action="read evaluations")
scorers = require(Role.operator, Role.provincial_official, Role.council_member,
                  action="record a final score")


@router.get("/evaluations", response_model=Page[EvaluationOut], tags=["evaluations"])
async def list_evaluations(
    request: Request,
    status: EvaluationStatus | None = Query(None, description="pending or completed"),
    province_code: str | None = Query(None, description="Province code, e.g. 01"),
    product_id: uuid.UUID | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    """Evaluations, oldest first. Officials and council members see only their province."""
    query = select(evaluations)
    if principal.role in (Role.provincial_official, Role.council_member):
        province_code = principal.province_code or ""  # no province on the token: nothing
    if province_code is not None:
        query = query.where(evaluations.c.province_code == province_code)
    if status is not None:
        query = query.where(evaluations.c.status == status.value)
    if product_id is not None:
        query = query.where(evaluations.c.product_id == product_id)
    async with unit_of_work(request) as session:
        return await paginate(
            session, query.order_by(evaluations.c.created_at, evaluations.c.id), page
        )


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut, tags=["evaluations"])
async def get_evaluation(
    evaluation_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        evaluation = await commands.get_evaluation(session, evaluation_id)
    check_province(principal, evaluation["province_code"])
    return evaluation


@router.post("/evaluations/{evaluation_id}/final-score", response_model=EvaluationOut,
             tags=["evaluations"])
async def record_final_score(
    evaluation_id: uuid.UUID, body: FinalScoreIn, request: Request,
    principal: Principal = Depends(scorers),
) -> dict:
    """Complete the evaluation with the council's final score: stars, recognition by UBND tỉnh
    (3-4 stars) and referral to the Ministry (90+ points) follow in the same transaction."""
    async with unit_of_work(request) as session:
        evaluation = await commands.get_evaluation(session, evaluation_id)
        check_province(principal, evaluation["province_code"])
        return await commands.record_final_score(
            session, runtime_of(request).outbox, evaluation_id, body.score, principal.subject
        )
