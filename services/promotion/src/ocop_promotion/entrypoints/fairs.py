"""Trade fairs (hội chợ, triển lãm) over HTTP: announce, apply, allocate, withdraw, read."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role, require
from ocop_shared.clock import today_in_vietnam
from ocop_shared.errors import Forbidden
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import select

from ..adapters.fair_tables import fair_applications as apps
from ..adapters.fair_tables import trade_fairs as fairs
from ..domain.fairs import FairLevel
from ..service_layer import fairs as commands
from .fair_schemas import (
    ApplicationIn,
    ApplicationOut,
    FairDetail,
    FairIn,
    FairOut,
    ProducerApplicationOut,
)

router = APIRouter(tags=["trade fairs"])

organisers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                     action="organise trade fairs")
applicants = require(Role.operator, Role.provincial_official, Role.ministry_official,
                     Role.producer, action="apply to or withdraw from trade fairs")
readers = require()


@router.post("/fairs", response_model=FairDetail, status_code=201)
async def announce_fair(body: FairIn, request: Request,
                        principal: Principal = Depends(organisers)) -> dict:
    """Announce a fair open for applications until `applications_close` (operator; provincial
    official: provincial fairs of their province; Ministry official: regional, national)."""
    async with unit_of_work(request) as session:
        return await commands.announce(session, runtime_of(request).outbox, principal,
                                       body.model_dump(), commands.utc_now())


@router.get("/fairs", response_model=Page[FairOut])
async def list_fairs(
    request: Request, level: FairLevel | None = None, province_code: str | None = None,
    upcoming: bool = Query(False, description="Only fairs not yet ended"),
    page: PageParams = Depends(page_params), principal: Principal = Depends(readers),
) -> dict:
    """Fairs, earliest first."""
    query = select(fairs)
    if level is not None:
        query = query.where(fairs.c.level == level.value)
    if province_code is not None:
        query = query.where(fairs.c.province_code == province_code)
    if upcoming:
        query = query.where(fairs.c.ends_on >= today_in_vietnam())
    async with unit_of_work(request) as session:
        return await paginate(session, query.order_by(fairs.c.starts_on, fairs.c.id), page)


@router.get("/fairs/{fair_id}", response_model=FairDetail)
async def get_fair(fair_id: uuid.UUID, request: Request,
                   principal: Principal = Depends(readers)) -> dict:
    """A fair with its booths (by number) and its waitlist (by position)."""
    async with unit_of_work(request) as session:
        return await commands.fair_detail(session, fair_id)


@router.post("/fairs/{fair_id}/applications", response_model=ApplicationOut, status_code=201)
async def apply(fair_id: uuid.UUID, body: ApplicationIn, request: Request,
                principal: Principal = Depends(applicants)) -> dict:
    """A certified product applies for a booth (a producer for its own products; an official
    on a producer's behalf)."""
    async with unit_of_work(request) as session:
        return await commands.apply(session, principal, fair_id, body.product_id,
                                    commands.utc_now())


@router.post("/fairs/{fair_id}/allocate", response_model=FairDetail)
async def allocate(fair_id: uuid.UUID, request: Request,
                   principal: Principal = Depends(organisers)) -> dict:
    """Close applications and allocate the booths (higher stars, then communes not yet
    represented, then application time); the rest wait in that order."""
    async with unit_of_work(request) as session:
        return await commands.allocate_booths(session, runtime_of(request).outbox, principal,
                                              fair_id)


@router.post("/fairs/{fair_id}/applications/{application_id}/withdraw",
             response_model=ApplicationOut)
async def withdraw(fair_id: uuid.UUID, application_id: uuid.UUID, request: Request,
                   principal: Principal = Depends(applicants)) -> dict:
    """Take a product out of a fair; its booth goes to the first on the waitlist."""
    async with unit_of_work(request) as session:
        return await commands.withdraw(session, runtime_of(request).outbox, principal,
                                       fair_id, application_id, today_in_vietnam())


@router.get("/producers/{producer_id}/fair-applications",
            response_model=Page[ProducerApplicationOut])
async def producer_applications(
    producer_id: uuid.UUID, request: Request, page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    """A producer's applications, latest fair first (a producer sees only its own; a
    provincial official those of products of their province)."""
    if principal.role is Role.producer and principal.producer_id != str(producer_id):
        raise Forbidden("not_your_applications", "a producer sees only its own applications",
                        field="producer_id")
    if principal.role is Role.council_member:
        raise Forbidden("not_allowed", "council members do not read fair applications",
                        field="producer_id")
    query = (select(apps, fairs.c.name.label("fair_name"), fairs.c.level, fairs.c.venue,
                    fairs.c.starts_on, fairs.c.ends_on)
             .join(fairs, fairs.c.id == apps.c.fair_id)
             .where(apps.c.producer_id == producer_id))
    if principal.role is Role.provincial_official:
        query = query.where(apps.c.province_code == principal.province_code)
    async with unit_of_work(request) as session:
        return await paginate(session, query.order_by(fairs.c.starts_on.desc(),
                                                      apps.c.applied_at), page)
