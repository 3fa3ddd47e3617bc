"""Registry against real PostgreSQL and NATS JetStream: commands commit state and events
together, the relay publishes them, and the product's status follows evaluation's events."""

import asyncio
import json
import uuid
from datetime import date

import nats
import pytest

from ocop_registry.bootstrap import MIGRATIONS, build_definition
from ocop_registry.testing import complete_dossier
from ocop_shared.auth import Role
from ocop_shared.contracts import Envelope
from ocop_shared.contracts.evaluation import EvaluationCompleted, ProductRecognized
from ocop_shared.messaging.outbox import Outbox
from ocop_shared.testing.services import auth_header, running, settings_for_test

OFFICIAL = auth_header(Role.provincial_official, province_code="01")
PRODUCER_BODY = {
    "name": "HTX Chè Shan Tuyết Tà Xùa",
    "kind": "cooperative",
    "registration_number": "0101234567",
    "legal_representative": "Lò Văn Pấng",
    "province_code": "01",
    "commune_code": "00004",
    "email": "htx@example.vn",
}


@pytest.fixture
async def registry(databases, jetstream):
    url = await databases.fresh("registry", MIGRATIONS)
    async with running(build_definition(), settings_for_test(url, jetstream)) as svc:
        yield svc


async def next_message(nats_url: str, subject: str, timeout: float = 10.0):
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(subject, durable=None, stream="OCOP_REGISTRY")
        msgs = await sub.fetch(1, timeout=timeout)
        return msgs[0]
    finally:
        await nc.close()


async def test_register_submit_publishes_event_with_envelope(registry, jetstream) -> None:
    http = registry.http
    producer = await http.post("/producers", json=PRODUCER_BODY, headers=OFFICIAL)
    assert producer.status_code == 201, producer.text
    product = await http.post(
        "/products",
        json={"producer_id": producer.json()["id"], "name": "Chè Shan Tuyết",
              "product_set": "tea"},
        headers=OFFICIAL,
    )
    assert product.status_code == 201, product.text
    assert product.json()["status"] == "draft"
    pid = product.json()["id"]
    await complete_dossier(http, pid, OFFICIAL)
    submitted = await http.post(f"/products/{pid}/submit", json={"self_score": 71},
                                headers={**OFFICIAL, "X-Correlation-ID": "corr-abc"})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"

    msg = await next_message(jetstream, "ocop.registry.product.submitted-for-evaluation.v1")
    env = Envelope.from_headers(msg.headers)
    assert msg.headers["Nats-Msg-Id"] == str(env.id)
    assert env.source == "/ocop/registry" and env.subject == pid
    assert env.correlation_id == "corr-abc"
    body = json.loads(msg.data)
    assert body["product_id"] == pid and body["self_score"] == 71.0
    assert body["province_code"] == "01" and body["commune_code"] == "00004"

    again = await http.post(f"/products/{pid}/submit", json={}, headers=OFFICIAL)
    assert again.status_code == 409
    assert again.json()["field"] == "status"


async def test_bad_input_names_the_field(registry) -> None:
    http = registry.http
    bad = await http.post("/producers", json={**PRODUCER_BODY, "province_code": "99"},
                          headers=OFFICIAL)
    assert bad.status_code == 422
    assert "province code '99'" in bad.text
    wrong_ward = await http.post("/producers", json={**PRODUCER_BODY, "commune_code": "26506"},
                                 headers=OFFICIAL)
    assert wrong_ward.status_code == 422 and "not in province 01" in wrong_ward.text
    ok = await http.post("/producers", json=PRODUCER_BODY, headers=OFFICIAL)
    assert ok.status_code == 201
    dup = await http.post("/producers", json={**PRODUCER_BODY, "name": "Other"},
                          headers=OFFICIAL)
    assert dup.status_code == 409
    assert dup.json()["field"] == "registration_number"
    assert PRODUCER_BODY["name"] in dup.json()["detail"]
    missing = await http.post("/products", json={"producer_id": str(uuid.uuid4()),
                                                 "name": "X Y", "product_set": "tea"},
                              headers=OFFICIAL)
    assert missing.status_code == 404 and missing.json()["field"] == "producer_id"


async def test_roles_and_jurisdiction(registry) -> None:
    http = registry.http
    assert (await http.post("/producers", json=PRODUCER_BODY)).status_code == 401
    producer_token = auth_header(Role.producer, province_code="01", producer_id="x")
    assert (await http.post("/producers", json=PRODUCER_BODY,
                            headers=producer_token)).status_code == 403
    other_province = auth_header(Role.provincial_official, province_code="79")
    assert (await http.post("/producers", json=PRODUCER_BODY,
                            headers=other_province)).status_code == 403
    assert (await http.get("/health")).status_code == 200


async def test_status_follows_evaluation_events(registry) -> None:
    http = registry.http
    producer = (await http.post("/producers", json=PRODUCER_BODY, headers=OFFICIAL)).json()
    product = (await http.post("/products", json={"producer_id": producer["id"],
                                                  "name": "Mật ong bạc hà",
                                                  "product_set": "honey"},
                               headers=OFFICIAL)).json()
    await complete_dossier(http, product["id"], OFFICIAL)
    await http.post(f"/products/{product['id']}/submit", json={}, headers=OFFICIAL)

    # evaluation's events, published through a real outbox of evaluation's own shape
    runtime = registry.runtime
    evaluation_outbox = Outbox(runtime.definition.tables.outbox, source="/ocop/evaluation")
    completed = EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=product["id"], producer_id=producer["id"],
        product_name="Mật ong bạc hà", province_code="01", level="province", score=75,
        stars=4, rulebook="1489/QĐ-TTg",
    )
    recognized = ProductRecognized(
        product_id=product["id"], producer_id=producer["id"], product_name="Mật ong bạc hà",
        province_code="01", stars=4, level="province", authority="UBND tỉnh 01",
        decision_number="12/QĐ-UBND", decision_date=date(2026, 11, 28), score=75,
        rulebook="1489/QĐ-TTg",
    )
    nc = await nats.connect(runtime.settings.nats_url)
    try:
        js = nc.jetstream()
        for event in (completed, recognized):
            env = Envelope.new(source="/ocop/evaluation", type=event.event_type(),
                               subject=str(product["id"]))
            await js.publish(event.subject(), event.model_dump_json().encode(),
                             headers=env.to_headers())
    finally:
        await nc.close()
    del evaluation_outbox

    for _ in range(100):
        current = (await http.get(f"/products/{product['id']}", headers=OFFICIAL)).json()
        if current["status"] == "certified":
            break
        await asyncio.sleep(0.1)
    assert current["status"] == "certified"
    assert current["stars"] == 4 and current["decision_number"] == "12/QĐ-UBND"
    public = await http.get(f"/public/products/{product['code']}")
    assert public.status_code == 200 and public.json()["stars"] == 4
