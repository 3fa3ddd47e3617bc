"""Supply-demand connection: the matching rule (pure), and on real PostgreSQL and NATS buyers
matched by group, product set, stars and province, idempotent invitations to trade-connection
sessions, and the gift and local-specialty catalogue."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import pytest
from ocop_promotion.adapters.tables import ceremonies, ceremony_products
from ocop_promotion.domain.connections import (
    GIFT_SETS,
    Interests,
    OfferedProduct,
    check_interests,
    matches,
    matching,
)
from ocop_promotion.service_layer.certificates import certified_product
from ocop_shared.auth import Role
from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.classification import product_set
from ocop_shared.contracts.promotion import BuyerInvited
from ocop_shared.contracts.registry import CertificateExpired, CertificateIssued
from ocop_shared.errors import InvalidInput
from ocop_shared.testing.services import auth_header, publish_event
from sqlalchemy import insert, select

# ------------------------------------------------------------------------ the matching rule


def offered(group: str = "I", product_set: str = "tea", stars: int = 4,
            province: str = "01") -> OfferedProduct:
    return OfferedProduct(uuid.uuid4(), group, product_set, stars, province)


def test_no_interests_match_every_product() -> None:
    assert matches(Interests(), offered())
    assert matches(Interests(), offered("IV", "ceramics", 3, "79"))


def test_a_group_or_a_product_set_is_wanted() -> None:
    wants = Interests(groups=frozenset({"II"}), product_sets=frozenset({"ceramics"}))
    assert matches(wants, offered("II", "alcoholic-drinks"))
    assert matches(wants, offered("IV", "ceramics"))
    assert not matches(wants, offered("IV", "textiles"))
    assert not matches(wants, offered("I", "tea"))
    assert not matches(Interests(groups=frozenset({"I"})), offered(None, None))


def test_minimum_stars() -> None:
    wants = Interests(min_stars=4)
    assert not matches(wants, offered(stars=3))
    assert matches(wants, offered(stars=4)) and matches(wants, offered(stars=5))


def test_provinces_restrict_where_products_come_from() -> None:
    wants = Interests(provinces=frozenset({"01", "31"}))
    assert matches(wants, offered(province="31"))
    assert not matches(wants, offered(province="79"))
    assert not matches(wants, offered(province=None))


def test_every_condition_must_hold() -> None:
    wants = Interests(groups=frozenset({"I"}), min_stars=4, provinces=frozenset({"01"}))
    assert matches(wants, offered("I", "honey", 5, "01"))
    assert not matches(wants, offered("I", "honey", 3, "01"))
    assert not matches(wants, offered("I", "honey", 5, "79"))
    assert not matches(wants, offered("III", "cosmetics", 5, "01"))


def test_matching_keeps_order_and_drops_repeats() -> None:
    a, b, c = offered(stars=5), offered(stars=3), offered(stars=4)
    assert matching(Interests(min_stars=4), [a, b, c, a]) == [a.product_id, c.product_id]


def test_gift_sets_are_real_product_sets() -> None:
    for code in GIFT_SETS:
        product_set(code)  # raises for an unknown code


def test_interests_are_checked_naming_the_entry() -> None:
    with pytest.raises(InvalidInput) as bad:
        check_interests(["I", "VII"], [], [], None)
    assert bad.value.field == "groups.1"
    with pytest.raises(InvalidInput) as bad:
        check_interests([], ["tea", "teaa"], [], None)
    assert bad.value.field == "product_sets.1"
    with pytest.raises(InvalidInput) as bad:
        check_interests([], [], ["99"], None)
    assert bad.value.field == "provinces.0"
    with pytest.raises(InvalidInput) as bad:
        check_interests([], [], [], 6)
    assert bad.value.field == "min_stars"
    assert check_interests(["I"], ["tea"], ["01"], 4) == Interests(
        frozenset({"I"}), frozenset({"tea"}), 4, frozenset({"01"}))


# --------------------------------------------------------------------------- over HTTP

HANOI = auth_header(Role.provincial_official, province_code="01")
HCM = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)
PRODUCER = auth_header(Role.producer, province_code="01", producer_id="p-1")
INTEGRATION = auth_header(Role.integration)
TODAY = today_in_vietnam()


def issued(name: str, product_set: str, stars: int, province: str,
           valid_until: date | None = None) -> CertificateIssued:
    valid_until = valid_until or TODAY + timedelta(days=700)
    return CertificateIssued(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=uuid.uuid4(),
        product_code=f"OCOP-{province}-{name[:6]}", stars=stars, level="province",
        decision_number="1/QĐ", decision_date=valid_until - timedelta(days=1095),
        valid_until=valid_until, authority=f"UBND tỉnh {province}", product_name=name,
        product_set=product_set, province_code=province, commune_code=None)


async def settled(promotion, product_id: uuid.UUID, status: str = "active") -> None:  # noqa: ANN001
    for _ in range(100):
        async with promotion.runtime.engine.connect() as conn:
            row = await certified_product(conn, product_id)
        if row is not None and row["status"] == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"product {product_id} never became {status}")


@pytest.fixture
async def products(promotion, jetstream) -> dict[str, uuid.UUID]:  # noqa: ANN001
    """Certified products: three gift-worthy ones in Hà Nội, a plain one, an expired one, and
    two from Hồ Chí Minh City."""
    events = {
        "tea": issued("Chè Shan Tuyết", "tea", 5, "01"),
        "honey": issued("Mật ong bạc hà", "honey", 3, "01"),
        "pottery": issued("Gốm Bát Tràng", "ceramics", 4, "01"),
        "pomelo": issued("Bưởi Diễn", "fresh-produce", 4, "01"),
        "old_tea": issued("Chè búp cũ", "tea", 4, "01"),
        "wine": issued("Rượu Sơn Mỹ", "alcoholic-drinks", 4, "79"),
        "coffee": issued("Cà phê Sài Gòn", "coffee-cocoa", 3, "79"),
    }
    for event in events.values():
        await publish_event(jetstream, event)
    old = events["old_tea"]
    await publish_event(jetstream, CertificateExpired(
        certificate_id=old.certificate_id, product_id=old.product_id,
        producer_id=old.producer_id, product_code=old.product_code, stars=4,
        valid_until=old.valid_until))
    for key, event in events.items():
        await settled(promotion, event.product_id, "expired" if key == "old_tea" else "active")
    return {key: event.product_id for key, event in events.items()}


async def register(http, headers=OPERATOR, **fields) -> dict:  # noqa: ANN001
    created = await http.post("/buyers", headers=headers, json={"province_code": "01", **fields})
    assert created.status_code == 201, created.text
    return created.json()


async def matched(http, buyer: dict, headers=OPERATOR) -> list[str]:  # noqa: ANN001
    page = await http.get(f"/buyers/{buyer['id']}/matches", headers=headers)
    assert page.status_code == 200, page.text
    return [p["product_id"] for p in page.json()["items"]]


async def test_buyers_are_matched_by_group_set_stars_and_province(promotion, products) -> None:
    http, p = promotion.http, {k: str(v) for k, v in products.items()}
    distributor = await register(http, HANOI, name="Công ty Phân phối Bắc Hà",
                                 kind="distributor", groups=["I"], min_stars=4)
    gifts = await register(http, name="Quà Việt", kind="gift_buyer",
                           product_sets=["ceramics", "alcoholic-drinks"], provinces=["01"])
    retailer = await register(http, name="Siêu thị Miền Nam", kind="retailer",
                              province_code="79", provinces=["79"])
    tours = await register(http, name="Khu du lịch", kind="tourist_site", groups=["VI"])

    assert await matched(http, distributor) == [p["tea"], p["pomelo"]]  # old_tea expired
    assert await matched(http, gifts, INTEGRATION) == [p["pottery"]]
    assert await matched(http, retailer) == [p["wine"], p["coffee"]]
    assert await matched(http, tours) == []

    changed = await http.put(f"/buyers/{tours['id']}/interests", headers=OPERATOR,
                             json={"product_sets": ["honey"]})
    assert changed.status_code == 200 and changed.json()["product_sets"] == ["honey"]
    assert await matched(http, tours) == [p["honey"]]
    page = await http.get(f"/buyers/{distributor['id']}/matches", headers=OPERATOR,
                          params={"limit": 1, "offset": 1})
    assert page.json()["total"] == 2 and [x["product_id"] for x in page.json()["items"]] == [
        p["pomelo"]]

    bad = await http.post("/buyers", headers=OPERATOR, json={
        "name": "Sai", "kind": "retailer", "province_code": "01", "groups": ["I", "VII"]})
    assert bad.status_code == 422 and bad.json()["field"] == "groups.1"
    bad = await http.post("/buyers", headers=OPERATOR, json={
        "name": "Sai", "kind": "retailer", "province_code": "00"})
    assert bad.status_code == 422 and bad.json()["field"] == "province_code"
    assert (await http.post("/buyers", headers=HCM, json={
        "name": "Khác tỉnh", "kind": "retailer", "province_code": "01"})).status_code == 403
    assert (await http.get(f"/buyers/{retailer['id']}", headers=HANOI)).status_code == 403
    assert (await http.get(f"/buyers/{retailer['id']}/matches", headers=PRODUCER)) \
        .status_code == 403
    hanoi_buyers = (await http.get("/buyers", headers=HANOI)).json()
    assert hanoi_buyers["total"] == 3


async def invited_events(promotion) -> list[dict]:  # noqa: ANN001
    table = promotion.runtime.definition.tables.outbox
    async with promotion.runtime.engine.connect() as conn:
        rows = await conn.execute(select(table.c.payload).where(
            table.c.type == BuyerInvited.event_type()).order_by(table.c.seq))
        return [r.payload for r in rows]


async def test_invitations_are_sent_once_per_buyer_and_event(promotion, products) -> None:
    http, p = promotion.http, {k: str(v) for k, v in products.items()}
    distributor = await register(http, name="Bắc Hà", kind="distributor", groups=["I"],
                                 min_stars=4)
    gifts = await register(http, name="Quà Việt", kind="gift_buyer", product_sets=["ceramics"])
    await register(http, name="Miền Nam", kind="retailer", province_code="79", provinces=["79"])
    fair = str(uuid.uuid4())
    body = {"event_kind": "trade_fair", "event_id": fair, "session_date": str(TODAY),
            "product_ids": [p["honey"], p["pottery"], p["tea"], p["old_tea"]]}

    first = await http.post("/buyers/invitations", headers=OPERATOR, json=body)
    assert first.status_code == 200, first.text
    assert {i["buyer_id"]: i["product_ids"] for i in first.json()["invited"]} == {
        distributor["id"]: [p["tea"]], gifts["id"]: [p["pottery"]]}
    again = await http.post("/buyers/invitations", headers=OPERATOR, json=body)
    assert again.json()["invited"] == []
    assert sorted(again.json()["already_invited"]) == sorted([distributor["id"], gifts["id"]])
    events = await invited_events(promotion)
    assert len(events) == 2 and {e["event_id"] for e in events} == {fair}
    assert {e["buyer_name"] for e in events} == {"Bắc Hà", "Quà Việt"}

    missing = await http.post("/buyers/invitations", headers=OPERATOR,
                              json={**body, "event_id": str(uuid.uuid4()), "product_ids": None})
    assert missing.status_code == 422 and missing.json()["field"] == "product_ids"
    assert (await http.post("/buyers/invitations", headers=HANOI, json=body)).status_code == 403
    assert (await http.post("/buyers/invitations", headers=INTEGRATION, json=body)) \
        .status_code == 403

    # a ceremony's products are read from the ceremony itself
    ceremony_id = uuid.uuid4()
    async with promotion.runtime.engine.begin() as conn:
        await conn.execute(insert(ceremonies).values(
            id=ceremony_id, authority="UBND tỉnh 01", province_code="01",
            ceremony_date=TODAY + timedelta(days=14), venue="Hội trường", capacity=30))
        await conn.execute(insert(ceremony_products).values(
            ceremony_id=ceremony_id, product_id=products["pomelo"], producer_id=uuid.uuid4(),
            product_name="Bưởi Diễn", stars=4, decision_number="1/QĐ"))
    ceremony = await http.post("/buyers/invitations", headers=HANOI, json={
        "event_kind": "ceremony", "event_id": str(ceremony_id),
        "session_date": str(TODAY + timedelta(days=14)), "province_code": "01"})
    assert ceremony.status_code == 200, ceremony.text
    assert [(i["buyer_id"], i["product_ids"]) for i in ceremony.json()["invited"]] == [
        (distributor["id"], [p["pomelo"]])]
    assert len(await invited_events(promotion)) == 3


async def test_the_gift_catalogue_of_a_province(promotion, products) -> None:
    http, p = promotion.http, {k: str(v) for k, v in products.items()}
    for who in (PRODUCER, INTEGRATION, HCM):
        page = await http.get("/catalogue/gifts", headers=who, params={"province_code": "01"})
        assert page.status_code == 200, page.text
        # most stars first, then by name; no fresh produce, nothing expired
        assert [x["product_id"] for x in page.json()["items"]] == [
            p["tea"], p["pottery"], p["honey"]]
    south = await http.get("/catalogue/gifts", headers=PRODUCER, params={"province_code": "79"})
    assert [x["product_id"] for x in south.json()["items"]] == [p["wine"], p["coffee"]]
    bad = await http.get("/catalogue/gifts", headers=PRODUCER, params={"province_code": "99"})
    assert bad.status_code == 422 and bad.json()["field"] == "province_code"
    assert (await http.get("/catalogue/gifts", headers=PRODUCER)).status_code == 422
