"""The registry's HTTP API: thin translation from HTTP to commands and queries."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.exceptions import RequestValidationError
from ocop_shared.auth import Principal, Role, check_province
from ocop_shared.contracts.classification import CLASSIFICATION, Classification
from ocop_shared.errors import NotFound
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from pydantic import BaseModel, ValidationError
from sqlalchemy import String, case, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import certificates, producers, products
from ..domain.certificates import CertificateStatus
from ..domain.producers import ProducerKind
from ..domain.products import ProductStatus
from ..domain.search import like_pattern
from ..service_layer import commands
from .access import (
    check_producer_access,
    officials,
    officials_and_readers,
    producer_for,
    producers_or_officials,
    product_for,
    readers,
    scoped_province,
)
from .schemas import (
    CertificateOut,
    DeactivateIn,
    DowngradeIn,
    GroupCode,
    ProducerFields,
    ProducerIn,
    ProducerOut,
    ProducerPatch,
    ProductFields,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductSetCode,
    PublicProduct,
    RevokeIn,
    StandardsIn,
    SubmitIn,
)

router = APIRouter()

def _revalidated(model: type[BaseModel], merged: dict, changes: dict) -> dict:
    """`merged` (a stored record with a partial update applied) validated as a whole by
    `model`; a 422 naming the body's fields at fault otherwise."""
    try:
        return model.model_validate(merged).model_dump(mode="json")
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors, body=changes) from None


async def _shown(session: AsyncConnection, product: dict) -> dict:
    """A product as the API shows it: with its standards."""
    return (await commands.with_standards(session, [product]))[0]


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
    province_code = scoped_province(principal, province_code)
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
        merged = _revalidated(
            ProducerFields, {k: current[k] for k in ProducerFields.model_fields} | changes, changes)
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
    check_producer_access(principal, producer)
    return producer


@router.get("/product-sets", response_model=Classification, tags=["products"])
async def product_sets(principal: Principal = Depends(readers)) -> Classification:
    """The product classification (groups I-VI and their product sets) products are
    registered with; its `status` says whether the list is the official one."""
    return CLASSIFICATION


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut,
             tags=["products"])
async def register_product(
    body: ProductIn, request: Request, principal: Principal = Depends(producers_or_officials)
) -> dict:
    """Register a draft product of a producer, in a product set of the classification (its
    group follows), with the standards it holds."""
    async with unit_of_work(request) as session:
        await producer_for(session, principal, body.producer_id)
        created = await commands.register_product(
            session, runtime_of(request).outbox, body.model_dump()
        )
        return await _shown(session, created)


