"""Events the evaluation service publishes (stream OCOP_EVALUATION).

The path of one product: EvaluationOpened (routed to its council's round) -> RescoreRequired
while members' totals differ too much -> EvaluationCompleted (the council's result stands) ->
the authority's decision: ProductRecognized (3-4 stars by the province, 5 by the Ministry)
and, for 90+ points at the province, ProductReferredToMinistry -> the central council:
NationalEvaluationCompleted (5 stars recognised, or the product keeps its 4)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Event

Level = Literal["district", "province", "central"]
Reason = Literal["first", "renewal", "upgrade", "inspection", "forwarded"]
"""Why an evaluation was opened: a first submission, a renewal after expiry or revocation, an
upgrade request, an inspection finding, or a lower level's result forwarded up."""


class EvaluationOpened(Event, service="evaluation", entity="evaluation"):
    """A product is now under evaluation at `level` (routed to its council's round when one is
    open: `round_id`; otherwise it waits for the next round of its council)."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    province_code: str
    level: Level
    rulebook: str
    submission_event_id: uuid.UUID
    reason: Reason = "first"
    council_id: str | None = None
    round_id: str | None = None


class RescoreMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str
    name: str
    role: str
    total: float


class RescoreRequired(Event, service="evaluation", entity="evaluation"):
    """Two members' totals differ by more than the rulebook allows: the named members must
    discuss and submit new sheets (attempt `attempt` + 1) before any result stands."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    council_id: str
    round_id: str
    rulebook: str
    attempt: int = Field(ge=1, description="The attempt whose sheets differed")
    members: list[RescoreMember]
    spread: float
    max_spread: float


class EvaluationCompleted(Event, service="evaluation", entity="evaluation"):
    """A council's result stands for a product. `stars` is what the score earns at the
    council's level after the mandatory criteria (below central at most 4: 90+ at the province is
    4 stars with `potential_five_stars`, and the product is referred to the Ministry); 0 when a
    knock-out criterion eliminated it (`knocked_out` names the criteria)."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    level: Level
    score: float = Field(ge=0, le=100)
    part_scores: dict[str, float] = Field(default_factory=dict)
    stars: int = Field(ge=0, le=5)
    potential_five_stars: bool = False
    rulebook: str
    council_id: str | None = None
    round_id: str | None = None
    knocked_out: list[int] = Field(default_factory=list,
                                   description="Ids of the knock-out criteria that stood")
    capped_by: dict[int, list[int]] = Field(
        default_factory=dict, description="Star -> mandatory criteria the product missed")
    forwarded_to: Level | None = Field(None, description="The level that evaluates it next")


class ProductRecognized(Event, service="evaluation", entity="product"):
    """The recognising authority's decision: the product holds `stars` (3 to 5). After a
    re-evaluation `previous_stars` says what it held before (a downgrade is possible)."""

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
    evaluation_id: uuid.UUID | None = None
    reason: Reason = "first"
    previous_stars: int | None = Field(None, ge=0, le=5)


class SampleShipment(BaseModel):
    """The product samples sent with a referral."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    samples: int = Field(ge=1, description="How many samples were sent")
    shipped_on: date
    carrier: str | None = Field(None, max_length=200)
    tracking_number: str | None = Field(None, max_length=100)


class ProductReferredToMinistry(Event, service="evaluation", entity="product"):
    """A provincial score of 90 or more, approved by UBND tỉnh's decision: the dossier and the
    product samples go to the central council."""

    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    score: float = Field(ge=90, le=100)
    decision_number: str
    decision_date: date
    dossier_reference: str
    rulebook: str
    sample_shipment: SampleShipment | None = None
    evaluation_id: uuid.UUID | None = None


class NationalEvaluationCompleted(Event, service="evaluation", entity="product"):
    """The central council's evaluation is over: either the Ministry recognised 5 stars
    (`five_stars`, with its decision) or the product keeps the stars it held (`stars`)."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    score: float = Field(ge=0, le=100)
    five_stars: bool
    stars: int = Field(ge=3, le=5)
    rulebook: str
    decision_number: str | None = None
    decision_date: date | None = None


class RecognitionWithdrawn(Event, service="evaluation", entity="product"):
    """A re-evaluation of a product that held `previous_stars` ended below 3 stars (or was
    knocked out), and the authority decided so: the product loses its recognition; the
    registry revokes its active certificate."""

    evaluation_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    province_code: str
    previous_stars: int = Field(ge=3, le=5)
    score: float = Field(ge=0, le=100)
    stars: int = Field(ge=0, le=2, description="What the re-evaluation found")
    knocked_out: list[int] = Field(default_factory=list)
    reason: Reason
    level: Level
    authority: str
    decision_number: str
    decision_date: date
    rulebook: str
