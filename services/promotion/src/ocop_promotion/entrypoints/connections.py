"""Supply-demand connection over HTTP: buyers and what they look for, their matches, invitations
to trade-connection sessions, and the gift and local-specialty catalogue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.clock import today_in_vietnam
from ocop_shared.pagination import Page, PageParams, page_params
from ocop_shared.runtime import runtime_of, unit_of_work
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ..domain.connections import BuyerKind, EventKind, check_interests, check_province_code
from ..service_layer import connections as commands

router = APIRouter(tags=["supply-demand connection"])

organisers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                     action="manage buyers and trade-connection sessions")
readers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                  Role.integration)
everyone = require()

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{9,15}$")]


class InterestsIn(BaseModel):
    """What a buyer looks for; an empty list (or no min_stars) means no restriction."""

    model_config = ConfigDict(extra="forbid")

    groups: list[str] = Field([], description="Product groups I-VI")
    product_sets: list[str] = Field([], description="Product set codes, e.g. tea, honey")
    min_stars: int | None = Field(None, description="3 to 5")
    provinces: list[str] = Field([], description="Provinces the products come from")


class BuyerIn(InterestsIn):
    name: Text
    kind: BuyerKind
    province_code: str = Field(description="Where the buyer is based")
    contact_name: Text | None = None
    phone: Phone | None = None
    email: EmailStr | None = None


class BuyerOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: BuyerKind
    province_code: str
    contact_name: str | None
    phone: str | None
    email: str | None
    groups: list[str]
    product_sets: list[str]
    min_stars: int | None
    provinces: list[str]
    created_at: datetime


class CertifiedProductOut(BaseModel):
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    product_name: str | None
    product_set: str | None
    product_group: str | None
    province_code: str | None
    commune_code: str | None
    stars: int
    valid_until: date


class InvitationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_kind: EventKind
    event_id: uuid.UUID
    session_date: date
    province_code: str | None = Field(None, description="Only buyers based in this province")
    product_ids: list[uuid.UUID] | None = Field(
        None, min_length=1, description="Products on show; for a ceremony, default: its products")


class Invited(BaseModel):
    buyer_id: uuid.UUID
    buyer_name: str
    product_ids: list[uuid.UUID]


class InvitationsOut(BaseModel):
    invited: list[Invited]
    already_invited: list[uuid.UUID]


def _checked(body: InterestsIn) -> dict:
    check_interests(body.groups, body.product_sets, body.provinces, body.min_stars)
    return {"groups": body.groups, "product_sets": body.product_sets,
            "min_stars": body.min_stars, "provinces": body.provinces}


@router.post("/buyers", status_code=201, response_model=BuyerOut)
async def register_buyer(body: BuyerIn, request: Request,
                         principal: Principal = Depends(organisers)) -> dict:
    """Register a buyer (distributor, retailer, tourist site, gift buyer) and its interests."""
    check_province_code(body.province_code)
    check_province(principal, body.province_code)
    fields = body.model_dump(mode="json", exclude=set(InterestsIn.model_fields)) | _checked(body)
    async with unit_of_work(request) as session:
        return await commands.register_buyer(session, fields)


@router.get("/buyers", response_model=Page[BuyerOut])
async def list_buyers(request: Request, province_code: str | None = None,
                      page: PageParams = Depends(page_params),
                      principal: Principal = Depends(readers)) -> dict:
    """Buyers by name; a provincial official sees those of their own province."""
    if principal.role is Role.provincial_official:
        check_province(principal, province_code or principal.province_code or "")
        province_code = principal.province_code
    async with unit_of_work(request) as session:
        return await commands.list_buyers(session, province_code=province_code, page=page)


async def _buyer(request: Request, principal: Principal, buyer_id: uuid.UUID) -> dict:
    async with unit_of_work(request) as session:
        buyer = await commands.get_buyer(session, buyer_id)
    check_province(principal, buyer["province_code"])
    return buyer


@router.get("/buyers/{buyer_id}", response_model=BuyerOut)
async def get_buyer(buyer_id: uuid.UUID, request: Request,
                    principal: Principal = Depends(readers)) -> dict:
    return await _buyer(request, principal, buyer_id)


@router.put("/buyers/{buyer_id}/interests", response_model=BuyerOut)
async def set_interests(buyer_id: uuid.UUID, body: InterestsIn, request: Request,
                        principal: Principal = Depends(organisers)) -> dict:
    """Replace what the buyer looks for."""
    await _buyer(request, principal, buyer_id)
    fields = _checked(body)
    async with unit_of_work(request) as session:
        return await commands.set_interests(session, buyer_id, fields)


@router.get("/buyers/{buyer_id}/matches", response_model=Page[CertifiedProductOut])
async def buyer_matches(buyer_id: uuid.UUID, request: Request,
                        page: PageParams = Depends(page_params),
                        principal: Principal = Depends(readers)) -> dict:
    """The certified products (active certificate) the buyer looks for, most stars first."""
    buyer = await _buyer(request, principal, buyer_id)
    async with unit_of_work(request) as session:
        return await commands.matches_of(session, buyer, today_in_vietnam(), page)


@router.post("/buyers/invitations", response_model=InvitationsOut)
async def invite_buyers(body: InvitationIn, request: Request,
                        principal: Principal = Depends(organisers)) -> dict:
    """Invite to a trade-connection session (at a ceremony or a trade fair) every buyer who
    looks for at least one certified product on show: BuyerInvited each, once per event.
    A provincial official invites the buyers of their own province (province_code required)."""
    if body.province_code is not None:
        check_province_code(body.province_code)
    if principal.role is Role.provincial_official:
        check_province(principal, body.province_code or "")
    async with unit_of_work(request) as session:
        return await commands.invite_buyers(
            session, runtime_of(request).outbox, event_kind=body.event_kind,
            event_id=body.event_id, session_date=body.session_date,
            province_code=body.province_code, product_ids=body.product_ids,
            today=today_in_vietnam())


@router.get("/catalogue/gifts", response_model=Page[CertifiedProductOut])
async def gift_catalogue(request: Request,
                         province_code: str = Query(description="e.g. 01 for Hà Nội"),
                         page: PageParams = Depends(page_params),
                         _: Principal = Depends(everyone)) -> dict:
    """The province's certified products fit for gifts and local specialties (an illustrative
    list of product sets), 3+ stars, active certificate; most stars first, then by name."""
    check_province_code(province_code)
    async with unit_of_work(request) as session:
        return await commands.gift_catalogue(session, province_code, today_in_vietnam(), page)
