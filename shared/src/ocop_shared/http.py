"""The HTTP app every service builds on: probes, error bodies, correlation ids, access log.

`create_app` returns a FastAPI app with

* ``GET /health`` (liveness) and ``GET /ready`` (readiness), both anonymous;
* ``GET /metrics`` (Prometheus, anonymous) and a span + metrics per request (`observability`);
* one error body shape for every failure: ``{"error": code, "detail": ...}``
  (422 ``validation_failed`` lists the fields at fault; `DomainError`s carry their
  ``field``; unexpected exceptions give 500 ``internal`` with the correlation id);
* an ``X-Correlation-ID`` read from the request (or generated), bound to structlog and to
  `ocop_shared.correlation.correlation_id_var` while the request runs, and echoed back;
* one structured log line per request;
* OpenAPI at ``/openapi.json`` and ``/docs`` with the bearer security scheme.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, Literal

import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import SECURITY_SCHEME_NAME, AuthConfig, bearer_scheme
from .correlation import causation_id_var, correlation_id_var
from .errors import DomainError
from .observability.asgi import ObservabilityMiddleware, metrics_router
from .observability.tracing import trace_id_hex

log = structlog.get_logger("ocop.http")

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]

CORRELATION_HEADER = "X-Correlation-ID"
#: Incoming ids must fit the outbox column and be safe to log; others are replaced.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
#: A readiness check slower than this counts as failed (probes have their own deadline).
READINESS_TIMEOUT_SECONDS = 5.0
#: Probe endpoints are polled constantly; their access lines go to debug level.
_QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})


# ---------------------------------------------------------------------------------------
# Response bodies (also documented in OpenAPI)
# ---------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every error response except 422 validation failures."""

    error: str
    detail: Any
    field: str | None = None
    correlation_id: str | None = None


class FieldError(BaseModel):
    """One invalid input value: where it is (dotted path, e.g. ``body.name``) and why."""

    field: str
    reason: str


class ValidationErrorBody(BaseModel):
    """422: the request does not match the endpoint's schema."""

    error: Literal["validation_failed"] = "validation_failed"
    detail: list[FieldError]


class HealthBody(BaseModel):
    status: Literal["ok"] = "ok"
    service: str


class ReadinessBody(BaseModel):
    status: Literal["ready", "not_ready"]
    service: str
    checks: dict[str, bool]


#: For routers: ``APIRouter(responses=ERROR_RESPONSES)`` documents the shared error bodies.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The request breaks a business rule"},
    401: {"model": ErrorBody, "description": "Missing, expired or invalid bearer token"},
    403: {"model": ErrorBody, "description": "Role or jurisdiction does not allow this"},
    404: {"model": ErrorBody, "description": "No such resource"},
    409: {"model": ErrorBody, "description": "Conflicts with the current state"},
}


# ---------------------------------------------------------------------------------------
# App factory
# ---------------------------------------------------------------------------------------


def create_app(
    *,
    service: str,
    version: str,
    auth: AuthConfig,
    readiness: ReadinessCheck | None = None,
    lifespan: Any = None,
    description: str = "",
) -> FastAPI:
    """A FastAPI app with the platform's probes, error handling, correlation and auth config.

    `readiness` returns named checks (e.g. ``{"database": True, "nats": False}``); the
    service is ready when all are true. `lifespan` is passed to FastAPI unchanged.
    """
    if auth.secret_is_weak:
        log.warning("auth.weak_secret", service=service, hint="use a JWT secret of 32+ bytes")
    app = FastAPI(
        title=f"OCOP {service} API",
        version=version,
        description=description,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.auth = auth
    app.state.service = service
    _install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, service=service)  # inside the next one
    app.add_middleware(RequestContextMiddleware)
    app.include_router(_probes(service, readiness))
    app.include_router(metrics_router(service))
    _install_openapi(app)
    return app


def _probes(service: str, readiness: ReadinessCheck | None) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health", response_model=HealthBody, summary="Liveness")
    async def health() -> HealthBody:
        """The process is up and serving HTTP. Does not look at dependencies."""
        return HealthBody(service=service)

    @router.get(
        "/ready",
        response_model=ReadinessBody,
        summary="Readiness",
        responses={503: {"model": ReadinessBody, "description": "A dependency is unavailable"}},
    )
    async def ready() -> JSONResponse:
        """Whether the service can do its work: every dependency check passes."""
        checks = await _run_readiness(readiness)
        ok = all(checks.values())
        body = ReadinessBody(status="ready" if ok else "not_ready", service=service, checks=checks)
        return JSONResponse(body.model_dump(mode="json"), status_code=200 if ok else 503)

    return router


async def _run_readiness(readiness: ReadinessCheck | None) -> dict[str, bool]:
    if readiness is None:
        return {}
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            checks = await readiness()
    except TimeoutError:
        log.warning("http.readiness_timeout", timeout_seconds=READINESS_TIMEOUT_SECONDS)
        return {"checks_completed": False}
    except Exception:
        log.exception("http.readiness_check_failed")
        return {"checks_completed": False}
    return {name: bool(passed) for name, passed in checks.items()}