@router.get("/products", response_model=Page[ProductOut], tags=["products"])
async def list_products(
    request: Request,
    status_filter: ProductStatus | None = Query(None, alias="status"),
    province_code: str | None = None,
    commune_code: str | None = Query(None, description="The producer's commune/ward"),
    producer_id: uuid.UUID | None = None,
    group: GroupCode | None = Query(None, description="I to VI"),
    product_set: ProductSetCode | None = Query(None, description="A code of GET /product-sets"),
    q: str | None = Query(None, max_length=200,
                          description="Words of the product's name; accents optional "
                                      "('mat ong' finds 'Mật ong')"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    """Products, oldest first; officials and council members see their own province only,
    a producer its own products."""
    query = select(products).join(producers, producers.c.id == products.c.producer_id)
    if principal.role is Role.producer:
        query = query.where(products.c.producer_id.cast(String) == (principal.producer_id or ""))
    province_code = scoped_province(principal, province_code)
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if commune_code:
        query = query.where(producers.c.commune_code == commune_code)
    if producer_id is not None:
        query = query.where(products.c.producer_id == producer_id)
    if status_filter:
        query = query.where(products.c.status == status_filter.value)
    if group:
        query = query.where(products.c.product_group == group)
    if product_set:
        query = query.where(products.c.product_set == product_set)
    if q:
        query = query.where(products.c.search_text.like(like_pattern(q)))
    async with unit_of_work(request) as session:
        found = await paginate(session, query.order_by(products.c.created_at, products.c.id), page)
        found["items"] = await commands.with_standards(session, found["items"])
    return found


@router.patch("/products/{product_id}", response_model=ProductOut, tags=["products"])
async def update_product(
    product_id: uuid.UUID, body: ProductPatch, request: Request,
    principal: Principal = Depends(producers_or_officials),
) -> dict:
    """Change the name, description or product set (the group follows the set). Refused
    (409) while the product is under evaluation, and for the name or set of a certified
    product."""
    async with unit_of_work(request) as session:
        current = await product_for(session, principal, product_id)
        changes = body.model_dump(exclude_unset=True)
        merged = _revalidated(
            ProductFields, {k: current[k] for k in ProductFields.model_fields} | changes, changes)
        changed = [k for k in changes if merged[k] != current[k]]
        updated = await commands.update_product(session, product_id, merged, changed)
        return await _shown(session, updated)


@router.put("/products/{product_id}/standards", response_model=ProductOut, tags=["products"])
async def replace_standards(
    product_id: uuid.UUID, body: StandardsIn, request: Request,
    principal: Principal = Depends(producers_or_officials),
) -> dict:
    """Replace the list of standards the product holds (an empty list removes them all).
    Refused (409) while the product is under evaluation."""
    async with unit_of_work(request) as session:
        await product_for(session, principal, product_id)
        updated = await commands.replace_standards(
            session, product_id, [s.model_dump() for s in body.standards])
        return await _shown(session, updated)


@router.get("/products/{product_id}", response_model=ProductOut, tags=["products"])
async def get_product(
    product_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        product = await product_for(session, principal, product_id)
        return await _shown(session, product)


@router.post("/products/{product_id}/submit", response_model=ProductOut, tags=["products"])
async def submit_product(
    product_id: uuid.UUID, body: SubmitIn, request: Request,
    principal: Principal = Depends(producers_or_officials),
) -> dict:
    async with unit_of_work(request) as session:
        await product_for(session, principal, product_id)
        submitted = await commands.submit_product(
            session, runtime_of(request).outbox, product_id, body.self_score
        )
        return await _shown(session, submitted)


@router.get("/public/products/{code}", response_model=PublicProduct, tags=["public"])
async def public_lookup(code: str, request: Request) -> dict:
    """Anonymous: what the QR code on a package opens, with its certificate's validity and
    status (the active certificate, else the latest one)."""
    async with unit_of_work(request) as session:
        row = (
            await session.execute(
                select(
                    products.c.id, products.c.code, products.c.name,
                    producers.c.name.label("producer"), producers.c.province_code,
                    products.c.status, products.c.stars, products.c.decision_number,
                    products.c.decision_date,
                )
                .join(producers, producers.c.id == products.c.producer_id)
                .where(products.c.code == code)
            )
        ).first()
        if row is None:
            raise NotFound("product_not_found", f"no product with code {code}", field="code")
        certificate = (
            await session.execute(
                select(certificates.c.valid_until, certificates.c.status)
                .where(certificates.c.product_id == row.id)
                .order_by(case((certificates.c.status == CertificateStatus.ACTIVE.value, 0),
                               else_=1),
                          certificates.c.created_at.desc())
                .limit(1)
            )
        ).first()
    shown = {k: v for k, v in row._asdict().items() if k != "id"}
    if certificate is not None:
        shown |= {"valid_until": certificate.valid_until,
                  "certificate_status": certificate.status}
    return shown


@router.get("/certificates", response_model=Page[CertificateOut], tags=["certificates"])
async def list_certificates(
    request: Request,
    province_code: str | None = None,
    status_filter: CertificateStatus | None = Query(None, alias="status"),
    expiring_before: date | None = Query(None, description="valid_until before this date"),
    product_id: uuid.UUID | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(officials_and_readers),
) -> dict:
    """The certificate register, soonest to end first; officials and council members see
    their own province only."""
    query = commands.certificate_query()
    province_code = scoped_province(principal, province_code)
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if status_filter is not None:
        query = query.where(certificates.c.status == status_filter.value)
    if expiring_before is not None:
        query = query.where(certificates.c.valid_until < expiring_before)
    if product_id is not None:
        query = query.where(certificates.c.product_id == product_id)
    async with unit_of_work(request) as session:
        return await paginate(
            session, query.order_by(certificates.c.valid_until, certificates.c.id), page)


@router.get("/certificates/{certificate_id}", response_model=CertificateOut,
            tags=["certificates"])
async def get_certificate(
    certificate_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        certificate = await commands.get_certificate(session, certificate_id)
        await producer_for(session, principal, certificate["producer_id"])
    return certificate


@router.post("/certificates/{certificate_id}/revoke", response_model=CertificateOut,
             tags=["certificates"])
async def revoke_certificate(
    certificate_id: uuid.UUID, body: RevokeIn, request: Request,
    principal: Principal = Depends(officials),
) -> dict:
    """Revoke an active certificate by a decision (after an inspection or a failed
    re-evaluation): the product becomes revoked. 409 unless the certificate is active."""
    async with unit_of_work(request) as session:
        current = await commands.get_certificate(session, certificate_id)
        check_province(principal, current["province_code"])
        return await commands.revoke_certificate(
            session, runtime_of(request).outbox, certificate_id, body.model_dump())


@router.post("/certificates/{certificate_id}/downgrade", response_model=CertificateOut,
             tags=["certificates"])
async def downgrade_certificate(
    certificate_id: uuid.UUID, body: DowngradeIn, request: Request,
    principal: Principal = Depends(officials),
) -> dict:
    """Lower an active certificate's stars by a decision (fewer than now, at least 3); its
    validity is unchanged. 409 unless the certificate is active and the stars go down."""
    async with unit_of_work(request) as session:
        current = await commands.get_certificate(session, certificate_id)
        check_province(principal, current["province_code"])
        return await commands.downgrade_certificate(
            session, runtime_of(request).outbox, certificate_id, body.model_dump())
