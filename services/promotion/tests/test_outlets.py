"""OCOP outlets on real PostgreSQL and NATS: addresses are checked against the code list, only
products with an active, valid certificate are listed, and a product whose certificate expires
is delisted from every outlet once (a redelivered event changes nothing) and disappears from
"where can I buy it"."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from ocop_promotion.service_layer.certificates import certified_product
from ocop_shared.auth import Role
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.promotion import ProductDelisted, ProductListed
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_shared.testing.services import auth_header, publish_event
from sqlalchemy import select

HANOI = auth_header(Role.provincial_official, province_code="01")
HCM = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)
PRODUCER = auth_header(Role.producer, province_code="01", producer_id="p-1")
INTEGRATION = auth_header(Role.integration)
TODAY = today_in_vietnam()


def issued(product_id: uuid.UUID, *, valid_until: date, name: str = "Chè Shan Tuyết",
           certificate_id: uuid.UUID | None = None) -> CertificateIssued:
    return CertificateIssued(
        certificate_id=certificate_id or uuid.uuid4(), product_id=product_id,
        producer_id=uuid.uuid4(), product_code=f"OCOP-01-{name[:4]}", stars=4,
        level="province", decision_number="1/QĐ", decision_date=valid_until - timedelta(days=1095),
        valid_until=valid_until, authority="UBND tỉnh 01", product_name=name,
        product_set="tea", province_code="01", commune_code="00004")


async def certified(promotion, event: CertificateIssued) -> None:  # noqa: ANN001
    await publish_event(promotion.runtime.settings.nats_url, event)
    for _ in range(100):
        async with promotion.runtime.engine.connect() as conn:
            if await certified_product(conn, event.product_id) is not None:
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{event.product_name} never reached the projection")


async def outbox_events(promotion, event: type) -> list[dict]:  # noqa: ANN001
    table = promotion.runtime.definition.tables.outbox
    async with promotion.runtime.engine.connect() as conn:
        rows = await conn.execute(select(table.c.payload).where(
            table.c.type == event.event_type()).order_by(table.c.seq))
        return [r.payload for r in rows]


async def open_outlet(http, headers=HANOI, **fields) -> dict:  # noqa: ANN001
    body = {"name": "Showroom OCOP Hà Nội", "kind": "showroom", "province_code": "01",
            "commune_code": "00004", "street_address": "25 Tràng Tiền",
            "operator_name": "Trung tâm Xúc tiến Thương mại Hà Nội", "phone": "0243826000"}
    created = await http.post("/outlets", headers=headers, json=body | fields)
    assert created.status_code == 201, created.text
    return created.json()


async def test_an_outlet_needs_a_real_address_in_the_officials_province(promotion) -> None:
    http = promotion.http
    outlet = await open_outlet(http)
    assert outlet["commune_name"] and outlet["province_name"] and outlet["listings"] == []

    elsewhere = await http.post("/outlets", headers=HANOI, json={
        "name": "Điểm bán", "kind": "gift_shop", "province_code": "01", "commune_code": "26506",
        "street_address": "1 Lê Lợi", "operator_name": "HTX Quà Việt"})
    assert elsewhere.status_code == 422, elsewhere.text
    assert elsewhere.json()["field"] == "commune_code"
    unknown = await http.post("/outlets", headers=OPERATOR, json={
        "name": "Điểm bán", "kind": "gift_shop", "province_code": "99", "commune_code": "00004",
        "street_address": "1 Lê Lợi", "operator_name": "HTX Quà Việt"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "province_code"
    bad_kind = await http.post("/outlets", headers=HANOI, json={
        "name": "Điểm bán", "kind": "market", "province_code": "01", "commune_code": "00004",
        "street_address": "1 Lê Lợi", "operator_name": "HTX Quà Việt"})
    assert bad_kind.status_code == 422
    assert bad_kind.json()["detail"][0]["field"] == "body.kind"

    assert (await http.post("/outlets", headers=HCM, json={
        "name": "Điểm bán", "kind": "gift_shop", "province_code": "01", "commune_code": "00004",
        "street_address": "1 Lê Lợi", "operator_name": "HTX"})).status_code == 403
    assert (await http.post("/outlets", headers=PRODUCER, json={
        "name": "Điểm bán", "kind": "gift_shop", "province_code": "01", "commune_code": "00004",
        "street_address": "1 Lê Lợi", "operator_name": "HTX"})).status_code == 403

    listed = await http.get("/outlets", headers=PRODUCER, params={"province_code": "01"})
    assert [o["id"] for o in listed.json()["items"]] == [outlet["id"]]
    assert (await http.get(f"/outlets/{uuid.uuid4()}", headers=HANOI)).status_code == 404


async def test_only_validly_certified_products_are_listed(promotion) -> None:
    http = promotion.http
    outlet = await open_outlet(http)
    listings = f"/outlets/{outlet['id']}/listings"

    unknown = await http.post(listings, headers=HANOI, json={"product_id": str(uuid.uuid4())})
    assert unknown.status_code == 404 and unknown.json()["field"] == "product_id"

    stale = uuid.uuid4()  # its certificate ended yesterday (the expiry event has not come yet)
    await certified(promotion, issued(stale, valid_until=TODAY - timedelta(days=1)))
    refused = await http.post(listings, headers=HANOI, json={"product_id": str(stale)})
    assert refused.status_code == 409 and refused.json()["field"] == "product_id"

    tea = uuid.uuid4()
    await certified(promotion, issued(tea, valid_until=TODAY + timedelta(days=400)))
    assert (await http.post(listings, headers=HCM, json={"product_id": str(tea)})).status_code \
        == 403
    listed = await http.post(listings, headers=HANOI, json={"product_id": str(tea)})
    assert listed.status_code == 201, listed.text
    assert listed.json()["stars"] == 4
    again = await http.post(listings, headers=HANOI, json={"product_id": str(tea)})
    assert again.status_code == 409 and again.json()["error"] == "already_listed"

    for who in (PRODUCER, INTEGRATION, HCM):
        found = await http.get(f"/products/{tea}/outlets", headers=who)
        assert found.status_code == 200, found.text
        [shop] = found.json()["items"]
        assert (shop["id"], shop["street_address"], shop["commune_code"]) == (
            outlet["id"], "25 Tràng Tiền", "00004")
    detail = (await http.get(f"/outlets/{outlet['id']}", headers=INTEGRATION)).json()
    assert [p["product_id"] for p in detail["listings"]] == [str(tea)]

    removed = await http.delete(f"{listings}/{tea}", headers=HANOI)
    assert removed.status_code == 204
    assert (await http.delete(f"{listings}/{tea}", headers=HANOI)).status_code == 404
    assert (await http.get(f"/products/{tea}/outlets", headers=PRODUCER)).json()["total"] == 0
    assert (await http.post(listings, headers=HANOI, json={"product_id": str(tea)})) \
        .status_code == 201  # listed again after removal

    [delisted] = await outbox_events(promotion, ProductDelisted)
    assert (delisted["reason"], delisted["outlet_name"]) == ("removed", "Showroom OCOP Hà Nội")
    assert len(await outbox_events(promotion, ProductListed)) == 2


async def test_an_expired_product_is_delisted_from_every_outlet_once(promotion, jetstream) -> None:
    http = promotion.http
    showroom = await open_outlet(http)
    shop = await open_outlet(http, OPERATOR, name="Quầy quà tặng Văn Miếu", kind="tourist_site")
    honey, keeper = uuid.uuid4(), uuid.uuid4()
    cert = issued(honey, valid_until=TODAY + timedelta(days=30), name="Mật ong bạc hà")
    await certified(promotion, cert)
    await certified(promotion, issued(keeper, valid_until=TODAY + timedelta(days=900)))
    for outlet in (showroom, shop):
        for product in (honey, keeper):
            listed = await http.post(f"/outlets/{outlet['id']}/listings", headers=OPERATOR,
                                     json={"product_id": str(product)})
            assert listed.status_code == 201, listed.text
    assert (await http.get(f"/products/{honey}/outlets", headers=PRODUCER)).json()["total"] == 2

    expired = CertificateExpired(
        certificate_id=cert.certificate_id, product_id=honey, producer_id=cert.producer_id,
        product_code=cert.product_code, stars=4, valid_until=cert.valid_until)
    envelope = await publish_event(jetstream, expired)
    await publish_event(jetstream, expired, event_id=envelope.id)  # a redelivery
    await publish_event(jetstream, expired)  # the same news again, as a new event
    await certified(promotion, issued(uuid.uuid4(), valid_until=TODAY + timedelta(days=9)))
    for _ in range(100):
        if len(await outbox_events(promotion, ProductDelisted)) >= 2:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)

    delisted = await outbox_events(promotion, ProductDelisted)
    assert sorted(d["outlet_id"] for d in delisted) == sorted([showroom["id"], shop["id"]])
    assert {(d["product_id"], d["reason"]) for d in delisted} == {
        (str(honey), "certificate_expired")}
    assert (await http.get(f"/products/{honey}/outlets", headers=PRODUCER)).json()["total"] == 0
    assert (await http.get(f"/products/{keeper}/outlets", headers=PRODUCER)).json()["total"] == 2
    again = await http.post(f"/outlets/{shop['id']}/listings", headers=OPERATOR,
                            json={"product_id": str(honey)})
    assert again.status_code == 409 and again.json()["error"] == "certificate_not_active"


async def test_a_revoked_product_is_delisted_with_that_reason(promotion, jetstream) -> None:
    http = promotion.http
    outlet = await open_outlet(http, kind="point_of_sale")
    rice = uuid.uuid4()
    cert = issued(rice, valid_until=TODAY + timedelta(days=500), name="Gạo nếp cái hoa vàng")
    await certified(promotion, cert)
    listed = await http.post(f"/outlets/{outlet['id']}/listings", headers=HANOI,
                             json={"product_id": str(rice)})
    assert listed.status_code == 201, listed.text
    await publish_event(jetstream, CertificateRevoked(
        certificate_id=cert.certificate_id, product_id=rice, producer_id=cert.producer_id,
        product_code=cert.product_code, stars=4, decision_number="7/QĐ", decision_date=TODAY,
        reason="hậu kiểm không đạt"))
    for _ in range(100):
        if await outbox_events(promotion, ProductDelisted):
            break
        await asyncio.sleep(0.1)
    [delisted] = await outbox_events(promotion, ProductDelisted)
    assert (delisted["outlet_id"], delisted["reason"]) == (outlet["id"], "certificate_revoked")
    assert (await http.get(f"/products/{rice}/outlets", headers=INTEGRATION)).json()["total"] == 0
