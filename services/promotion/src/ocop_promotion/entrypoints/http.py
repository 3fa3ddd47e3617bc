"""The promotion service's HTTP API: thin translation from HTTP to queries.

Ceremonies are planned by events (ProductRecognized); rescheduling and cancelling come later."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.pagination import Page, PageParams, page_params
from ocop_shared.runtime import unit_of_work

from ..domain.ceremonies import CeremonyStatus
from ..service_layer import queries
from .schemas import CeremonyDetail, CeremonyOut

router = APIRouter()

readers = require(Role.operator, Role.provincial_official, Role.producer, Role.council_member,
                  Role.integration)


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
    """A ceremony with the products to be announced at it."""
    async with unit_of_work(request) as session:
        ceremony = await queries.get_ceremony(session, ceremony_id)
    if principal.role is Role.provincial_official:
        check_province(principal, ceremony["province_code"])
    return ceremony
