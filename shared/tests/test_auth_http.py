"""Shared HTTP layer: tokens, role and jurisdiction checks, error bodies, probes, correlation."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import jwt
import pytest
import pytest_asyncio
import structlog
from fastapi import APIRouter, Depends, FastAPI
from ocop_shared.auth import (
    AuthConfig,
    InvalidToken,
    Principal,
    Role,
    check_province,
    decode_token,
    dev_tokens,
    issue_token,
    require,
)
from ocop_shared.correlation import correlation_id_var
from ocop_shared.errors import Conflict, DomainError, InvalidInput, NotFound
from ocop_shared.http import create_app
from pydantic import BaseModel, Field
from structlog.testing import capture_logs

SECRET = "test-secret-that-is-long-enough-for-hs256"
OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256"

OFFICIAL_HN = Principal(
    subject="u-1", role=Role.provincial_official, province_code="01", name="Nguyễn Văn A"
)
PRODUCER_HN = Principal(
    subject="u-2",
    role=Role.producer,
    province_code="01",
    commune_code="00001",
    producer_id="producer-demo",
)
OPERATOR = Principal(subject="u-0", role=Role.operator)
INTEGRATION = Principal(subject="sys-1", role=Role.integration)


class NewProduct(BaseModel):
    name: str = Field(min_length=1)
    price_vnd: int = Field(ge=0)


def _test_router() -> APIRouter:
    router = APIRouter()
    admin = require(Role.operator, Role.provincial_official, action="list products")

    @router.get("/provinces/{code}/products")
    async def list_products(code: str, who: Annotated[Principal, Depends(admin)]) -> dict:
        check_province(who, code)
        return {"province": code, "subject": who.subject}

    @router.get("/me")
    async def me(who: Annotated[Principal, Depends(require())]) -> dict:
        return who.model_dump(mode="json")

    @router.post("/products", status_code=201)
    async def create_product(product: NewProduct, limit: int = 10) -> dict:
        return {"name": product.name}

    @router.get("/errors/{kind}")
    async def fail(kind: str) -> dict:
        errors: dict[str, DomainError] = {
            "conflict": Conflict("already_rated", "product already rated"),
            "missing": NotFound("product_not_found", "no product p-9"),
            "invalid": InvalidInput("bad_score", "score exceeds 100", field="score"),
            "custom": DomainError("round_closed", "round is closed", status=400),
        }
        raise errors[kind]

    @router.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("database exploded with secret details")

    @router.get("/correlation")
    async def correlation() -> dict:
        return {
            "var": correlation_id_var.get(),
            "structlog": structlog.contextvars.get_contextvars().get("correlation_id"),
        }

    return router


def make_app(checks: dict[str, bool] | None = None) -> FastAPI:
    async def readiness() -> dict[str, bool]:
        return dict(checks or {})

    app = create_app(
        service="registry",
        version="1.2.3",
        auth=AuthConfig(secret=SECRET),
        readiness=readiness if checks is not None else None,
    )
    app.include_router(_test_router())
    return app


def http_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(make_app({"database": True, "nats": True})) as c:
        yield c


def bearer(principal: Principal, *, now: datetime | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, SECRET, now=now)}"}


# --- tokens -----------------------------------------------------------------------------


def test_token_roundtrip_keeps_every_field() -> None:
    token = issue_token(PRODUCER_HN, SECRET)
    assert decode_token(token, SECRET) == PRODUCER_HN
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="ocop")
    assert claims["sub"] == "u-2" and claims["role"] == "producer"
    assert claims["province"] == "01" and claims["producer"] == "producer-demo"
    assert claims["exp"] - claims["iat"] == 12 * 3600


def test_dev_tokens_cover_every_role() -> None:
    tokens = dev_tokens(SECRET)
    assert set(tokens) == {str(r) for r in Role}
    council = decode_token(tokens["council_member"], SECRET)
    assert (council.province_code, council.council_id) == ("01", "council-01-province")
    assert decode_token(tokens["producer"], SECRET).producer_id == "producer-demo"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            issue_token(OPERATOR, SECRET, now=datetime.now(UTC) - timedelta(hours=13)),
            "token expired",
        ),
        (issue_token(OPERATOR, OTHER_SECRET), "bad signature"),
        (issue_token(OPERATOR, SECRET, issuer="elsewhere"), "wrong issuer"),
        ("not-a-jwt", "malformed token"),
        (
            jwt.encode(
                {"sub": "x", "role": "king", "iss": "ocop", "iat": 1, "exp": 2**40},
                SECRET,
                algorithm="HS256",
            ),
            "unknown role 'king'",
        ),
        (
            jwt.encode(
                {"sub": "x", "iss": "ocop", "iat": 1, "exp": 2**40}, SECRET, algorithm="HS256"
            ),
            "missing claim 'role'",
        ),
        (
            jwt.encode(
                {"sub": "x", "role": "operator", "iss": "ocop", "iat": 1, "exp": 2**40},
                None,
                algorithm="none",
            ),
            "algorithm not allowed (expected HS256)",
        ),
    ],
)
def test_decode_rejects_with_a_specific_reason(token: str, reason: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        decode_token(token, SECRET)
    assert caught.value.reason == reason


def test_issue_refuses_non_positive_ttl() -> None:
    with pytest.raises(ValueError, match="positive"):
        issue_token(OPERATOR, SECRET, ttl=timedelta(0))


# --- authentication over HTTP -----------------------------------------------------------


@pytest.mark.asyncio
async def test_valid_token_reaches_the_route(client: httpx.AsyncClient) -> None:
    r = await client.get("/me", headers=bearer(PRODUCER_HN))
    assert r.status_code == 200
    assert r.json()["producer_id"] == "producer-demo"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing token"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "authorization scheme must be Bearer"),
        (bearer(OPERATOR, now=datetime.now(UTC) - timedelta(days=1)), "token expired"),
        ({"Authorization": f"Bearer {issue_token(OPERATOR, OTHER_SECRET)}"}, "bad signature"),
    ],
)
@pytest.mark.asyncio
async def test_unauthenticated_is_401(
    client: httpx.AsyncClient, headers: dict, reason: str
) -> None:
    r = await client.get("/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json() == {"error": "unauthenticated", "detail": reason}


@pytest.mark.asyncio
async def test_wrong_role_is_403(client: httpx.AsyncClient) -> None:
    r = await client.get("/provinces/01/products", headers=bearer(PRODUCER_HN))
    assert r.status_code == 403
    body = r.json()
    assert body["error"] == "forbidden"
    assert body["detail"].startswith("role producer may not list products")


@pytest.mark.asyncio
async def test_wrong_province_is_403_naming_the_province(client: httpx.AsyncClient) -> None:
    r = await client.get("/provinces/79/products", headers=bearer(OFFICIAL_HN))
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"
    assert "province 79" in r.json()["detail"]


@pytest.mark.asyncio
async def test_own_province_and_operator_pass(client: httpx.AsyncClient) -> None:
    own = await client.get("/provinces/01/products", headers=bearer(OFFICIAL_HN))
    anywhere = await client.get("/provinces/79/products", headers=bearer(OPERATOR))
    assert (own.status_code, anywhere.status_code) == (200, 200)


def test_jurisdiction_rules() -> None:
    assert OPERATOR.can_act_in_province("96")
    assert INTEGRATION.can_act_in_province("96")
    assert PRODUCER_HN.can_act_in_province("01") and not PRODUCER_HN.can_act_in_province("79")
    orphan = Principal(subject="u-9", role=Role.council_member)
    assert not orphan.can_act_in_province("01")  # no province: reaches none


def test_require_rejects_unknown_roles_at_definition() -> None:
    with pytest.raises(ValueError):
        require("emperor")  # type: ignore[arg-type]


# --- error bodies -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_validation_error_names_the_fields(client: httpx.AsyncClient) -> None:
    r = await client.post("/products?limit=many", json={"name": "", "price_vnd": 5})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_failed"
    fields = {e["field"]: e["reason"] for e in body["detail"]}
    assert set(fields) == {"body.name", "query.limit"}
    assert "at least 1 character" in fields["body.name"]


@pytest.mark.asyncio
async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/products", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["error"] == "validation_failed"


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        (
            "conflict",
            409,
            {"error": "already_rated", "detail": "product already rated", "field": None},
        ),
        ("missing", 404, {"error": "product_not_found", "detail": "no product p-9", "field": None}),
        ("invalid", 422, {"error": "bad_score", "detail": "score exceeds 100", "field": "score"}),
        ("custom", 400, {"error": "round_closed", "detail": "round is closed", "field": None}),
    ],
)
@pytest.mark.asyncio
async def test_domain_errors_map_to_status_and_body(
    client: httpx.AsyncClient, kind: str, status: int, body: dict
) -> None:
    r = await client.get(f"/errors/{kind}")
    assert (r.status_code, r.json()) == (status, body)


@pytest.mark.asyncio
async def test_unknown_route_uses_the_error_body(client: httpx.AsyncClient) -> None:
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "detail": "Not Found"}


@pytest.mark.asyncio
async def test_unexpected_exception_is_500_with_correlation_id(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        r = await client.get("/boom", headers={"X-Correlation-ID": "req-500"})
    assert r.status_code == 500
    assert r.json() == {
        "error": "internal",
        "detail": "internal error",
        "correlation_id": "req-500",
    }
    assert r.headers["X-Correlation-ID"] == "req-500"
    failure = next(e for e in logs if e["event"] == "http.unhandled_error")
    assert failure["log_level"] == "error" and failure["exc_info"] is True


# --- probes -----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_health_is_anonymous_and_ok(client: httpx.AsyncClient) -> None:
    r = await client.get("/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok", "service": "registry"})


@pytest.mark.asyncio
async def test_ready_when_every_check_passes(client: httpx.AsyncClient) -> None:
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"database": True, "nats": True}


@pytest.mark.asyncio
async def test_not_ready_is_503_with_the_checks() -> None:
    async with http_client(make_app({"database": True, "nats": False})) as c:
        r = await c.get("/ready")
    assert r.status_code == 503
    assert r.json() == {
        "status": "not_ready",
        "service": "registry",
        "checks": {"database": True, "nats": False},
    }


@pytest.mark.asyncio
async def test_failing_readiness_check_is_503() -> None:
    async def broken() -> dict[str, bool]:
        raise ConnectionError("nats down")

    app = create_app(service="x", version="0", auth=AuthConfig(secret=SECRET), readiness=broken)
    async with http_client(app) as c:
        r = await c.get("/ready")
    assert r.status_code == 503
    assert r.json()["checks"] == {"checks_completed": False}


# --- correlation ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_correlation_id_is_echoed_and_bound(client: httpx.AsyncClient) -> None:
    r = await client.get("/correlation", headers={"X-Correlation-ID": "abc-123"})
    assert r.headers["X-Correlation-ID"] == "abc-123"
    assert r.json() == {"var": "abc-123", "structlog": "abc-123"}


@pytest.mark.asyncio
async def test_correlation_id_is_generated_when_absent_or_unsafe(client: httpx.AsyncClient) -> None:
    generated = (await client.get("/correlation")).headers["X-Correlation-ID"]
    assert len(generated) == 32
    unsafe = await client.get("/correlation", headers={"X-Correlation-ID": "x" * 65})
    assert unsafe.headers["X-Correlation-ID"] != "x" * 65


@pytest.mark.asyncio
async def test_correlation_is_unbound_after_the_request_and_access_logged() -> None:
    async with http_client(make_app({})) as http:
        with capture_logs() as logs:
            r = await http.get("/me", headers={**bearer(OFFICIAL_HN), "X-Correlation-ID": "c-9"})
    assert r.status_code == 200
    assert "correlation_id" not in structlog.contextvars.get_contextvars()
    assert correlation_id_var.get() is None
    access = next(e for e in logs if e["event"] == "http.request")
    assert access["method"] == "GET" and access["path"] == "/me" and access["status"] == 200
    assert access["subject"] == "u-1" and isinstance(access["duration_ms"], float)


# --- OpenAPI ----------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_openapi_documents_bearer_scheme_and_error_body(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["info"]["title"] == "OCOP registry API"
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = doc["paths"]["/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    validation = doc["components"]["schemas"]["HTTPValidationError"]
    assert set(validation["properties"]) == {"error", "detail"}
    assert (await client.get("/docs")).status_code == 200


def test_dev_producer_token_can_act_for_a_real_producer() -> None:
    from ocop_shared.auth import decode_token, dev_tokens

    secret = "dev-secret-0123456789-abcdefghijklmnopqrstuv"
    default = decode_token(dev_tokens(secret)["producer"], secret)
    bound = decode_token(dev_tokens(secret, producer_id="4f1c")["producer"], secret)
    assert default.producer_id == "producer-demo" and bound.producer_id == "4f1c"
    assert bound.role == "producer" and bound.province_code == default.province_code
