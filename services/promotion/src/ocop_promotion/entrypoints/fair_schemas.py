"""Request and response bodies of the trade fair API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from ..domain.fairs import ApplicationStatus, FairLevel, FairStatus


class FairIn(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    level: FairLevel
    province_code: str | None = Field(None, max_length=4,
                                      description="Required for a provincial fair")
    venue: str = Field(min_length=1, max_length=300)
    starts_on: date
    ends_on: date
    booths: int = Field(ge=1, le=10000)
    min_stars: int | None = Field(None, ge=3, le=5)
    applications_close: datetime = Field(
        description="Deadline for applications (a time without offset is Vietnam's)")


class FairOut(BaseModel):
    id: uuid.UUID
    name: str
    level: FairLevel
    province_code: str | None
    venue: str
    starts_on: date
    ends_on: date
    booths: int
    min_stars: int | None
    applications_close: datetime
    status: FairStatus
    announced_by: str
    created_at: datetime
    allocated_at: datetime | None


class ApplicationIn(BaseModel):
    product_id: uuid.UUID


class ApplicationOut(BaseModel):
    id: uuid.UUID
    fair_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int
    province_code: str | None
    commune_code: str | None
    status: ApplicationStatus
    booth_number: int | None
    waitlist_position: int | None
    applied_by: str
    applied_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class FairDetail(FairOut):
    applications: int = Field(description="Applications still in the fair")
    allocated: list[ApplicationOut] = Field(description="Booths, by booth number")
    waitlist: list[ApplicationOut] = Field(description="The waitlist, by position")


class ProducerApplicationOut(ApplicationOut):
    fair_name: str
    level: FairLevel
    venue: str
    starts_on: date
    ends_on: date
