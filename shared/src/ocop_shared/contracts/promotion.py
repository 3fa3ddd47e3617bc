"""Events the promotion service publishes (stream OCOP_PROMOTION)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict

from .base import Event


class CeremonyProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int


class CeremonyScheduled(Event, service="promotion", entity="ceremony"):
    """An announcement ceremony (lễ công bố) was planned for recognised products."""

    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    venue: str
    products: list[CeremonyProduct]


class ProductAddedToCeremony(Event, service="promotion", entity="ceremony"):
    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    venue: str
    product: CeremonyProduct
