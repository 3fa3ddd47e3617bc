"""Request and response bodies of the evaluation service's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from ocop_shared.contracts.evaluation import SampleShipment
from pydantic import BaseModel, ConfigDict, Field

from ..domain.councils import MemberRole

Level = Literal["district", "province", "central"]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CouncilIn(In):
    name: str = Field(min_length=3, max_length=300,
                      examples=["Hội đồng đánh giá, phân hạng sản phẩm OCOP tỉnh Hà Nội"])
    level: Level
    province_code: str | None = Field(None, pattern=r"^\d{2}$",
                                      description="None for the central council")
    communes: list[str] = Field(default_factory=list, max_length=200,
                                description="District councils: the communes they cover")


class MemberIn(In):
    subject: str = Field(min_length=1, max_length=255,
                         description="The `sub` of the member's login token")
    name: str = Field(min_length=2, max_length=200)
    role: MemberRole
    organisation: str | None = Field(None, max_length=300)
    term_start: date
    term_end: date | None = None
    conflicts: list[uuid.UUID] = Field(
        default_factory=list, description="Producers the member is linked to (cannot score)")


class MemberPatch(In):
    term_end: date | None = None
    conflicts: list[uuid.UUID] | None = None


class MemberOut(BaseModel):
    id: uuid.UUID
    council_id: uuid.UUID
    subject: str
    name: str
    role: str
    organisation: str | None
    term_start: date
    term_end: date | None
    conflicts: list[str]


class CouncilOut(BaseModel):
    id: uuid.UUID
    name: str
    level: str
    province_code: str | None
    communes: list[str]
    created_by: str
    created_at: datetime
    members: list[MemberOut] = Field(default_factory=list)


class RoundIn(In):
    name: str = Field(min_length=3, max_length=200, examples=["Đợt 1 năm 2026"])


class RoundCloseIn(In):
    proposal_number: str | None = Field(None, max_length=100, examples=["15/TTr-HĐ"],
                                        description="The council's proposal (tờ trình)")
    note: str | None = Field(None, max_length=2000)


class RoundOut(BaseModel):
    id: uuid.UUID
    council_id: uuid.UUID
    name: str
    rulebook: str
    level: str
    status: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    proposal_number: str | None
    proposal_note: str | None
    evaluations: dict[str, int] = Field(default_factory=dict,
                                        description="How many evaluations per status")


class SheetIn(In):
    choices: dict[int, int] = Field(
        description="Criterion id -> the number (from 1) of the option picked",
        examples=[{"61": 3, "62": 2}])


class SheetOut(BaseModel):
    id: uuid.UUID
    evaluation_id: uuid.UUID
    member_id: uuid.UUID
    attempt: int
    sheet_id: str
    choices: dict[str, int]
    total: float
    part_scores: dict[str, float]
    knock_outs: list[int]
    submitted_by: str
    submitted_at: datetime
    evaluation_status: str | None = None


class EvaluationOut(BaseModel):
    """An evaluation: the submission it came from, its round and, once it stands, the
    council's result beside the producer's self-score, and the decision it led to."""

    id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    product_code: str
    province_code: str
    commune_code: str | None
    product_set: str
    self_score: float | None = Field(description="The producer's self-assessment")
    submitted_on: date
    status: str
    rulebook: str
    level: str
    reason: str
    previous_stars: int | None
    forwarded_from: uuid.UUID | None
    round_id: uuid.UUID | None
    sheet_id: str | None
    attempt: int
    rescore_members: list[str] | None
    score: float | None = Field(description="The council's score: average of members' totals")
    part_scores: dict[str, float] | None
    stars_by_points: int | None
    stars: int | None = Field(description="After mandatory criteria; below central at most 4")
    capped_by: dict[str, list[int]] | None
    knocked_out: list[int] | None
    recognised_stars: int | None
    forwarded_to: str | None
    potential_five_stars: bool | None
    completed_at: datetime | None
    decision_id: uuid.UUID | None
    decision_number: str | None
    decision_date: date | None
    created_at: datetime


class ReferralIn(In):
    dossier_reference: str | None = Field(None, max_length=300,
                                          description="Defaults to the evaluation's reference")
    sample_shipment: SampleShipment


class DecisionIn(In):
    level: Level
    province_code: str | None = Field(None, pattern=r"^\d{2}$")
    number: str = Field(min_length=3, max_length=100, examples=["1234/QĐ-UBND"])
    decided_on: date
    signer: str = Field(min_length=2, max_length=200, examples=["Phó Chủ tịch UBND tỉnh"])
    evaluation_ids: list[uuid.UUID] = Field(min_length=1, max_length=5000)
    referrals: dict[uuid.UUID, ReferralIn] = Field(
        default_factory=dict, description="For each product forwarded to the central council")


class DecisionOut(BaseModel):
    id: uuid.UUID
    level: str
    authority: str
    province_code: str | None
    number: str
    decided_on: date
    signer: str
    recorded_by: str
    created_at: datetime
    evaluation_ids: list[uuid.UUID] = Field(default_factory=list)


class ReEvaluationIn(In):
    product_id: uuid.UUID
    reason: Literal["renewal", "upgrade", "inspection"]
    note: str | None = Field(None, max_length=2000)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity: str
    entity_id: str
    rulebook: str | None
    details: dict
