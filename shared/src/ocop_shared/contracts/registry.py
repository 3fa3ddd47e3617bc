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
    registration_type: str | None = None
    registration_number: str | None = None
    legal_representative: str | None = None
    female_owned: bool = False
    ethnic_minority_owned: bool = False


class ProducerUpdated(Event, service="registry", entity="producer"):
    """A producer's details changed; the payload is the whole record as it now stands."""

    producer_id: uuid.UUID
    name: str
    kind: str
    province_code: str
    commune_code: str | None = None
    email: str | None = None
    phone: str | None = None
    registration_type: str
    registration_number: str
    legal_representative: str | None = None
    female_owned: bool = False
    ethnic_minority_owned: bool = False
    changed: list[str] = Field(description="The fields this update changed")


class ProducerDeactivated(Event, service="registry", entity="producer"):
    """A producer left the programme (dissolved, merged, withdrew): it can register and submit
    nothing more; its records stay."""

    producer_id: uuid.UUID
    reason: str


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
