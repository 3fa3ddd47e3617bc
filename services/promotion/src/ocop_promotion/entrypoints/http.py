"""The promotion service's HTTP API for ceremonies: thin translation from HTTP to queries and
commands.

Ceremonies are planned by events (ProductRecognized); officials reschedule them, move
products between them, cancel them, and set their display list and trade-connection sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.pagination import Page, PageParams, page_params
from ocop_shared.runtime import runtime_of, unit_of_work

from ..domain.ceremonies import CeremonyRules, CeremonyStatus, vietnam_holidays
from ..service_layer import ceremonies as commands
from ..service_layer import queries
from .schemas import (
    CancelIn,
    CeremonyDetail,
    CeremonyOut,
    DisplayIn,
    MoveIn,
    RescheduleIn,
    SessionsIn,
)

router = APIRouter()

readers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                  Role.producer, Role.council_member, Role.integration)
managers = require(Role.operator, Role.provincial_official, Role.ministry_official)
CALENDAR = vietnam_holidays()  # fills in each year on first lookup


def _rules(request: Request) -> CeremonyRules:
    settings = runtime_of(request).settings
    return CeremonyRules(lead_days=settings.ceremony_lead_days,
                         capacity=settings.ceremony_capacity,
                         window_days=settings.ceremony_join_window_days)


@router.get("/ceremonies", response_model=Page[CeremonyOut], tags=["ceremonies"])
async def list_ceremonies(
    request: Request,
    province_code: str | None = None,
    status: CeremonyStatus | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    """Ceremonies, earliest first; a provincial official sees only their own province
    (asking for another one, or having none, is 403)."""
    if principal.role is Role.provincial_official:
        check_province(principal, province_code or principal.province_code or "")
        province_code = principal.province_code
    async with unit_of_work(request) as session:
        return await queries.list_ceremonies(
            session, province_code=province_code, status=status.value if status else None,
            page=page,
        )


@router.get("/ceremonies/{ceremony_id}", response_model=CeremonyDetail, tags=["ceremonies"])
async def get_ceremony(
    ceremony_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    """A ceremony with the products to be announced at it and its trade-connection sessions."""
    async with unit_of_work(request) as session:
        ceremony = await queries.get_ceremony(session, ceremony_id)
    if principal.role is Role.provincial_official:
        check_province(principal, ceremony["province_code"])
    return ceremony


@router.post("/ceremonies/{ceremony_id}/reschedule", response_model=CeremonyDetail,
             tags=["ceremonies"])
async def reschedule(
    ceremony_id: uuid.UUID, body: RescheduleIn, request: Request,
    principal: Principal = Depends(managers),
) -> dict:
    """Move a planned ceremony to another working day (and venue): CeremonyRescheduled."""
    async with unit_of_work(request) as session:
        await commands.reschedule(
            session, runtime_of(request).outbox, principal, ceremony_id,
            new_date=body.ceremony_date, venue=body.venue, reason=body.reason,
            calendar=CALENDAR)
        return await queries.get_ceremony(session, ceremony_id)


@router.post("/ceremonies/{ceremony_id}/move", response_model=CeremonyDetail,
             tags=["ceremonies"])
async def move_products(
    ceremony_id: uuid.UUID, body: MoveIn, request: Request,
    principal: Principal = Depends(managers),
) -> dict:
    """Move products to another planned ceremony of the same authority (the target is
    returned): ProductRemovedFromCeremony(moved) + ProductAddedToCeremony per product."""
    async with unit_of_work(request) as session:
        await commands.move_products(
            session, runtime_of(request).outbox, principal, ceremony_id,
            product_ids=body.product_ids, target_id=body.target_ceremony_id)
        return await queries.get_ceremony(session, body.target_ceremony_id)


@router.post("/ceremonies/{ceremony_id}/cancel", response_model=CeremonyDetail,
             tags=["ceremonies"])
async def cancel(
    ceremony_id: uuid.UUID, body: CancelIn, request: Request,
    principal: Principal = Depends(managers),
) -> dict:
    """Cancel a planned ceremony (CeremonyCancelled); its products are re-planned."""
    async with unit_of_work(request) as session:
        await commands.cancel(
            session, runtime_of(request).outbox, principal, ceremony_id, reason=body.reason,
            rules=_rules(request), calendar=CALENDAR)
        return await queries.get_ceremony(session, ceremony_id)


@router.put("/ceremonies/{ceremony_id}/display", response_model=CeremonyDetail,
            tags=["ceremonies"])
async def set_display(
    ceremony_id: uuid.UUID, body: DisplayIn, request: Request,
    principal: Principal = Depends(managers),
) -> dict:
    """Which of the ceremony's products are displayed (by default all of them)."""
    async with unit_of_work(request) as session:
        await commands.set_display(session, principal, ceremony_id, body.product_ids)
        return await queries.get_ceremony(session, ceremony_id)


@router.put("/ceremonies/{ceremony_id}/sessions", response_model=CeremonyDetail,
            tags=["ceremonies"])
async def set_sessions(
    ceremony_id: uuid.UUID, body: SessionsIn, request: Request,
    principal: Principal = Depends(managers),
) -> dict:
    """Replace the ceremony's trade-connection sessions (time on the ceremony's day, topic)."""
    async with unit_of_work(request) as session:
        await commands.set_sessions(session, principal, ceremony_id,
                                    [(s.starts_at, s.topic) for s in body.sessions])
        return await queries.get_ceremony(session, ceremony_id)