# ---------------------------------------------------------------------------------------
# Error handling
# ---------------------------------------------------------------------------------------


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_failed)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]
    # Unexpected exceptions are answered by RequestContextMiddleware, which still knows
    # the correlation id (the app's outermost 500 handler runs after it has been unbound).


def field_errors(errors: Any) -> list[FieldError]:
    """Pydantic/FastAPI error dicts as `FieldError`s with dotted locations."""
    return [
        FieldError(
            field=".".join(str(part) for part in e.get("loc", ())) or "request",
            reason=str(e.get("msg", "invalid value")),
        )
        for e in errors
    ]


async def _validation_failed(_request: Request, exc: RequestValidationError) -> JSONResponse:
    body = ValidationErrorBody(detail=field_errors(exc.errors()))
    log.info("http.validation_failed", fields=[f.field for f in body.detail])
    return JSONResponse(body.model_dump(mode="json"), status_code=422)


async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    log.info("http.domain_error", error=exc.code, status=exc.status, field=exc.field)
    body = ErrorBody(error=exc.code, detail=exc.message, field=exc.field)
    return JSONResponse(body.model_dump(mode="json", exclude={"correlation_id"}), exc.status)


UNIQUE_VIOLATION = "23505"


async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
    """Two requests raced past a uniqueness check and the database refused the second: a 409
    naming the constraint, not a 500. Any other integrity error is a bug and stays a 500."""
    code = getattr(exc.orig, "pgcode", None) or getattr(exc.orig, "sqlstate", None)
    if code != UNIQUE_VIOLATION:
        raise exc
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
    log.info("http.unique_violation", constraint=constraint)
    body = ErrorBody(error="already_exists", detail=f"a concurrent request created the same "
                                                    f"record first ({constraint or 'unique'})")
    return JSONResponse(body.model_dump(mode="json", exclude={"correlation_id"}), 409)


async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code in (204, 304):  # no body allowed
        return Response(status_code=exc.status_code, headers=headers)
    code = getattr(exc, "error", None) or error_code_for_status(exc.status_code)
    return JSONResponse({"error": code, "detail": exc.detail}, exc.status_code, headers=headers)


def error_code_for_status(status: int) -> str:
    """A snake_case error code for an HTTP status (404 -> ``not_found``)."""
    if status == 401:
        return "unauthenticated"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "http_error"
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


# ---------------------------------------------------------------------------------------
# Correlation, access log and last-resort error handling
# ---------------------------------------------------------------------------------------


class RequestContextMiddleware:
    """Pure ASGI middleware: correlation id in and out, one access line, 500 as JSON.

    Runs outside FastAPI's exception handlers, so an exception reaching it is unexpected:
    it is logged with its traceback (and the correlation id) and answered with
    ``{"error": "internal", "detail": "internal error", "correlation_id": ...}``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = _incoming_correlation_id(scope) or uuid.uuid4().hex
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        started = time.perf_counter()
        correlation_token = correlation_id_var.set(correlation_id)
        causation_token = causation_id_var.set(None)
        try:
            with structlog.contextvars.bound_contextvars(
                correlation_id=correlation_id, trace_id=trace_id_hex(correlation_id)
            ):
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    if status is not None:  # too late for an error response
                        log.exception("http.failed_after_response_started", path=scope["path"])
                        raise
                    log.exception(
                        "http.unhandled_error", method=scope["method"], path=scope["path"]
                    )
                    body = ErrorBody(
                        error="internal", detail="internal error", correlation_id=correlation_id
                    )
                    await JSONResponse(body.model_dump(mode="json", exclude={"field"}), 500)(
                        scope, receive, send_with_id
                    )
                finally:
                    _log_request(scope, status, time.perf_counter() - started)
        finally:
            correlation_id_var.reset(correlation_token)
            causation_id_var.reset(causation_token)


def _incoming_correlation_id(scope: Scope) -> str | None:
    value = Headers(scope=scope).get(CORRELATION_HEADER)
    if value and _CORRELATION_ID.fullmatch(value):
        return value
    return None


def _log_request(scope: Scope, status: int | None, seconds: float) -> None:
    path: str = scope["path"]
    fields: dict[str, Any] = {
        "method": scope["method"],
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    principal = _state(scope).get("principal")
    if principal is not None:
        fields["subject"] = principal.subject
        fields["role"] = str(principal.role)
    if path in _QUIET_PATHS and status == 200:
        log.debug("http.request", **fields)
    else:
        log.info("http.request", **fields)


def _state(scope: Scope) -> Mapping[str, Any]:
    state = scope.get("state")
    return state if isinstance(state, Mapping) else {}


# ---------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------


def _install_openapi(app: FastAPI) -> None:
    """Document the bearer scheme and the platform's 422 body instead of FastAPI's."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {}).setdefault(
            SECURITY_SCHEME_NAME,
            bearer_scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True),
        )
        schemas = components.get("schemas", {})
        if "HTTPValidationError" in schemas:
            replacement = ValidationErrorBody.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            schemas.update(replacement.pop("$defs", {}))
            schemas["HTTPValidationError"] = replacement
            if "loc" in schemas.get("ValidationError", {}).get("properties", {}):
                del schemas["ValidationError"]  # FastAPI's item schema, now unreferenced
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
