"""Request and response bodies of the registry's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from ocop_shared.contracts.classification import all_groups, product_set
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from ocop_shared.contracts.places import check_commune, province_name
from ..domain.producers import (
    ProducerKind,
    RegistrationType,
    check_registration_type,
    normalise_registration_number,
)
from ..domain.products import Standard, check_distinct, check_validity

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]


Phone = Annotated[str, StringConstraints(pattern=r"^\+?\d{9,15}$")]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
CommuneCode = Annotated[str, StringConstraints(pattern=r"^\d{5}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ProducerFields(BaseModel):
    """Fields a producer is registered and updated with."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: ProducerKind
    registration_type: RegistrationType = RegistrationType.tax_code
    registration_number: Annotated[str, StringConstraints(min_length=1, max_length=50)] = Field(
        description="Tax code (10 or 10-3 digits), household business certificate number or "
                    "cooperation contract reference; unique within its registration type")
    legal_representative: Name
    phone: Phone | None = None
    email: EmailStr | None = None
    street_address: ShortText | None = Field(None, description="House number, street, hamlet")
    province_code: ProvinceCode = Field(description="One of the 34 provinces, e.g. 01 Hà Nội")
    commune_code: CommuneCode = Field(description="A current commune/ward of that province")
    legacy_district: ShortText | None = Field(
        None, description="District name from before 1 July 2025, kept as text")
    female_owned: bool = Field(False, description="Owned or run by women (148 bonus points)")
    ethnic_minority_owned: bool = Field(False, description="Owned by ethnic minority people")

    @field_validator("province_code")
    @classmethod
    def _province_exists(cls, code: str) -> str:
        province_name(code)
        return code

    @field_validator("commune_code")
    @classmethod
    def _commune_in_province(cls, code: str, info: ValidationInfo) -> str:
        province = info.data.get("province_code")
        if province is not None:
            check_commune(province, code)
        return code

    @field_validator("registration_number")
    @classmethod
    def _registration_format(cls, number: str, info: ValidationInfo) -> str:
        kind, registration = info.data.get("kind"), info.data.get("registration_type")
        if kind is None or registration is None:
            return number
        check_registration_type(kind, registration)
        return normalise_registration_number(registration, number)


class ProducerIn(ProducerFields):
    pass


class ProducerPatch(BaseModel):
    """A partial update: only the fields given change; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: ProducerKind | None = None
    registration_type: RegistrationType | None = None
    registration_number: str | None = None
    legal_representative: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    street_address: ShortText | None = None
    province_code: ProvinceCode | None = None
    commune_code: CommuneCode | None = None
    legacy_district: ShortText | None = None
    female_owned: bool | None = None
    ethnic_minority_owned: bool | None = None


class DeactivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                             max_length=500)]


class ProducerOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    registration_type: str
    registration_number: str
    legal_representative: str
    phone: str | None
    email: str | None
    street_address: str | None
    province_code: str
    commune_code: str
    legacy_district: str | None
    female_owned: bool
    ethnic_minority_owned: bool
    active: bool
    deactivation_reason: str | None
    created_at: datetime
    updated_at: datetime


def _known_product_set(code: str) -> str:
    try:
        product_set(code)
    except KeyError as exc:
        raise ValueError(str(exc)) from None
    return code


def _known_group(code: str) -> str:
    codes = [g.code for g in all_groups()]
    if code not in codes:
        raise ValueError(f"unknown product group {code!r}; groups are {', '.join(codes)}")
    return code


ProductSetCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_known_product_set),
]
"""A product set code from the shared classification, e.g. 'tea' (GET /product-sets)."""
GroupCode = Annotated[str, AfterValidator(_known_group)]
"""A product group, I to VI."""
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=5000)]


class StandardIn(BaseModel):
    """A standard the product is certified to, with the certificate that proves it."""

    model_config = ConfigDict(extra="forbid")

    standard: Standard
    name: ShortText | None = Field(None, validate_default=True,
                                   description="What the standard is; required for 'other'")
    certificate_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                         max_length=100)]
    issuer: ShortText = Field(description="The certification body")
    valid_from: date
    valid_until: date = Field(description="After valid_from")

    @field_validator("name")
    @classmethod
    def _other_is_named(cls, name: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("standard") is Standard.other and not name:
            raise ValueError("an 'other' standard needs its name, e.g. 'FSSC 22000'")
        return name

    @field_validator("valid_until")
    @classmethod
    def _after_start(cls, valid_until: date, info: ValidationInfo) -> date:
        valid_from = info.data.get("valid_from")
        if valid_from is not None:
            check_validity(valid_from, valid_until)
        return valid_until


def _distinct(standards: list[StandardIn]) -> list[StandardIn]:
    check_distinct((s.standard.value, s.certificate_number) for s in standards)
    return standards


Standards = Annotated[list[StandardIn], Field(max_length=30), AfterValidator(_distinct)]


class ProductFields(BaseModel):
    """Fields a product is registered and edited with."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Description | None = None
    product_set: ProductSetCode = Field(
        description="A product set code (GET /product-sets); it decides the group")


