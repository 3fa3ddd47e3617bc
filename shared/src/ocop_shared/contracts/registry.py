"""Events the registry publishes (stream OCOP_REGISTRY)."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from .base import Event


class ProducerRegistered(Event, service="registry", entity="producer"):
    """A producer (chủ thể OCOP) joined the provincial register."""

    producer_id: uuid.UUID
    name: str
    kind: str
    province_code: str
    commune_code: str | None = None
    email: str | None = None
    phone: str | None = None


class ProductRegistered(Event, service="registry", entity="product"):
    product_id: uuid.UUID
    product_code: str
    producer_id: uuid.UUID
    name: str
    product_set: str
    province_code: str


class ProductSubmittedForEvaluation(Event, service="registry", entity="product"):
    """A product's complete dossier was submitted; evaluation routes it to a council round."""

    product_id: uuid.UUID
    product_code: str
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    commune_code: str | None = None
    product_set: str
    self_score: float | None = Field(None, ge=0, le=100)
    submitted_on: date
