"""HTTP side of observability: a span and metrics per request, and the ``/metrics`` route."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..correlation import current_correlation_id
from .metrics import metrics_for
from .tracing import span

#: Route label of requests no route matched (keeps the label set small).
UNMATCHED_ROUTE = "unmatched"


class ObservabilityMiddleware:
    """Pure ASGI middleware inside `RequestContextMiddleware` (so the correlation id is set):
    one SERVER span per request in the flow's trace, and ``ocop_http_requests_total`` /
    ``ocop_http_request_duration_seconds`` labelled with the route template, not the path."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.metrics = metrics_for(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        status = 500  # an exception reaching us becomes a 500 in RequestContextMiddleware

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        with span(self.service, f"{method} request", correlation_id=current_correlation_id(),
                  kind=SpanKind.SERVER, attributes={"http.request.method": method}) as current:
            try:
                await self.app(scope, receive, send_status)
            finally:
                route = _route_template(scope)
                current.update_name(f"{method} {route}")
                current.set_attribute("http.route", route)
                current.set_attribute("http.response.status_code", status)
                if status >= 500:
                    current.set_status(Status(StatusCode.ERROR))
                self.metrics.http_request(method, route, status, time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


def metrics_router(service: str) -> APIRouter:
    """``GET /metrics``: the service's Prometheus metrics (text format), anonymous like the
    probes: serve it on the internal port only (no personal data in any label)."""
    router = APIRouter(tags=["operations"])
    metrics = metrics_for(service)

    @router.get("/metrics", include_in_schema=False)
    async def prometheus_metrics(_request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return router


__all__ = ["ObservabilityMiddleware", "UNMATCHED_ROUTE", "metrics_router"]
