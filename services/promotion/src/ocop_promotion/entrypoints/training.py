"""Training and awareness over HTTP, and the promotion report's counts.

Officials of a province (and operators) organise its courses, register participants, record
attendance and awareness items; the Ministry and integrations read everything; province-scoped
readers see only their own province."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import PROVINCE_SCOPED_ROLES, Principal, Role, check_province, require
from ocop_shared.pagination import Page, PageParams, page_params
from ocop_shared.runtime import unit_of_work
from pydantic import BaseModel, ConfigDict, Field

from ..domain.training import (
    AwarenessAudience,
    AwarenessKind,
    CourseAudience,
    CourseMode,
    ParticipantKind,
    check_period,
)
from ..service_layer import training

router = APIRouter(tags=["awareness and training"])

PROVINCE = Field(pattern=r"^[0-9]{2}$", description="Province code, e.g. 01")

organisers = require(Role.operator, Role.provincial_official,
                     action="organise training and awareness")
readers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                  Role.council_member, Role.producer, Role.integration)
staff = require(Role.operator, Role.provincial_official, Role.ministry_official,
                Role.integration)


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    audience: CourseAudience
    province_code: str = PROVINCE
    starts_on: date
    ends_on: date
    mode: CourseMode
    venue: str | None = Field(None, max_length=300)
    organiser: str = Field(min_length=1, max_length=300)
    trainer: str | None = Field(None, max_length=300)
    capacity: int = Field(ge=1, le=10_000)


class CourseOut(BaseModel):
    id: uuid.UUID
    title: str
    audience: CourseAudience
    province_code: str
    starts_on: date
    ends_on: date
    mode: CourseMode
    venue: str | None
    organiser: str
    trainer: str | None
    capacity: int
    participant_count: int
    created_by: str
    created_at: datetime


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: ParticipantKind
    organisation: str | None = Field(None, max_length=300)
    producer_id: uuid.UUID | None = None


class ParticipantOut(BaseModel):
    id: uuid.UUID
    course_id: uuid.UUID
    name: str
    kind: ParticipantKind
    organisation: str | None
    producer_id: uuid.UUID | None
    registered_by: str
    registered_at: datetime
    days_present: int


class AttendanceRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: uuid.UUID
    present: bool


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date
    records: list[AttendanceRecord] = Field(min_length=1, max_length=10_000)


class AttendanceOut(BaseModel):
    course_id: uuid.UUID
    day: date
    records: list[AttendanceRecord]


class AwarenessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AwarenessKind
    channel: str = Field(min_length=1, max_length=200,
                         description="Newspaper, radio or TV station, website, venue...")
    title: str = Field(min_length=1, max_length=300)
    audience: AwarenessAudience
    province_code: str = PROVINCE
    published_on: date
    reach: int | None = Field(None, ge=0, description="Views, listeners or attendees")


class AwarenessOut(AwarenessIn):
    id: uuid.UUID
    created_by: str
    created_at: datetime


class KindCount(BaseModel):
    items: int
    reach: int


class TrainingCounts(BaseModel):
    courses_held: int
    participants: int
    participants_by_audience: dict[ParticipantKind, int]
    participant_days_offered: int
    participant_days_present: int
    attendance_rate: float | None


class AwarenessCounts(BaseModel):
    items: int
    reach: int
    by_kind: dict[AwarenessKind, KindCount]


class PromotionReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    province_code: str | None
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    training: TrainingCounts
    awareness: AwarenessCounts


def scoped_province(principal: Principal, province_code: str | None) -> str | None:
    """The province a listing is limited to: a province-scoped reader's own (asking for another
    one, or having none, is 403), else the one asked for (None: every province)."""
    if principal.role in PROVINCE_SCOPED_ROLES:
        check_province(principal, province_code or principal.province_code or "")
        return principal.province_code
    return province_code


# ------------------------------------------------------------------------------- courses


@router.post("/training/courses", response_model=CourseOut, status_code=201)
async def create_course(body: CourseIn, request: Request,
                        principal: Principal = Depends(organisers)) -> dict:
    """A training course (lớp tập huấn) in the caller's province."""
    check_province(principal, body.province_code)
    async with unit_of_work(request) as session:
        return await training.create_course(session, principal, body.model_dump())


