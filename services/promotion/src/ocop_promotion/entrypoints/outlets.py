"""OCOP outlets over HTTP: officials of the province (or operators) open outlets and list or
remove certified products; everyone signed in may look up where to buy a product."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.places import check_commune, province_name
from ocop_shared.pagination import Page, PageParams, page_params
from ocop_shared.runtime import runtime_of, unit_of_work
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ..domain.outlets import OutletKind
from ..service_layer import outlets as commands

router = APIRouter(tags=["outlets"])

managers = require(Role.operator, Role.provincial_official, action="manage OCOP outlets")
everyone = require()  # every role, producers and integrations included

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{9,15}$")]


class OutletIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    kind: OutletKind
    province_code: str = Field(pattern=r"^\d{2}$", description="One of the 34 provinces")
    commune_code: str = Field(pattern=r"^\d{5}$", description="A commune/ward of that province")
    street_address: Text = Field(description="House number, street, hamlet")
    operator_name: Text = Field(description="Who runs the outlet (company, cooperative...)")
    contact_name: Text | None = None
    phone: Phone | None = None
    email: EmailStr | None = None


class OutletOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: OutletKind
    province_code: str
    province_name: str
    commune_code: str
    commune_name: str
    street_address: str
    operator_name: str
    contact_name: str | None
    phone: str | None
    email: str | None
    created_at: datetime


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: uuid.UUID


class ListingOut(BaseModel):
    outlet_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int
    listed_at: datetime


class OutletDetail(OutletOut):
    listings: list[ListingOut]


class SellingOutlet(OutletOut):
    listed_at: datetime


def _named(outlet: dict) -> dict:
    """The outlet with its province's and commune's names (for showing the address)."""
    return {**outlet, "province_name": province_name(outlet["province_code"]),
            "commune_name": check_commune(outlet["province_code"], outlet["commune_code"])}


def _named_page(page: dict) -> dict:
    return {**page, "items": [_named(o) for o in page["items"]]}


@router.post("/outlets", status_code=201, response_model=OutletDetail)
async def open_outlet(body: OutletIn, request: Request,
                      principal: Principal = Depends(managers)) -> dict:
    """Open an OCOP outlet (showroom, point of sale, tourist-site shop, gift shop)."""
    check_province(principal, body.province_code)
    async with unit_of_work(request) as session:
        outlet = await commands.open_outlet(session, body.model_dump(mode="json"))
    return _named({**outlet, "listings": []})


@router.get("/outlets", response_model=Page[OutletOut])
async def list_outlets(request: Request, province_code: str | None = None,
                       kind: OutletKind | None = None, page: PageParams = Depends(page_params),
                       _: Principal = Depends(everyone)) -> dict:
    """Outlets by name, optionally of one province and kind."""
    async with unit_of_work(request) as session:
        return _named_page(await commands.list_outlets(
            session, province_code=province_code, kind=kind.value if kind else None, page=page))


@router.get("/outlets/{outlet_id}", response_model=OutletDetail)
async def get_outlet(outlet_id: uuid.UUID, request: Request,
                     _: Principal = Depends(everyone)) -> dict:
    """An outlet with the certified products it lists now."""
    async with unit_of_work(request) as session:
        return _named(await commands.outlet_with_listings(session, outlet_id))


@router.post("/outlets/{outlet_id}/listings", status_code=201, response_model=ListingOut)
async def list_product(outlet_id: uuid.UUID, body: ListingIn, request: Request,
                       principal: Principal = Depends(managers)) -> dict:
    """List a product holding an active, valid certificate (-> ProductListed); 404/409 naming
    `product_id` when it holds none, its certificate is not active, or it is listed already."""
    async with unit_of_work(request) as session:
        outlet = await commands.get_outlet(session, outlet_id)
        check_province(principal, outlet["province_code"])
        return await commands.list_product(session, runtime_of(request).outbox, outlet,
                                           body.product_id, today_in_vietnam())


@router.delete("/outlets/{outlet_id}/listings/{product_id}", status_code=204)
async def remove_product(outlet_id: uuid.UUID, product_id: uuid.UUID, request: Request,
                         principal: Principal = Depends(managers)) -> Response:
    """Take a product off the outlet's shelves (-> ProductDelisted, reason "removed")."""
    async with unit_of_work(request) as session:
        outlet = await commands.get_outlet(session, outlet_id)
        check_province(principal, outlet["province_code"])
        await commands.remove_product(session, runtime_of(request).outbox, outlet, product_id)
    return Response(status_code=204)


@router.get("/products/{product_id}/outlets", response_model=Page[SellingOutlet])
async def where_to_buy(product_id: uuid.UUID, request: Request,
                       page: PageParams = Depends(page_params),
                       _: Principal = Depends(everyone)) -> dict:
    """Where to buy this product: the outlets listing it now, with their addresses. Readable
    by every role (the shared auth has no anonymous access outside the registry's lookup)."""
    async with unit_of_work(request) as session:
        return _named_page(await commands.outlets_selling(session, product_id, page))
