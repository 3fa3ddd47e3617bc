"""Products over the registry's HTTP API on real PostgreSQL and NATS: the product set checked
against the shared classification, the group derived from it, standards with their validity,
listing with filters and accent-free search, and edits refused once a product is submitted."""

import pytest

from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.testing import complete_dossier
from ocop_shared.auth import Role
from ocop_shared.testing.services import auth_header, running, settings_for_test

HANOI = auth_header(Role.provincial_official, province_code="01")
HCMC = auth_header(Role.provincial_official, province_code="79")
OPERATOR = auth_header(Role.operator)

HACCP = {"standard": "haccp", "certificate_number": "HACCP-2025-0117",
         "issuer": "Trung tâm Chứng nhận Phù hợp QUACERT", "valid_from": "2025-01-15",
         "valid_until": "2028-01-14"}
VIETGAP = {"standard": "vietgap", "certificate_number": "VietGAP-TT-21-0042",
           "issuer": "Công ty CP Chứng nhận Nông nghiệp", "valid_from": "2024-06-01",
           "valid_until": "2026-06-01"}


@pytest.fixture
async def http(databases, jetstream):
    url = await databases.fresh("registry", MIGRATIONS)
    async with running(build_definition(), settings_for_test(url, jetstream)) as svc:
        yield svc.http


async def add_producer(http, registration_number: str, *, province_code: str = "01",
                       commune_code: str = "00004", headers=HANOI) -> str:  # noqa: ANN001
    created = await http.post("/producers", headers=headers, json={
        "name": f"HTX {registration_number}", "kind": "cooperative",
        "registration_number": registration_number, "legal_representative": "Nguyễn Thị Lan",
        "province_code": province_code, "commune_code": commune_code})
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def add_product(http, producer_id: str, name: str, product_set: str,
                      headers=HANOI, **extra) -> dict:  # noqa: ANN001, ANN003
    created = await http.post("/products", headers=headers, json={
        "producer_id": producer_id, "name": name, "product_set": product_set, **extra})
    assert created.status_code == 201, created.text
    return created.json()


async def test_product_set_is_checked_and_decides_the_group(http) -> None:
    pid = await add_producer(http, "0101000001")
    product = await add_product(http, pid, "Chè Shan Tuyết Tà Xùa", "tea",
                                description="Chè búp hái từ cây cổ thụ", standards=[HACCP])
    assert product["product_group"] == "I" and product["product_set"] == "tea"
    assert product["description"] == "Chè búp hái từ cây cổ thụ"
    assert [s["certificate_number"] for s in product["standards"]] == ["HACCP-2025-0117"]
    tour = await add_product(http, pid, "Du lịch cộng đồng bản Lác", "community-tourism")
    assert tour["product_group"] == "VI" and tour["standards"] == []

    unknown = await http.post("/products", headers=HANOI, json={
        "producer_id": pid, "name": "Chè xanh", "product_set": "tee"})
    assert unknown.status_code == 422
    error = unknown.json()["detail"][0]
    assert error["field"] == "body.product_set"
    assert "unknown product set 'tee'" in error["reason"] and "tea" in error["reason"]

    sets = (await http.get("/product-sets", headers=HANOI)).json()
    assert [g["code"] for g in sets["groups"]] == ["I", "II", "III", "IV", "V", "VI"]
    assert {"tea", "honey", "cosmetics", "textiles"} <= {s["code"] for s in sets["product_sets"]}
    assert sets["status"].startswith("illustrative")


async def test_standards_need_a_valid_period_and_are_replaced_as_a_whole(http) -> None:
    pid = await add_producer(http, "0101000002")
    reversed_dates = {**HACCP, "valid_from": "2028-01-14", "valid_until": "2025-01-15"}
    refused = await http.post("/products", headers=HANOI, json={
        "producer_id": pid, "name": "Mật ong hoa nhãn", "product_set": "honey",
        "standards": [VIETGAP, reversed_dates]})
    assert refused.status_code == 422
    error = refused.json()["detail"][0]
    assert error["field"] == "body.standards.1.valid_until"
    assert "must be after valid_from" in error["reason"]

    product = await add_product(http, pid, "Mật ong hoa nhãn", "honey", standards=[VIETGAP])
    path = f"/products/{product['id']}/standards"
    cases = {
        "body.standards.0.valid_until": [{**HACCP, "valid_until": HACCP["valid_from"]}],
        "body.standards.0.name": [{**HACCP, "standard": "other"}],
        "body.standards.0.standard": [{**HACCP, "standard": "iso_14001"}],
        "body.standards": [HACCP, HACCP],
    }
    for field, standards in cases.items():
        bad = await http.put(path, headers=HANOI, json={"standards": standards})
        assert bad.status_code == 422, bad.text
        assert bad.json()["detail"][0]["field"] == field, bad.text
    other = {**HACCP, "standard": "other", "name": "FSSC 22000"}
    replaced = await http.put(path, headers=HANOI, json={"standards": [HACCP, other]})
    assert replaced.status_code == 200, replaced.text
    assert [(s["standard"], s["name"]) for s in replaced.json()["standards"]] == [
        ("haccp", None), ("other", "FSSC 22000")]
    shown = (await http.get(f"/products/{product['id']}", headers=HANOI)).json()
    assert [s["standard"] for s in shown["standards"]] == ["haccp", "other"]
    emptied = await http.put(path, headers=HANOI, json={"standards": []})
    assert emptied.status_code == 200 and emptied.json()["standards"] == []


