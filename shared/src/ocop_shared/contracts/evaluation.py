"""Events the evaluation service publishes (stream OCOP_EVALUATION)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from .base import Event

Level = Literal["district", "province", "central"]


class EvaluationOpened(Event, service="evaluation", entity="evaluation"):
    """A submitted product is now under evaluation (routed to its council's round)."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    province_code: str
    level: Level
    rulebook: str
    submission_event_id: uuid.UUID


class EvaluationCompleted(Event, service="evaluation", entity="evaluation"):
    """A council's final score stands for a product. `stars` is the band the score falls in
    at the council's level: a province grants at most 4, so 90+ points there is 4 stars with
    `potential_five_stars` (the product is referred to the Ministry)."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    level: Level
    score: float = Field(ge=0, le=100)
    part_scores: dict[str, float] = Field(default_factory=dict)
    stars: int = Field(ge=1, le=5)
    potential_five_stars: bool = False
    rulebook: str
    council_id: str | None = None
    round_id: str | None = None


class ProductRecognized(Event, service="evaluation", entity="product"):
    """The recognising authority's decision: the product holds `stars` (3 to 5)."""

    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    stars: int = Field(ge=3, le=5)
    level: Level
    authority: str
    decision_number: str
    decision_date: date
    score: float = Field(ge=0, le=100)
    potential_five_stars: bool = False
    rulebook: str


class ProductReferredToMinistry(Event, service="evaluation", entity="product"):
    """A provincial score of 90 or more: dossier and samples go to the central council."""

    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    score: float = Field(ge=90, le=100)
    decision_number: str
    decision_date: date
    dossier_reference: str
    rulebook: str
