"""The registry's HTTP API: thin translation from HTTP to commands and queries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.errors import Forbidden, NotFound
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import String, select

from ..adapters.tables import producers, products
from ..domain.producers import ProducerKind
from ..domain.products import ProductStatus
from ..domain.search import like_pattern
from ..service_layer import commands
from .schemas import (
    DeactivateIn,
    ProducerFields,
    ProducerIn,
    ProducerOut,
    ProducerPatch,
    ProductIn,
    ProductOut,
    PublicProduct,
    SubmitIn,
)

router = APIRouter()

officials = require(Role.operator, Role.provincial_official)
readers = require(Role.operator, Role.provincial_official, Role.council_member, Role.integration,
                  Role.producer)
producers_or_officials = require(Role.operator, Role.provincial_official, Role.producer)
officials_and_readers = require(Role.operator, Role.provincial_official, Role.council_member,
                                Role.integration)


def _scoped_province(principal: Principal, asked: str | None) -> str | None:
    """The province a listing is limited to: officials and council members get their own
    (asking for another is 403; a token without a province sees nothing)."""
    if principal.role in (Role.provincial_official, Role.council_member):
        if asked not in (None, principal.province_code):
            check_province(principal, asked)
        return principal.province_code or "-"
    return asked


def _check_producer_access(principal: Principal, producer: dict) -> None:
    check_province(principal, producer["province_code"])
    if principal.role is Role.producer and principal.producer_id != str(producer["id"]):
        raise Forbidden("forbidden", "a producer may only act on its own products")


@router.post("/producers", status_code=status.HTTP_201_CREATED, response_model=ProducerOut,
             tags=["producers"])
async def register_producer(
    body: ProducerIn, request: Request, principal: Principal = Depends(officials)
) -> dict:
    """Register a producer. Its registration (type and number) must be new: a duplicate is
    refused (409) naming the producer that holds it."""
    check_province(principal, body.province_code)
    async with unit_of_work(request) as session:
        return await commands.register_producer(
            session, runtime_of(request).outbox, body.model_dump(mode="json")
        )


@router.get("/producers", response_model=Page[ProducerOut], tags=["producers"])
async def list_producers(
    request: Request,
    province_code: str | None = None,
    commune_code: str | None = None,
    kind: ProducerKind | None = None,
    active: bool | None = None,
    q: str | None = Query(None, max_length=200,
                          description="Words of the name, registration number or "
                                      "representative; accents optional ('mat ong')"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(officials_and_readers),
) -> dict:
    """Producers, by name; officials and council members see their own province only."""
    query = select(producers)
    province_code = _scoped_province(principal, province_code)
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if commune_code:
        query = query.where(producers.c.commune_code == commune_code)
    if kind is not None:
        query = query.where(producers.c.kind == kind.value)
    if active is not None:
        query = query.where(producers.c.active == active)
    if q:
        query = query.where(producers.c.search_text.like(like_pattern(q)))
    async with unit_of_work(request) as session:
        return await paginate(session, query.order_by(producers.c.name, producers.c.id), page)


@router.patch("/producers/{producer_id}", response_model=ProducerOut, tags=["producers"])
async def update_producer(
    producer_id: uuid.UUID, body: ProducerPatch, request: Request,
    principal: Principal = Depends(officials),
) -> dict:
    """Change some fields; the record that results is validated as a whole (a new commune
    must lie in the province, a new number must be free)."""
    async with unit_of_work(request) as session:
        current = await commands.get_producer(session, producer_id)
        check_province(principal, current["province_code"])
        changes = body.model_dump(exclude_unset=True)
        merged_in = {k: current[k] for k in ProducerFields.model_fields} | changes
        try:
            merged = ProducerFields.model_validate(merged_in).model_dump(mode="json")
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors, body=changes) from None
        check_province(principal, merged["province_code"])
        changed = [k for k in changes if merged[k] != current[k]]
        return await commands.update_producer(
            session, runtime_of(request).outbox, producer_id, merged, changed
        )


@router.post("/producers/{producer_id}/deactivate", response_model=ProducerOut,
             tags=["producers"])
async def deactivate_producer(
    producer_id: uuid.UUID, body: DeactivateIn, request: Request,
    principal: Principal = Depends(officials),
) -> dict:
    """Take a producer out of the programme: it can register and submit nothing more."""
    async with unit_of_work(request) as session:
        current = await commands.get_producer(session, producer_id)
        check_province(principal, current["province_code"])
        return await commands.deactivate_producer(
            session, runtime_of(request).outbox, producer_id, body.reason
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
    province_code = _scoped_province(principal, province_code)
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
