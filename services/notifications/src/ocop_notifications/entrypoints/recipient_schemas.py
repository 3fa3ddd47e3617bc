"""Request and response bodies of the recipients API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["official", "council_member", "ministry", "integration"]
Language = Literal["vi", "en"]
PersonChannel = Literal["inbox", "email"]
CouncilRole = Literal["chair", "vice_chair", "secretary", "member"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class RecipientIn(BaseModel):
    kind: Kind
    name: str = Field(min_length=1, max_length=300)
    subject: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$",
        description='The `sub` of its platform token: the id becomes "<kind>:<subject>"')
    email: str | None = Field(None, max_length=254, pattern=EMAIL)
    province_code: str | None = Field(None, max_length=4,
                                      description="Required for officials and council members")
    language: Language = "vi"
    channels: list[PersonChannel] | None = Field(
        None, description="Default inbox and email (integrations: webhook)")
    council_id: str | None = Field(None, max_length=64)
    council_role: CouncilRole | None = None


class RecipientPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=300)
    email: str | None = Field(None, max_length=254, pattern=EMAIL)
    language: Language | None = None
    channels: list[PersonChannel] | None = None
    council_role: CouncilRole | None = None
    active: bool | None = None


class RecipientOut(BaseModel):
    id: str
    kind: str
    name: str
    email: str | None
    province_code: str | None
    language: str
    channels: list[str]
    council_id: str | None
    council_role: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) endpoint")
    secret: str = Field(min_length=16, max_length=200,
                        description="HMAC-SHA256 signing secret (never shown again)")
    event_types: list[str] = Field(
        min_length=1, description='e.g. "EvaluationCompleted" or '
                                  '"ocop.evaluation.EvaluationCompleted.v1"')


class WebhookOut(BaseModel):
    """A subscription; its secret is never returned."""

    id: uuid.UUID
    recipient_id: str
    url: str
    event_types: list[str]
    active: bool
    consecutive_failures: int
    paused_until: datetime | None
    created_at: datetime
