"""Producers over the registry's HTTP API on real PostgreSQL and NATS: registration rules,
listing and search, updates and deactivation, and the events they publish."""


import pytest

from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_shared.auth import Role
from ocop_shared.testing.services import (
    auth_header,
    running,
    settings_for_test,
    stream_messages,
)

HANOI = auth_header(Role.provincial_official, province_code="01")
HCMC = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)


def producer(**overrides):  # noqa: ANN003, ANN201
    return {
        "name": "HTX Nông sản sạch Ba Đình", "kind": "cooperative",
        "registration_number": "0101234567", "legal_representative": "Nguyễn Thị Lan",
        "province_code": "01", "commune_code": "00004", "female_owned": True,
        **overrides,
    }


@pytest.fixture
async def http(databases, jetstream):
    url = await databases.fresh("registry", MIGRATIONS)
    async with running(build_definition(), settings_for_test(url, jetstream)) as svc:
        yield svc.http


async def test_registration_rules_name_the_field(http) -> None:
    created = await http.post("/producers", json=producer(), headers=HANOI)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["registration_type"] == "tax_code" and body["female_owned"] is True
    assert body["active"] is True

    duplicate = await http.post("/producers", headers=HANOI,
                                json=producer(name="Công ty Khác", kind="enterprise"))
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "registration_number"
    assert "HTX Nông sản sạch Ba Đình" in duplicate.json()["detail"]

    cases = {
        "registration_number": producer(registration_number="12345"),
        "commune_code": producer(commune_code="26506"),  # a ward of province 79
        "legal_representative": {k: v for k, v in producer().items()
                                 if k != "legal_representative"},
    }
    for field, body in cases.items():
        refused = await http.post("/producers", json=body, headers=HANOI)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == f"body.{field}", refused.text
    wrong_paper = await http.post("/producers", headers=HANOI, json=producer(
        kind="enterprise", registration_type="household_business_certificate",
        registration_number="01A8-000001"))
    assert wrong_paper.status_code == 422 and "is registered by tax_code" in wrong_paper.text

    household = await http.post("/producers", headers=HANOI, json=producer(
        name="Hộ kinh doanh Bà Tư", kind="household_business",
        registration_type="household_business_certificate", registration_number="01a8-000001"))
    assert household.status_code == 201, household.text
    assert household.json()["registration_number"] == "01A8-000001"


async def test_list_filters_paginates_and_searches_without_accents(http) -> None:
    rows = [
        producer(name="HTX Mật ong Bạc Hà", registration_number="0100000001"),
        producer(name="HTX Chè Shan Tuyết", registration_number="0100000002",
                 commune_code="00008"),
        producer(name="Công ty Đường phèn", kind="enterprise",
                 registration_number="0100000003"),
    ]
    for row in rows:
        assert (await http.post("/producers", json=row, headers=HANOI)).status_code == 201
    assert (await http.post("/producers", headers=HCMC, json=producer(
        name="HTX Mật ong Sài Gòn", registration_number="0300000001", province_code="79",
        commune_code="26506"))).status_code == 201

    async def names(headers, **params):  # noqa: ANN001, ANN003, ANN202
        page = await http.get("/producers", headers=headers, params=params)
        assert page.status_code == 200, page.text
        return [p["name"] for p in page.json()["items"]]

    assert await names(HANOI, q="mat ong") == ["HTX Mật ong Bạc Hà"]  # own province only
    assert await names(OPERATOR, q="MAT ONG") == ["HTX Mật ong Bạc Hà", "HTX Mật ong Sài Gòn"]
    assert await names(OPERATOR, q="duong") == ["Công ty Đường phèn"]
    assert await names(OPERATOR, q="che", province_code="01") == ["HTX Chè Shan Tuyết"]
    assert await names(OPERATOR, commune_code="00008") == ["HTX Chè Shan Tuyết"]
    assert await names(OPERATOR, kind="enterprise") == ["Công ty Đường phèn"]
    page = (await http.get("/producers", headers=OPERATOR,
                           params={"limit": 2, "offset": 2})).json()
    assert page["total"] == 4 and page["limit"] == 2 and len(page["items"]) == 2
    assert (await http.get("/producers", headers=HANOI,
                           params={"province_code": "79"})).status_code == 403
    assert (await http.get("/producers", headers=OPERATOR,
                           params={"limit": 500})).status_code == 422


async def test_update_and_deactivate_publish_events_and_guard_the_record(
    http, jetstream
) -> None:
    created = (await http.post("/producers", json=producer(), headers=HANOI)).json()
    other = (await http.post("/producers", headers=HANOI, json=producer(
        name="HTX Khác", registration_number="0109999999",
        legal_representative="Trần Văn Minh"))).json()
    pid = created["id"]

    moved = await http.patch(f"/producers/{pid}", headers=HANOI,
                             json={"commune_code": "00008", "phone": "0912345678"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["commune_code"] == "00008"
    assert (await http.get("/producers", headers=HANOI, params={"q": "lan"})).json()["total"] == 1

    outside = await http.patch(f"/producers/{pid}", headers=HANOI, json={"commune_code": "26506"})
    assert outside.status_code == 422 and outside.json()["detail"][0]["field"] == \
        "body.commune_code"
    taken = await http.patch(f"/producers/{pid}", headers=HANOI,
                             json={"registration_number": other["registration_number"]})
    assert taken.status_code == 409 and "HTX Khác" in taken.json()["detail"]
    assert (await http.patch(f"/producers/{pid}", headers=HCMC,
                             json={"phone": "0911111111"})).status_code == 403

    product = await http.post("/products", headers=HANOI, json={
        "producer_id": pid, "name": "Chè búp", "product_set": "tea"})
    assert product.status_code == 201
    gone = await http.post(f"/producers/{pid}/deactivate", headers=HANOI,
                           json={"reason": "HTX giải thể"})
    assert gone.status_code == 200 and gone.json()["active"] is False
    again = await http.post(f"/producers/{pid}/deactivate", headers=HANOI,
                            json={"reason": "again"})
    assert again.status_code == 409
    refused = await http.post("/products", headers=HANOI, json={
        "producer_id": pid, "name": "Chè mới", "product_set": "tea"})
    assert refused.status_code == 409 and "giải thể" in refused.json()["detail"]
    submit = await http.post(f"/products/{product.json()['id']}/submit", headers=HANOI, json={})
    assert submit.status_code == 409
    assert (await http.get("/producers", headers=HANOI,
                           params={"active": "false"})).json()["total"] == 1

    by_type = {}
    for msg in await stream_messages(jetstream, "ocop.registry.producer.>", at_least=4):
        by_type.setdefault(msg.type, []).append(msg.payload)
    updated = by_type["ocop.registry.ProducerUpdated.v1"]
    assert [u["changed"] for u in updated] == [["commune_code", "phone"]]
    assert updated[0]["commune_code"] == "00008" and updated[0]["female_owned"] is True
    assert by_type["ocop.registry.ProducerDeactivated.v1"][0]["reason"] == "HTX giải thể"
    assert len(by_type["ocop.registry.ProducerRegistered.v1"]) == 2