class ProductIn(ProductFields):
    producer_id: uuid.UUID
    standards: Standards = []


class ProductPatch(BaseModel):
    """A partial edit: only the fields given change; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: Description | None = Field(None, description="null clears it")
    product_set: str | None = None


class StandardsIn(BaseModel):
    """The whole list of standards a product holds (replaces the previous one)."""

    model_config = ConfigDict(extra="forbid")

    standards: Standards


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    self_score: float | None = Field(None, ge=0, le=100, description="Producer's self-assessment")


class StandardOut(BaseModel):
    standard: str
    name: str | None
    certificate_number: str
    issuer: str
    valid_from: date
    valid_until: date


class ProductOut(BaseModel):
    id: uuid.UUID
    code: str
    producer_id: uuid.UUID
    name: str
    description: str | None
    product_set: str
    product_group: str | None = Field(description="I to VI, from the product set")
    standards: list[StandardOut]
    status: str
    self_score: float | None
    score: float | None
    stars: int | None
    level: str | None
    decision_number: str | None
    decision_date: date | None
    referred_to_ministry: bool
    created_at: datetime
    updated_at: datetime


class PublicProduct(BaseModel):
    """What a QR code on the package opens."""

    code: str
    name: str
    producer: str
    province_code: str
    status: str
    stars: int | None
    decision_number: str | None
    decision_date: date | None
    valid_until: date | None = Field(None, description="When its certificate ends")
    certificate_status: str | None = Field(
        None, description="active, expired, revoked (the latest certificate); null if none")


DecisionNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]


class RevokeIn(BaseModel):
    """The decision that revokes a certificate."""

    model_config = ConfigDict(extra="forbid")

    decision_number: DecisionNumber
    decision_date: date
    reason: Reason


class DowngradeIn(RevokeIn):
    """The decision that lowers a certificate's stars (to 3 at least)."""

    stars: int = Field(ge=3, le=4, description="Fewer than now, at least 3")


class CertificateOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    product_code: str
    product_name: str
    producer_id: uuid.UUID
    province_code: str
    stars: int
    level: str
    decision_number: str
    decision_date: date
    authority: str
    valid_until: date
    status: str = Field(description="active, superseded, expired or revoked")
    change_decision_number: str | None = Field(
        description="The decision that revoked or downgraded it")
    change_decision_date: date | None
    change_reason: str | None
    created_at: datetime
    updated_at: datetime


class DocumentOut(BaseModel):
    """A document of a product's dossier (its file is at .../content)."""

    id: uuid.UUID
    product_id: uuid.UUID
    type: str
    title: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime
    metadata: dict


class DossierItem(BaseModel):
    code: str
    name: str
    mandatory: bool = False


class DossierOut(BaseModel):
    """A product's dossier: what it holds and which mandatory items are missing."""

    product_id: uuid.UUID
    product_set: str
    complete: bool
    present: list[DossierItem]
    missing: list[DossierItem] = Field(description="Mandatory items not yet uploaded")
    documents: list[DocumentOut]
