"""Request and response bodies of the promotion service's HTTP API (ceremonies)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..domain.ceremonies import CeremonyStatus


class CeremonyOut(BaseModel):
    id: uuid.UUID
    authority: str
    level: str
    province_code: str
    ceremony_date: date
    venue: str
    status: CeremonyStatus
    capacity: int
    product_count: int
    cancel_reason: str | None = None
    created_at: datetime


class CeremonyProductOut(BaseModel):
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int
    decision_number: str
    decision_date: date | None = None
    displayed: bool
    added_at: datetime


class CeremonySessionOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    topic: str


class CeremonyDetail(CeremonyOut):
    products: list[CeremonyProductOut]
    sessions: list[CeremonySessionOut]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RescheduleIn(_In):
    ceremony_date: date
    venue: str | None = Field(None, min_length=1, max_length=300)
    reason: str | None = Field(None, min_length=1, max_length=500)


class MoveIn(_In):
    product_ids: list[uuid.UUID] = Field(min_length=1)
    target_ceremony_id: uuid.UUID


class CancelIn(_In):
    reason: str = Field(min_length=1, max_length=500)


class DisplayIn(_In):
    product_ids: list[uuid.UUID]


class SessionIn(_In):
    starts_at: AwareDatetime
    topic: str = Field(min_length=1, max_length=300)


class SessionsIn(_In):
    sessions: list[SessionIn]
