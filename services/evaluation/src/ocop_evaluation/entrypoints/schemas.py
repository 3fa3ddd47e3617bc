"""Request and response bodies of the evaluation service's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class FinalScoreIn(BaseModel):
    """The council's final score for the product (the average of its members' totals)."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=100, allow_inf_nan=False,
                         description="Final score, 0-100 points (kept to two decimals)")


class EvaluationOut(BaseModel):
    """An evaluation: the submission it came from and, once completed, its outcome."""

    id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    product_code: str
    province_code: str
    commune_code: str | None
    product_set: str
    self_score: float | None
    submitted_on: date
    status: str = Field(description="pending or completed")
    rulebook: str
    level: str
    score: float | None
    stars: int | None = Field(description="Stars granted at this level (a province grants 1-4)")
    recognised: bool | None = Field(description="UBND tỉnh recognised the product (3-4 stars)")
    referred_to_ministry: bool | None = Field(description="90+ points: sent to the Ministry")
    potential_five_stars: bool | None
    decided_by: str | None
    completed_at: datetime | None
    decision_number: str | None
    decision_date: date | None
    created_at: datetime
