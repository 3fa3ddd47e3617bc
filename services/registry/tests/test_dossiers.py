"""Dossiers over the registry's HTTP API on real PostgreSQL and NATS: upload, list, download
with the checksum verified, deletion rules, completeness, and submission refused while a
mandatory item is missing."""

import hashlib
import json

import pytest
from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.settings import RegistryRules
from ocop_registry.testing import complete_dossier
from ocop_shared.auth import Role
from ocop_shared.testing.services import (
    auth_header,
    published_payloads,
    running,
    settings_for_test,
)

HANOI = auth_header(Role.provincial_official, province_code="01")
HCMC = auth_header(Role.provincial_official, province_code="79")
PDF = b"%PDF-1.4 Phieu dang ky san pham OCOP"


@pytest.fixture
async def http(databases, jetstream):
    url = await databases.fresh("registry", MIGRATIONS)
    async with running(build_definition(RegistryRules(dossier_max_upload_bytes=1024)),
                       settings_for_test(url, jetstream)) as svc:
        yield svc.http


async def producer_and_product(http, number: str, product_set: str = "tea") -> tuple[str, dict]:  # noqa: ANN001
    producer = await http.post("/producers", headers=HANOI, json={
        "name": f"HTX {number}", "kind": "cooperative", "registration_number": number,
        "legal_representative": "Nguyễn Thị Lan", "province_code": "01",
        "commune_code": "00004"})
    assert producer.status_code == 201, producer.text
    product = await http.post("/products", headers=HANOI, json={
        "producer_id": producer.json()["id"], "name": "Chè Shan Tuyết",
        "product_set": product_set})
    assert product.status_code == 201, product.text
    return producer.json()["id"], product.json()


async def upload(http, product_id: str, type_: str = "registration_form",  # noqa: ANN001
                 content: bytes = PDF, headers=HANOI, **data):  # noqa: ANN001, ANN003, ANN201
    return await http.post(f"/products/{product_id}/documents", headers=headers,
                           data={"type": type_, "title": "Phiếu đăng ký", **data},
                           files={"file": ("phieu-dang-ky.pdf", content, "application/pdf")})


async def test_upload_list_download_and_delete(http, dossier_storage) -> None:
    producer_id, product = await producer_and_product(http, "0101000101")
    pid = product["id"]
    owner = auth_header(Role.producer, province_code="01", producer_id=producer_id)
    created = await upload(http, pid, headers=owner, metadata=json.dumps({"pages": 2}))
    assert created.status_code == 201, created.text
    doc = created.json()
    digest = hashlib.sha256(PDF).hexdigest()
    assert doc["type"] == "registration_form" and doc["sha256"] == digest
    assert doc["size"] == len(PDF) and doc["file_name"] == "phieu-dang-ky.pdf"
    assert doc["media_type"] == "application/pdf" and doc["metadata"] == {"pages": 2}
    assert (dossier_storage / digest[:2] / digest).read_bytes() == PDF

    listed = await http.get(f"/products/{pid}/documents", headers=owner)
    assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [doc["id"]]
    content = await http.get(f"/products/{pid}/documents/{doc['id']}/content", headers=HANOI)
    assert content.status_code == 200 and content.content == PDF
    assert content.headers["content-type"] == "application/pdf"

    dossier = (await http.get(f"/products/{pid}/dossier", headers=owner)).json()
    assert dossier["complete"] is False
    assert [i["code"] for i in dossier["present"]] == ["registration_form"]
    assert [i["code"] for i in dossier["missing"]] == [
        "business_plan", "organisation_introduction", "business_registration",
        "product_samples", "food_safety_certificate"]

    # the stored file damaged on disk: refused, not served
    (dossier_storage / digest[:2] / digest).write_bytes(b"tampered")
    corrupt = await http.get(f"/products/{pid}/documents/{doc['id']}/content", headers=HANOI)
    assert corrupt.status_code == 500 and corrupt.json()["detail"] == "stored file corrupt"

    deleted = await http.delete(f"/products/{pid}/documents/{doc['id']}", headers=owner)
    assert deleted.status_code == 204
    assert (await http.get(f"/products/{pid}/documents", headers=HANOI)).json() == []
    missing = await http.delete(f"/products/{pid}/documents/{doc['id']}", headers=owner)
    assert missing.status_code == 404

    bad_type = await upload(http, pid, type_="selfie")
    assert bad_type.status_code == 422


