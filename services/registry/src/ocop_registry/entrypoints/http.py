"""The registry's HTTP API: thin translation from HTTP to commands and queries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, status
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.errors import Forbidden, NotFound
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import String, select

from ..adapters.tables import producers, products
from ..domain.products import ProductStatus
from ..service_layer import commands
from .schemas import ProducerIn, ProducerOut, ProductIn, ProductOut, PublicProduct, SubmitIn

router = APIRouter()

officials = require(Role.operator, Role.provincial_official)
readers = require(Role.operator, Role.provincial_official, Role.council_member, Role.integration,
                  Role.producer)
producers_or_officials = require(Role.operator, Role.provincial_official, Role.producer)


def _check_producer_access(principal: Principal, producer: dict) -> None:
    check_province(principal, producer["province_code"])
    if principal.role is Role.producer and principal.producer_id != str(producer["id"]):
        raise Forbidden("forbidden", "a producer may only act on its own products")


@router.post("/producers", status_code=status.HTTP_201_CREATED, response_model=ProducerOut,
             tags=["producers"])
async def register_producer(
    body: ProducerIn, request: Request, principal: Principal = Depends(officials)
) -> dict:
    check_province(principal, body.province_code)
    async with unit_of_work(request) as session:
        return await commands.register_producer(
            session, runtime_of(request).outbox, body.model_dump(mode="json")
        )


@router.get("/producers/{producer_id}", response_model=ProducerOut, tags=["producers"])
async def get_producer(
    producer_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        producer = await commands.get_producer(session, producer_id)
    _check_producer_access(principal, producer)
    return producer


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut,
             tags=["products"])
async def register_product(
    body: ProductIn, request: Request, principal: Principal = Depends(producers_or_officials)
) -> dict:
    async with unit_of_work(request) as session:
        _check_producer_access(principal, await commands.get_producer(session, body.producer_id))
        return await commands.register_product(
            session, runtime_of(request).outbox, body.model_dump()
        )


@router.get("/products", response_model=Page[ProductOut], tags=["products"])
async def list_products(
    request: Request,
    status_filter: ProductStatus | None = Query(None, alias="status"),
    province_code: str | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    query = select(products).join(producers, producers.c.id == products.c.producer_id)
    if principal.role is Role.producer:
        query = query.where(products.c.producer_id.cast(String) == (principal.producer_id or ""))
    if principal.role in (Role.provincial_official, Role.council_member):
        if province_code not in (None, principal.province_code):
            check_province(principal, province_code)
        province_code = principal.province_code or "-"  # no province in the token: nothing
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if status_filter:
        query = query.where(products.c.status == status_filter.value)
    async with unit_of_work(request) as session:
        return await paginate(session, query.order_by(products.c.created_at, products.c.id), page)


@router.get("/products/{product_id}", response_model=ProductOut, tags=["products"])
async def get_product(
    product_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        product = await commands.get_product(session, product_id)
        _check_producer_access(principal, await commands.get_producer(session,
                                                                     product["producer_id"]))
    return product


@router.post("/products/{product_id}/submit", response_model=ProductOut, tags=["products"])
async def submit_product(
    product_id: uuid.UUID, body: SubmitIn, request: Request,
    principal: Principal = Depends(producers_or_officials),
) -> dict:
    async with unit_of_work(request) as session:
        product = await commands.get_product(session, product_id)
        _check_producer_access(principal, await commands.get_producer(session,
                                                                     product["producer_id"]))
        return await commands.submit_product(
            session, runtime_of(request).outbox, product_id, body.self_score
        )


@router.get("/public/products/{code}", response_model=PublicProduct, tags=["public"])
async def public_lookup(code: str, request: Request) -> dict:
    """Anonymous: what the QR code on a package opens."""
    async with unit_of_work(request) as session:
        row = (
            await session.execute(
                select(
                    products.c.code, products.c.name, producers.c.name.label("producer"),
                    producers.c.province_code, products.c.status, products.c.stars,
                    products.c.decision_number, products.c.decision_date,
                )
                .join(producers, producers.c.id == products.c.producer_id)
                .where(products.c.code == code)
            )
        ).first()
    if row is None:
        raise NotFound("product_not_found", f"no product with code {code}", field="code")
    return row._asdict()
