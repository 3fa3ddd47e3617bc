"""Events the registry publishes (stream OCOP_REGISTRY)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

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
    dossier_items: list[str] = Field(
        default_factory=list, description="Codes of the document types the dossier holds")
    reason: Literal["first", "renewal", "upgrade"] = Field(
        "first", description="first: never certified; renewal: its certificate expired or was "
                             "revoked; upgrade: certified, re-evaluated for more stars")
    current_stars: int | None = Field(None, ge=3, le=5,
                                      description="The stars it holds (upgrade only)")


class CertificateIssued(Event, service="registry", entity="certificate"):
    """The register issued a certificate on a recognition decision; a product's previous
    active certificate is superseded by it."""

    certificate_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    stars: int = Field(ge=3, le=5)
    level: str
    decision_number: str
    decision_date: date
    valid_until: date
    authority: str
    product_name: str | None = Field(None, description="What the register shows")
    product_set: str | None = Field(None, description="Its product set code, e.g. tea")
    province_code: str | None = Field(None, description="The producer's province")
    commune_code: str | None = Field(None, description="The producer's commune")


class CertificateExpiringSoon(Event, service="registry", entity="certificate"):
    """A reminder (once per lead time, e.g. 90 and 30 days before): the certificate ends on
    `valid_until` unless the product is re-evaluated."""

    certificate_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    stars: int
    valid_until: date
    days_left: int = Field(ge=0)


class CertificateExpired(Event, service="registry", entity="certificate"):
    """The certificate reached `valid_until`: the product loses the OCOP mark and stars."""

    certificate_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    stars: int
    valid_until: date


class CertificateRevoked(Event, service="registry", entity="certificate"):
    """A decision revoked the certificate (after an inspection or a failed re-evaluation)."""

    certificate_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    stars: int
    decision_number: str
    decision_date: date
    reason: str


class CertificateStarsChanged(Event, service="registry", entity="certificate"):
    """A decision downgraded the certificate to fewer stars; its validity is unchanged."""

    certificate_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_code: str
    previous_stars: int
    stars: int = Field(ge=3, le=5)
    decision_number: str
    decision_date: date
    reason: str
    valid_until: date


class InspectionRecorded(Event, service="registry", entity="inspection"):
    """A post-certification inspection (kiểm tra, hậu kiểm) of a producer's facility was
    recorded: its outcome (compliant, fix_by_deadline with a `deadline`,
    recommend_reevaluation or recommend_revocation) for the certified products it covered."""

    inspection_id: uuid.UUID
    producer_id: uuid.UUID
    province_code: str
    product_ids: list[uuid.UUID]
    inspected_on: date
    outcome: str = Field(description="compliant, fix_by_deadline, recommend_reevaluation or "
                                     "recommend_revocation")
    deadline: date | None = Field(None, description="When the failures must be fixed "
                                                    "(fix_by_deadline only)")
    failed_items: list[str] = Field(default_factory=list,
                                    description="Codes of the checklist items that failed")
    findings: str = Field(description="A short summary of the findings")
