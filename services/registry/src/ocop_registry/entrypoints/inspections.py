"""The inspections' HTTP API (kiểm tra, hậu kiểm): plan an inspection of a producer's
facility for its certified products, record what it found, list and read them. Officials of
the producer's province (or an operator) write; readers read."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request, status
from ocop_shared.auth import Principal, Role, check_province
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String

from ..adapters import inspection_tables  # noqa: F401  (the tables, on the registry's metadata)
from ..adapters.inspection_tables import inspections
from ..adapters.tables import producers
from ..domain.inspections import ChecklistItem, InspectionStatus, ItemResult, Outcome
from ..service_layer import commands
from ..service_layer import inspections as service
from .access import check_producer_access, officials, readers, scoped_province


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class InspectionPlanIn(_In):
    producer_id: uuid.UUID
    planned_on: date
    product_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=200,
        description="The producer's certified products the inspection covers")
    inspectors: list[str] = Field(default_factory=list, max_length=20)


class ItemResultIn(_In):
    item: ChecklistItem = Field(description="A checklist item code (GET /inspection-checklist)")
    result: ItemResult
    note: str | None = Field(None, max_length=2000,
                             description="Required when the item failed")
    product_id: uuid.UUID | None = Field(
        None, description="The covered product the result is about; none for the facility")


class ProductUnderDevelopment(_In):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=2000)


class StarRaisingPlan(_In):
    process: str = Field(min_length=1, max_length=100,
                         description="ISO, HACCP, VietGAP, organic... (free text)")
    product_id: uuid.UUID | None = None
    target_stars: int | None = Field(None, ge=3, le=5)
    note: str | None = Field(None, max_length=2000)


class InspectionRecordIn(_In):
    inspected_on: date
    inspectors: list[str] | None = Field(None, max_length=20)
    items: list[ItemResultIn] = Field(min_length=1, max_length=500)
    outcome: Outcome
    deadline: date | None = Field(None, description="Required with fix_by_deadline, after "
                                                    "inspected_on; refused otherwise")
    findings: str | None = Field(None, max_length=10000)
    products_under_development: list[ProductUnderDevelopment] = Field(default_factory=list,
                                                                      max_length=100)
    star_raising_plans: list[StarRaisingPlan] = Field(default_factory=list, max_length=100)


class ItemResultOut(BaseModel):
    item: str
    name_vi: str
    product_id: uuid.UUID | None
    result: str
    note: str | None


class InspectionOut(BaseModel):
    id: uuid.UUID
    producer_id: uuid.UUID
    producer_name: str
    province_code: str
    planned_on: date
    inspected_on: date | None
    inspectors: list[str]
    status: InspectionStatus
    outcome: Outcome | None
    deadline: date | None
    findings: str | None
    products_under_development: list[dict]
    star_raising_plans: list[dict]
    product_ids: list[uuid.UUID]
    items: list[ItemResultOut]
    planned_by: str | None
    recorded_by: str | None
    recorded_at: datetime | None
    created_at: datetime


class ChecklistItemOut(BaseModel):
    code: str
    name_vi: str


router = APIRouter(tags=["inspections"])


@router.get("/inspection-checklist", response_model=list[ChecklistItemOut])
async def checklist(principal: Principal = Depends(readers)) -> list[dict]:
    """What an inspection checks (domain.md section 7), as codes with Vietnamese names."""
    return [{"code": i.value, "name_vi": i.name_vi} for i in ChecklistItem]


@router.post("/inspections", status_code=status.HTTP_201_CREATED, response_model=InspectionOut)
async def plan_inspection(
    body: InspectionPlanIn, request: Request, principal: Principal = Depends(officials)
) -> dict:
    """Plan an inspection of a producer's facility covering some of its certified products:
    422 naming `product_ids.N` for an unknown product or another producer's, 409 for one
    that is not certified."""
    async with unit_of_work(request) as session:
        producer = await commands.get_producer(session, body.producer_id)
        check_province(principal, producer["province_code"])
        return await service.plan_inspection(session, body.model_dump(), principal.subject)


@router.post("/inspections/{inspection_id}/record", response_model=InspectionOut)
async def record_inspection(
    inspection_id: uuid.UUID, body: InspectionRecordIn, request: Request,
    principal: Principal = Depends(officials),
) -> dict:
    """Record what the inspection found: the checklist results, the outcome (compliant needs
    no failed item; fix_by_deadline needs a deadline after the inspection and a failed
    item), findings, products under development and plans to raise stars. Publishes
    InspectionRecorded. 409 when already recorded."""
    async with unit_of_work(request) as session:
        current = await service.get_inspection(session, inspection_id)
        check_province(principal, current["province_code"])
        return await service.record_inspection(
            session, runtime_of(request).outbox, inspection_id, body.model_dump(mode="json")
            | {"inspected_on": body.inspected_on, "deadline": body.deadline},
            principal.subject)


@router.get("/inspections", response_model=Page[InspectionOut])
async def list_inspections(
    request: Request,
    province_code: str | None = None,
    producer_id: uuid.UUID | None = None,
    status_filter: InspectionStatus | None = Query(None, alias="status"),
    outcome: Outcome | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(readers),
) -> dict:
    """Inspections, latest planned first; officials and council members see their own
    province only, a producer its own."""
    query = service.inspection_query()
    if principal.role is Role.producer:
        query = query.where(
            inspections.c.producer_id.cast(String) == (principal.producer_id or ""))
    province_code = scoped_province(principal, province_code)
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if producer_id is not None:
        query = query.where(inspections.c.producer_id == producer_id)
    if status_filter is not None:
        query = query.where(inspections.c.status == status_filter.value)
    if outcome is not None:
        query = query.where(inspections.c.outcome == outcome.value)
    async with unit_of_work(request) as session:
        found = await paginate(
            session, query.order_by(inspections.c.planned_on.desc(), inspections.c.id), page)
        found["items"] = await service.with_details(session, found["items"])
    return found


@router.get("/inspections/{inspection_id}", response_model=InspectionOut)
async def get_inspection(
    inspection_id: uuid.UUID, request: Request, principal: Principal = Depends(readers)
) -> dict:
    async with unit_of_work(request) as session:
        inspection = await service.get_inspection(session, inspection_id)
    check_producer_access(principal, {"id": inspection["producer_id"],
                                       "province_code": inspection["province_code"]})
    return inspection
