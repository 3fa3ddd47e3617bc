"""Request and response bodies of the registry's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
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

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]


class ProducerKind(StrEnum):
    cooperative = "cooperative"
    enterprise = "enterprise"
    household_business = "household_business"
    cooperative_group = "cooperative_group"


class ProducerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: ProducerKind
    tax_code: Annotated[str, StringConstraints(pattern=r"^\d{10}(-\d{3})?$")] = Field(
        description="Business registration / tax number: 10 digits, or 10-3 for a branch"
    )
    province_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    commune_code: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?\d{9,15}$")] | None = None

    @field_validator("province_code")
    @classmethod
    def _province_exists(cls, code: str) -> str:
        province_name(code)
        return code

    @field_validator("commune_code")
    @classmethod
    def _commune_in_province(cls, code: str | None, info: ValidationInfo) -> str | None:
        province = info.data.get("province_code")
        if code is not None and province is not None:
            check_commune(province, code)
        return code


class ProducerOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    tax_code: str
    province_code: str
    commune_code: str | None
    email: str | None
    phone: str | None
    created_at: datetime


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
