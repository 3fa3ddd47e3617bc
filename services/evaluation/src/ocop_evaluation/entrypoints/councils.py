"""Councils, their members and their rounds over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import council_members, councils, rounds
from ..domain.evaluations import RoundStatus
from ..domain.rulebooks import RulebookCatalog
from ..service_layer import councils as council_commands
from ..service_layer import rounds as round_commands
from .access import check_council_reach, organisers, require_officer, staff_readers
from .schemas import (
    CouncilIn,
    CouncilOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    RoundCloseIn,
    RoundIn,
    RoundOut,
)


def visible_councils(query: Select, principal: Principal) -> Select:
    """Province staff see their province's councils (and their rounds) and the central one."""
    if principal.role in (Role.provincial_official, Role.council_member):
        return query.where(or_(councils.c.province_code == principal.province_code,
                               councils.c.level == "central"))
    return query


def build_council_router(catalog: RulebookCatalog, today: Callable[[], date]) -> APIRouter:
    router = APIRouter(tags=["councils and rounds"])

    async def _council(session: AsyncConnection, principal: Principal, council_id: uuid.UUID,
                       *, organising: bool = False) -> dict:
        council = await council_commands.get_council(session, council_id)
        check_council_reach(principal, council, organising=organising)
        return council

    @router.post("/councils", response_model=CouncilOut, status_code=201)
    async def create_council(body: CouncilIn, request: Request,
                             principal: Principal = Depends(organisers)) -> dict:
        """A council at a level and jurisdiction (the standing office of its province; the
        Ministry's office for the central council)."""
        check_council_reach(principal, body.model_dump(), organising=True)
        async with unit_of_work(request) as session:
            return await council_commands.create_council(session, principal, body.model_dump())

    @router.get("/councils", response_model=Page[CouncilOut])
    async def list_councils(
        request: Request, level: str | None = Query(None, description="district, province or "
                                                                      "central"),
        province_code: str | None = None, page: PageParams = Depends(page_params),
        principal: Principal = Depends(staff_readers),
    ) -> dict:
        query = select(councils)
        query = visible_councils(query, principal)
        if level is not None:
            query = query.where(councils.c.level == level)
        if province_code is not None:
            query = query.where(councils.c.province_code == province_code)
        async with unit_of_work(request) as session:
            return await paginate(session, query.order_by(councils.c.created_at), page)

    @router.get("/councils/{council_id}", response_model=CouncilOut)
    async def get_council(council_id: uuid.UUID, request: Request,
                          principal: Principal = Depends(staff_readers)) -> dict:
        async with unit_of_work(request) as session:
            council = await _council(session, principal, council_id)
            members = (await session.execute(
                select(council_members).where(council_members.c.council_id == council_id)
                .order_by(council_members.c.created_at))).all()
        return council | {"members": [m._asdict() for m in members]}

    @router.post("/councils/{council_id}/members", response_model=MemberOut, status_code=201)
    async def add_member(council_id: uuid.UUID, body: MemberIn, request: Request,
                         principal: Principal = Depends(organisers)) -> dict:
        async with unit_of_work(request) as session:
            await _council(session, principal, council_id, organising=True)
            return await council_commands.add_member(session, principal, council_id,
                                                     body.model_dump())

    @router.patch("/councils/{council_id}/members/{member_id}", response_model=MemberOut)
    async def update_member(council_id: uuid.UUID, member_id: uuid.UUID, body: MemberPatch,
                            request: Request,
                            principal: Principal = Depends(organisers)) -> dict:
        """End a member's term or declare their conflicts of interest."""
        async with unit_of_work(request) as session:
            await _council(session, principal, council_id, organising=True)
            return await council_commands.update_member(
                session, principal, council_id, member_id, body.model_dump(exclude_unset=True))

    @router.post("/councils/{council_id}/rounds", response_model=RoundOut, status_code=201)
    async def open_round(council_id: uuid.UUID, body: RoundIn, request: Request,
                         principal: Principal = Depends(organisers)) -> dict:
        """Open a round (đợt): the evaluations waiting for this council join it, and the
        ones submitted while it is open too."""
        async with unit_of_work(request) as session:
            council = await _council(session, principal, council_id, organising=True)
            opened = await round_commands.open_round(session, principal, catalog, council,
                                                     body.name)
            return opened | {"evaluations": await round_commands.round_counts(session,
                                                                              opened["id"])}

    @router.get("/rounds", response_model=Page[RoundOut])
    async def list_rounds(
        request: Request, council_id: uuid.UUID | None = None,
        status: RoundStatus | None = None, page: PageParams = Depends(page_params),
        principal: Principal = Depends(staff_readers),
    ) -> dict:
        query = select(rounds).join(councils, councils.c.id == rounds.c.council_id)
        query = visible_councils(query, principal)
        if council_id is not None:
            query = query.where(rounds.c.council_id == council_id)
        if status is not None:
            query = query.where(rounds.c.status == status.value)
        async with unit_of_work(request) as session:
            return await paginate(session, query.order_by(rounds.c.opened_at), page)

    @router.get("/rounds/{round_id}", response_model=RoundOut)
    async def get_round(round_id: uuid.UUID, request: Request,
                        principal: Principal = Depends(staff_readers)) -> dict:
        async with unit_of_work(request) as session:
            round_ = await round_commands.get_round(session, round_id)
            await _council(session, principal, round_["council_id"])
            return round_ | {"evaluations": await round_commands.round_counts(session,
                                                                             round_id)}

    @router.post("/rounds/{round_id}/close", response_model=RoundOut)
    async def close_round(round_id: uuid.UUID, body: RoundCloseIn, request: Request,
                          principal: Principal = Depends(staff_readers)) -> dict:
        """The chair or secretary closes the round once every result stands, and so records
        the council's proposals to the recognising authority."""
        async with unit_of_work(request) as session:
            round_ = await round_commands.get_round(session, round_id)
            await require_officer(session, principal, round_["council_id"], today(),
                                  "close a round and record its proposals")
            closed = await round_commands.close_round(
                session, runtime_of(request).outbox, principal, round_id,
                body.proposal_number, body.note)
            return closed | {"evaluations": await round_commands.round_counts(session,
                                                                             round_id)}

    return router