@router.get("/training/courses", response_model=Page[CourseOut])
async def list_courses(
    request: Request, province_code: str | None = None, audience: CourseAudience | None = None,
    start: date | None = Query(None, alias="from", description="Courses ending on or after"),
    end: date | None = Query(None, alias="to", description="Courses starting on or before"),
    page: PageParams = Depends(page_params), principal: Principal = Depends(readers),
) -> dict:
    """Courses, earliest first."""
    if start and end:
        check_period(start, end)
    province_code = scoped_province(principal, province_code)
    async with unit_of_work(request) as session:
        return await training.list_courses(
            session, page, province_code=province_code,
            audience=audience.value if audience else None, start=start, end=end)


@router.get("/training/courses/{course_id}", response_model=CourseOut)
async def get_course(course_id: uuid.UUID, request: Request,
                     principal: Principal = Depends(readers)) -> dict:
    async with unit_of_work(request) as session:
        course = await training.get_course(session, course_id)
    scoped_province(principal, course["province_code"])
    return course


# -------------------------------------------------------------------------- participants


@router.post("/training/courses/{course_id}/participants", response_model=ParticipantOut,
             status_code=201)
async def register_participant(course_id: uuid.UUID, body: ParticipantIn, request: Request,
                               principal: Principal = Depends(organisers)) -> dict:
    """Register a participant: one of the course's audience, while there is room, once."""
    async with unit_of_work(request) as session:
        course = await training.get_course(session, course_id, lock=True)
        check_province(principal, course["province_code"])
        return await training.register_participant(session, principal, course,
                                                   body.model_dump())


@router.get("/training/courses/{course_id}/participants", response_model=Page[ParticipantOut])
async def list_participants(course_id: uuid.UUID, request: Request,
                            page: PageParams = Depends(page_params),
                            principal: Principal = Depends(staff)) -> dict:
    """The course's participants with the number of days each attended."""
    async with unit_of_work(request) as session:
        course = await training.get_course(session, course_id)
        check_province(principal, course["province_code"])
        return await training.list_participants(session, course_id, page)


@router.put("/training/courses/{course_id}/attendance", response_model=AttendanceOut)
async def record_attendance(course_id: uuid.UUID, body: AttendanceIn, request: Request,
                            principal: Principal = Depends(organisers)) -> dict:
    """Who was present on one day of the course (recording a day again overwrites it)."""
    async with unit_of_work(request) as session:
        course = await training.get_course(session, course_id, lock=True)
        check_province(principal, course["province_code"])
        records = await training.record_attendance(
            session, principal, course, body.day, [r.model_dump() for r in body.records])
    return {"course_id": course_id, "day": body.day, "records": records}


# ----------------------------------------------------------------------------- awareness


@router.post("/awareness", response_model=AwarenessOut, status_code=201)
async def create_awareness_item(body: AwarenessIn, request: Request,
                                principal: Principal = Depends(organisers)) -> dict:
    """An article, broadcast or event making the OCOP programme known."""
    check_province(principal, body.province_code)
    async with unit_of_work(request) as session:
        return await training.create_awareness_item(session, principal, body.model_dump())


@router.get("/awareness", response_model=Page[AwarenessOut])
async def list_awareness_items(
    request: Request, province_code: str | None = None, kind: AwarenessKind | None = None,
    start: date | None = Query(None, alias="from"), end: date | None = Query(None, alias="to"),
    page: PageParams = Depends(page_params), principal: Principal = Depends(readers),
) -> dict:
    """Awareness items, latest first."""
    if start and end:
        check_period(start, end)
    province_code = scoped_province(principal, province_code)
    async with unit_of_work(request) as session:
        return await training.list_awareness_items(
            session, page, province_code=province_code, kind=kind.value if kind else None,
            start=start, end=end)


# -------------------------------------------------------------------------------- report


@router.get("/reports/promotion", response_model=PromotionReport, tags=["reports"])
async def promotion_report(
    request: Request, province_code: str | None = None,
    start: date = Query(alias="from"), end: date = Query(alias="to"),
    principal: Principal = Depends(staff),
) -> dict:
    """Counts for the yearly report of a province (every province when none is given; a
    provincial official's own): courses held (started in the period), participants by
    audience, attendance rate, awareness items by kind and their reach."""
    province_code = scoped_province(principal, province_code)
    async with unit_of_work(request) as session:
        return await training.promotion_report(session, province_code=province_code,
                                               start=start, end=end)
