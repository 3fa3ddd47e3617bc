"""The projection of the registry's certificates on real PostgreSQL and NATS: issued, stars
changed, revoked and expired events keep one row per product (its current certificate); a late
event about an older certificate changes nothing, and a redelivery neither."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from ocop_promotion.service_layer.certificates import certified_product, valid_certificate
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
    CertificateStarsChanged,
)
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.testing.services import publish_event

PRODUCT, PRODUCER = uuid.uuid4(), uuid.uuid4()


def issued(certificate_id: uuid.UUID, stars: int, decided: date) -> CertificateIssued:
    return CertificateIssued(
        certificate_id=certificate_id, product_id=PRODUCT, producer_id=PRODUCER,
        product_code="OCOP-01-0001", stars=stars, level="province", decision_number="1/QĐ",
        decision_date=decided, valid_until=date(decided.year + 3, decided.month, decided.day),
        authority="UBND tỉnh 01", product_name="Chè Shan Tuyết", product_set="tea",
        province_code="01", commune_code="00004")


async def current(promotion) -> dict | None:  # noqa: ANN001
    async with promotion.runtime.engine.connect() as conn:
        return await certified_product(conn, PRODUCT)


async def settled(promotion, check, what: str) -> dict:  # noqa: ANN001
    for _ in range(100):
        row = await current(promotion)
        if row is not None and check(row):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what}: {await current(promotion)}")


async def test_the_current_certificate_of_each_product(promotion, jetstream) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    envelope = await publish_event(jetstream, issued(first, 3, date(2026, 1, 10)))
    row = await settled(promotion, lambda r: r["certificate_id"] == first, "first certificate")
    assert (row["stars"], row["product_group"], row["commune_code"]) == (3, "I", "00004")

    await publish_event(jetstream, issued(second, 4, date(2026, 11, 20)))
    await publish_event(jetstream, issued(first, 3, date(2026, 1, 10)), event_id=envelope.id)
    await settled(promotion, lambda r: r["certificate_id"] == second, "the newer certificate")
    # the first certificate's revocation comes late: the current one stands
    await publish_event(jetstream, CertificateRevoked(
        certificate_id=first, product_id=PRODUCT, producer_id=PRODUCER,
        product_code="OCOP-01-0001", stars=3, decision_number="9/QĐ",
        decision_date=date(2026, 11, 25), reason="superseded long ago"))
    await publish_event(jetstream, CertificateStarsChanged(
        certificate_id=second, product_id=PRODUCT, producer_id=PRODUCER,
        product_code="OCOP-01-0001", previous_stars=4, stars=3, decision_number="10/QĐ",
        decision_date=date(2026, 11, 26), reason="hậu kiểm", valid_until=date(2029, 11, 20)))
    row = await settled(promotion, lambda r: r["stars"] == 3, "stars changed")
    assert row["status"] == "active" and row["certificate_id"] == second

    async with promotion.runtime.engine.connect() as conn:
        assert (await valid_certificate(conn, PRODUCT, date(2029, 11, 20)))["stars"] == 3
        with pytest.raises(Conflict) as too_soon:
            await valid_certificate(conn, PRODUCT, date(2029, 11, 21))
        assert too_soon.value.code == "certificate_ends_too_soon"
        with pytest.raises(NotFound):
            await valid_certificate(conn, uuid.uuid4(), date(2027, 1, 1))

    await publish_event(jetstream, CertificateExpired(
        certificate_id=second, product_id=PRODUCT, producer_id=PRODUCER,
        product_code="OCOP-01-0001", stars=3, valid_until=date(2029, 11, 20)))
    await settled(promotion, lambda r: r["status"] == "expired", "expired")
    async with promotion.runtime.engine.connect() as conn:
        with pytest.raises(Conflict) as lost:
            await valid_certificate(conn, PRODUCT, date(2027, 1, 1))
        assert lost.value.code == "certificate_not_active"