async def test_list_filters_and_searches_names_without_accents(http) -> None:
    first = await add_producer(http, "0101000003")
    second = await add_producer(http, "0101000004", commune_code="00008")
    saigon = await add_producer(http, "0301000001", province_code="79", commune_code="26506",
                                headers=HCMC)
    await add_product(http, first, "Chè Shan Tuyết", "tea")
    await add_product(http, first, "Mật ong bạc hà", "honey", standards=[VIETGAP])
    await add_product(http, second, "Rượu ngô men lá", "alcoholic-drinks")
    await add_product(http, second, "Khăn lụa Vạn Phúc", "textiles")
    await add_product(http, saigon, "Mật ong rừng U Minh", "honey", headers=HCMC)
    draft = await add_product(http, second, "Trà hoa vàng", "herbal-teas")
    await complete_dossier(http, draft["id"], HANOI)
    assert (await http.post(f"/products/{draft['id']}/submit", headers=HANOI,
                            json={})).status_code == 200

    async def names(headers=OPERATOR, **params) -> list[str]:  # noqa: ANN001, ANN003
        page = await http.get("/products", headers=headers, params=params)
        assert page.status_code == 200, page.text
        return [p["name"] for p in page.json()["items"]]

    assert await names(q="che") == ["Chè Shan Tuyết"]
    assert await names(q="mat ong") == ["Mật ong bạc hà", "Mật ong rừng U Minh"]
    assert await names(HANOI, q="MAT ONG") == ["Mật ong bạc hà"]  # own province only
    assert await names(q="ruou ngo") == ["Rượu ngô men lá"]
    assert await names(q="Lụa") == ["Khăn lụa Vạn Phúc"]
    assert await names(group="II") == ["Rượu ngô men lá"]
    assert await names(group="IV") == ["Khăn lụa Vạn Phúc"]
    assert await names(product_set="honey", province_code="79") == ["Mật ong rừng U Minh"]
    assert await names(producer_id=first) == ["Chè Shan Tuyết", "Mật ong bạc hà"]
    assert await names(commune_code="00008", status="draft") == [
        "Rượu ngô men lá", "Khăn lụa Vạn Phúc"]
    assert await names(status="submitted") == ["Trà hoa vàng"]
    own = auth_header(Role.producer, province_code="01", producer_id=first)
    assert await names(own) == ["Chè Shan Tuyết", "Mật ong bạc hà"]
    listed = (await http.get("/products", headers=OPERATOR, params={"q": "bac ha"})).json()
    assert listed["items"][0]["standards"][0]["standard"] == "vietgap"

    for param, value in (("group", "VII"), ("product_set", "mead")):
        bad = await http.get("/products", headers=OPERATOR, params={param: value})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == f"query.{param}"


async def test_edits_follow_the_product_set_and_stop_once_submitted(http) -> None:
    pid = await add_producer(http, "0101000005")
    product = await add_product(http, pid, "Tra sen", "processed-food")
    path = f"/products/{product['id']}"

    edited = await http.patch(path, headers=HANOI, json={
        "name": "Trà sen Tây Hồ", "product_set": "tea", "description": "Ướp hoa sen Tây Hồ"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["product_group"] == "I" and edited.json()["name"] == "Trà sen Tây Hồ"
    moved = await http.patch(path, headers=HANOI, json={"product_set": "herbal-teas"})
    assert moved.json()["product_group"] == "III"
    assert moved.json()["description"] == "Ướp hoa sen Tây Hồ"
    found = (await http.get("/products", headers=HANOI, params={"q": "tra sen tay"})).json()
    assert [p["id"] for p in found["items"]] == [product["id"]]
    cleared = await http.patch(path, headers=HANOI, json={"description": None})
    assert cleared.status_code == 200 and cleared.json()["description"] is None

    for body, field in (({"product_set": "lotus"}, "body.product_set"),
                        ({"name": None}, "body.name"), ({"stars": 5}, "body.stars")):
        bad = await http.patch(path, headers=HANOI, json=body)
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == field, bad.text
    stranger = auth_header(Role.producer, province_code="01", producer_id="someone-else")
    assert (await http.patch(path, headers=stranger, json={"name": "X Y"})).status_code == 403
    owner = auth_header(Role.producer, province_code="01", producer_id=pid)
    assert (await http.patch(path, headers=owner, json={"name": "Trà sen"})).status_code == 200

    await complete_dossier(http, product["id"], HANOI)
    assert (await http.post(f"{path}/submit", headers=HANOI, json={})).status_code == 200
    refused = await http.patch(path, headers=HANOI, json={"name": "Trà sen mới"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "product_not_editable"
    assert refused.json()["detail"] == (
        f"product {product['code']}: a product under evaluation (submitted) cannot change "
        "its name until the evaluation ends")
    standards = await http.put(f"{path}/standards", headers=HANOI, json={"standards": [HACCP]})
    assert standards.status_code == 409 and "under evaluation" in standards.json()["detail"]
    unchanged = (await http.get(path, headers=HANOI)).json()
    assert unchanged["name"] == "Trà sen" and unchanged["standards"] == []
