"""Request and response bodies of the registry's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from ..domain.places import check_commune, province_name
from ..domain.producers import (
    ProducerKind,
    RegistrationType,
    check_registration_type,
    normalise_registration_number,
)

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


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    producer_id: uuid.UUID
    name: Name
    product_set: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                  max_length=100)]


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    self_score: float | None = Field(None, ge=0, le=100, description="Producer's self-assessment")


class ProductOut(BaseModel):
    id: uuid.UUID
    code: str
    producer_id: uuid.UUID
    name: str
    product_set: str
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
