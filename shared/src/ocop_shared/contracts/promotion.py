"""Events the promotion service publishes (stream OCOP_PROMOTION).

Ceremonies (lễ công bố): CeremonyScheduled, ProductAddedToCeremony, ProductRemovedFromCeremony,
CeremonyRescheduled, CeremonyCancelled. Trade fairs (hội chợ, triển lãm): TradeFairAnnounced,
BoothAllocated, BoothWaitlisted, BoothReleased. OCOP outlets: ProductListed, ProductDelisted.
Supply-demand connection: BuyerInvited."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .base import Event


class CeremonyProduct(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int


class CeremonyScheduled(Event, service="promotion", entity="ceremony"):
    """An announcement ceremony (lễ công bố) was planned for recognised products; their
    producers are invited."""

    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    venue: str
    products: list[CeremonyProduct]


class ProductAddedToCeremony(Event, service="promotion", entity="ceremony"):
    """A product joined a planned ceremony (on its recognition, or moved by an official);
    its producer is invited."""

    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    venue: str
    product: CeremonyProduct


class ProductRemovedFromCeremony(Event, service="promotion", entity="ceremony"):
    """A product left a planned ceremony: moved to another one by an official, or its
    certificate was revoked or expired before the ceremony."""

    ceremony_id: uuid.UUID
    province_code: str
    ceremony_date: date
    product: CeremonyProduct
    reason: Literal["moved", "certificate_revoked", "certificate_expired"]
    moved_to: uuid.UUID | None = None


class CeremonyRescheduled(Event, service="promotion", entity="ceremony"):
    """A planned ceremony moved to another day (and possibly venue); producers are told."""

    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    previous_date: date
    ceremony_date: date
    venue: str
    products: list[CeremonyProduct]
    reason: str


class CeremonyCancelled(Event, service="promotion", entity="ceremony"):
    """A planned ceremony was cancelled; its products go back to planning (each gets a new
    ProductAddedToCeremony or CeremonyScheduled)."""

    ceremony_id: uuid.UUID
    authority: str
    province_code: str
    ceremony_date: date
    products: list[CeremonyProduct]
    reason: str


class TradeFairAnnounced(Event, service="promotion", entity="trade-fair"):
    """A trade fair or exhibition opened for applications."""

    fair_id: uuid.UUID
    name: str
    level: Literal["provincial", "regional", "national"]
    province_code: str | None
    venue: str
    starts_on: date
    ends_on: date
    booths: int = Field(ge=1)
    min_stars: int | None = Field(None, ge=3, le=5)
    applications_close: datetime


class BoothAllocated(Event, service="promotion", entity="trade-fair"):
    """A booth at a fair went to a producer's certified product (at allocation, or from the
    waitlist when another withdrew)."""

    fair_id: uuid.UUID
    fair_name: str
    application_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int
    booth_number: int = Field(ge=1)
    starts_on: date
    ends_on: date
    venue: str


class BoothWaitlisted(Event, service="promotion", entity="trade-fair"):
    """Applications exceeded the booths: this one waits at `position` (1 = next)."""

    fair_id: uuid.UUID
    fair_name: str
    application_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    position: int = Field(ge=1)


class BoothReleased(Event, service="promotion", entity="trade-fair"):
    """A product left a fair and freed its booth: withdrawn by its producer, or its certificate
    was revoked or expired before the fair ended."""

    fair_id: uuid.UUID
    application_id: uuid.UUID
    product_id: uuid.UUID
    producer_id: uuid.UUID
    booth_number: int | None
    reason: Literal["withdrawn", "certificate_revoked", "certificate_expired"]


class ProductListed(Event, service="promotion", entity="outlet"):
    """An OCOP outlet lists a certified product."""

    outlet_id: uuid.UUID
    outlet_name: str
    product_id: uuid.UUID
    producer_id: uuid.UUID
    product_name: str
    stars: int


class ProductDelisted(Event, service="promotion", entity="outlet"):
    """An outlet no longer shows a product as OCOP: its certificate expired or was revoked,
    or the outlet removed it."""

    outlet_id: uuid.UUID
    outlet_name: str
    product_id: uuid.UUID
    producer_id: uuid.UUID
    reason: Literal["certificate_expired", "certificate_revoked", "removed"]


class BuyerInvited(Event, service="promotion", entity="buyer"):
    """A buyer (distributor, retailer, tourist site, gift buyer) was invited to a
    trade-connection session for the certified products it looks for."""

    buyer_id: uuid.UUID
    buyer_name: str
    event_kind: Literal["ceremony", "trade_fair"]
    event_id: uuid.UUID
    session_date: date
    product_ids: list[uuid.UUID]
