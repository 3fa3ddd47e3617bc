"""Response bodies of the promotion service's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel

from ..domain.ceremonies import CeremonyStatus


class CeremonyOut(BaseModel):
    id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    venue: str
    status: CeremonyStatus
    capacity: int
    product_count: int
    created_at: datetime


class CeremonyProductOut(BaseModel):
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int
    decision_number: str
    added_at: datetime


class CeremonyDetail(CeremonyOut):
    products: list[CeremonyProductOut]
