"""The certified products promotion knows of, kept in step with the registry's certificate
events, and what losing a certificate sets off in each area (ceremonies, fairs, outlets).

Only a product with a valid certificate may be shown, sold or announced as OCOP: every area
asks `valid_certificate` before it lets a product in, and registers a `CertificateLost`
reaction that takes the product out when its certificate is revoked or expires."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.classification import product_set as product_set_named
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
    CertificateStarsChanged,
)
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.consumer import Handler
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.certificate_tables import certified_products

ACTIVE = "active"


@dataclass(frozen=True)
class CertificateLost:
    """A product's certificate was revoked or expired on `on`."""

    product_id: uuid.UUID
    producer_id: uuid.UUID
    reason: Literal["certificate_revoked", "certificate_expired"]
    on: date


CertificateLostReaction = Callable[[AsyncConnection, CertificateLost], Awaitable[None]]


async def certified_product(session: AsyncConnection, product_id: uuid.UUID) -> dict | None:
    row = (await session.execute(select(certified_products).where(
        certified_products.c.product_id == product_id))).first()
    return None if row is None else row._asdict()


async def valid_certificate(
    session: AsyncConnection, product_id: uuid.UUID, through: date, *, field: str = "product_id"
) -> dict:
    """The product's certificate when it is active and valid through `through`; NotFound or
    Conflict (naming `field`) saying why not otherwise."""
    cert = await certified_product(session, product_id)
    if cert is None:
        raise NotFound("not_certified", f"product {product_id} holds no OCOP certificate",
                       field=field)
    if cert["status"] != ACTIVE:
        raise Conflict("certificate_not_active",
                       f"{cert['product_name'] or cert['product_code']}: its certificate is "
                       f"{cert['status']}", field=field)
    if cert["valid_until"] < through:
        raise Conflict("certificate_ends_too_soon",
                       f"{cert['product_name'] or cert['product_code']}: its certificate ends "
                       f"on {cert['valid_until']}, before {through}", field=field)
    return cert


def _group(product_set: str | None) -> str | None:
    try:
        return product_set_named(product_set).group if product_set else None
    except KeyError:
        return None


def build_certificate_handlers(
    reactions: Sequence[CertificateLostReaction],
) -> dict[type[Event], Handler]:
    """Handlers of the registry's certificate events; `reactions` run (in order, in the same
    transaction) when a product's current certificate is revoked or expires."""

    async def on_issued(session: AsyncConnection, event: CertificateIssued, _: Envelope) -> None:
        row = {
            "product_id": event.product_id, "certificate_id": event.certificate_id,
            "producer_id": event.producer_id, "product_code": event.product_code,
            "product_name": event.product_name, "product_set": event.product_set,
            "product_group": _group(event.product_set), "province_code": event.province_code,
            "commune_code": event.commune_code, "stars": event.stars,
            "decision_date": event.decision_date, "valid_until": event.valid_until,
            "status": ACTIVE,
        }
        newer = certified_products.c.decision_date <= event.decision_date
        await session.execute(
            insert(certified_products).values(row)
            .on_conflict_do_update(index_elements=[certified_products.c.product_id],
                                   set_=row | {"updated_at": func.now()}, where=newer))

    async def _lose(session: AsyncConnection, certificate_id: uuid.UUID,
                    lost: CertificateLost, status: str) -> None:
        changed = (await session.execute(
            update(certified_products)
            .where(certified_products.c.product_id == lost.product_id,
                   certified_products.c.certificate_id == certificate_id,
                   certified_products.c.status == ACTIVE)
            .values(status=status, updated_at=func.now())
            .returning(certified_products.c.product_id))).first()
        if changed is None:  # an older certificate, or already lost
            return
        for reaction in reactions:
            await reaction(session, lost)

    async def on_revoked(session: AsyncConnection, event: CertificateRevoked, _: Envelope) -> None:
        await _lose(session, event.certificate_id, CertificateLost(
            event.product_id, event.producer_id, "certificate_revoked", event.decision_date),
            "revoked")

    async def on_expired(session: AsyncConnection, event: CertificateExpired, _: Envelope) -> None:
        await _lose(session, event.certificate_id, CertificateLost(
            event.product_id, event.producer_id, "certificate_expired", event.valid_until),
            "expired")

    async def on_stars_changed(
        session: AsyncConnection, event: CertificateStarsChanged, _: Envelope
    ) -> None:
        await session.execute(
            update(certified_products)
            .where(certified_products.c.product_id == event.product_id,
                   certified_products.c.certificate_id == event.certificate_id)
            .values(stars=event.stars, updated_at=func.now()))

    return {CertificateIssued: on_issued, CertificateRevoked: on_revoked,
            CertificateExpired: on_expired, CertificateStarsChanged: on_stars_changed}