async def test_access_size_and_status_rules(http) -> None:
    _, product = await producer_and_product(http, "0101000102")
    pid = product["id"]
    stranger = auth_header(Role.producer, province_code="01", producer_id="someone-else")
    assert (await upload(http, pid, headers=stranger)).status_code == 403
    assert (await upload(http, pid, headers=HCMC)).status_code == 403
    assert (await http.get(f"/products/{pid}/documents", headers=stranger)).status_code == 403
    assert (await http.get(f"/products/{pid}/dossier", headers=HCMC)).status_code == 403

    too_large = await upload(http, pid, content=b"x" * 1025)
    assert too_large.status_code == 413
    assert too_large.json()["error"] == "file_too_large"
    assert "1024 bytes" in too_large.json()["detail"]
    assert (await http.get(f"/products/{pid}/documents", headers=HANOI)).json() == []

    await complete_dossier(http, pid, HANOI)
    assert (await http.post(f"/products/{pid}/submit", headers=HANOI, json={})).status_code == 200
    doc = (await http.get(f"/products/{pid}/documents", headers=HANOI)).json()[0]
    kept = await http.delete(f"/products/{pid}/documents/{doc['id']}", headers=HANOI)
    assert kept.status_code == 409 and kept.json()["field"] == "status"
    late = await upload(http, pid, type_="awards")
    assert late.status_code == 409 and late.json()["error"] == "product_not_editable"


async def test_incomplete_dossier_is_refused_and_a_complete_one_submitted(
    http, jetstream
) -> None:
    _, product = await producer_and_product(http, "0101000103")
    pid = product["id"]
    assert (await upload(http, pid)).status_code == 201
    refused = await http.post(f"/products/{pid}/submit", headers=HANOI, json={"self_score": 70})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "dossier_incomplete" and body["field"] == "dossier"
    for code, name in (("business_plan", "Phương án/kế hoạch kinh doanh"),
                       ("product_samples", "Mẫu sản phẩm (05 mẫu)"),
                       ("food_safety_certificate", "an toàn thực phẩm")):
        assert code in body["detail"] and name in body["detail"]
    assert "registration_form" not in body["detail"]
    assert (await http.get(f"/products/{pid}", headers=HANOI)).json()["status"] == "draft"

    assert await complete_dossier(http, pid, HANOI) == [
        "business_plan", "organisation_introduction", "business_registration",
        "product_samples", "food_safety_certificate"]
    assert (await upload(http, pid, type_="product_story")).status_code == 201
    assert (await http.get(f"/products/{pid}/dossier", headers=HANOI)).json()["complete"]
    submitted = await http.post(f"/products/{pid}/submit", headers=HANOI, json={"self_score": 70})
    assert submitted.status_code == 200, submitted.text

    [event] = await published_payloads(
        jetstream, "ocop.registry.product.submitted-for-evaluation.v1", at_least=1)
    assert event["product_id"] == pid
    assert event["dossier_items"] == sorted([
        "registration_form", "business_plan", "organisation_introduction",
        "business_registration", "product_samples", "food_safety_certificate",
        "product_story"])


async def test_tourism_is_submitted_without_samples(http) -> None:
    _, product = await producer_and_product(http, "0101000104", "community-tourism")
    assert await complete_dossier(http, product["id"], HANOI) == [
        "registration_form", "business_plan", "organisation_introduction",
        "business_registration"]
    submitted = await http.post(f"/products/{product['id']}/submit", headers=HANOI, json={})
    assert submitted.status_code == 200, submitted.text
