"""OpenTelemetry traces that follow one flow (one correlation id) across the services.

Propagation, without a column in the outbox table:

* every flow already carries its correlation id (HTTP ``X-Correlation-ID`` -> outbox row ->
  CloudEvents ``correlation-id`` header -> the events a consumer emits); the trace id is
  derived from it: ``trace_id = sha256(correlation_id)[:16]`` (`trace_id_for`);
* each entry span (HTTP request, outbox publish, consumer handling) is started under the
  flow's root span context (``span_id = sha256(correlation_id)[16:24]``), which is never
  recorded: a trace backend shows one trace per flow, its top spans under a missing root;
* the relay also sends a W3C ``traceparent`` header with each message, so a consumer's span is
  the child of the publish span of its event (the header is ignored if its trace id is not
  the flow's, e.g. a hand-made message).

Nothing is exported unless `configure_tracing` got an endpoint
(``OCOP_OTEL_EXPORTER_OTLP_ENDPOINT``, OTLP over HTTP); otherwise the API's no-op tracer runs.
Logs carry ``trace_id`` (always: it is derived) and ``span_id`` (when spans are recorded)
through structlog's context.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = structlog.get_logger("ocop.tracing")

_PROPAGATOR = TraceContextTextMapPropagator()
_provider: Any = None  # the SDK TracerProvider once configured; None: the API's no-op tracer
_tracers: dict[str, trace.Tracer] = {}  # per service, for the provider in force


def _digest(correlation_id: str) -> bytes:
    return hashlib.sha256(correlation_id.encode()).digest()


@lru_cache(maxsize=4096)
def trace_id_for(correlation_id: str) -> int:
    """The trace id of the flow with this correlation id (never 0)."""
    return int.from_bytes(_digest(correlation_id)[:16], "big") or 1


def trace_id_hex(correlation_id: str) -> str:
    """`trace_id_for` as the 32 hex digits trace backends and logs show."""
    return format(trace_id_for(correlation_id), "032x")


def flow_context(correlation_id: str) -> Context:
    """A context whose current span is the (unrecorded) root of the flow."""
    root = SpanContext(
        trace_id=trace_id_for(correlation_id),
        span_id=int.from_bytes(_digest(correlation_id)[16:24], "big") or 1,
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(root))


def parent_context(correlation_id: str, headers: Mapping[str, str] | None = None) -> Context:
    """The message's ``traceparent`` when it belongs to the flow, else the flow's root."""
    if headers and "traceparent" in headers:
        ctx = _PROPAGATOR.extract(dict(headers))
        span_context = trace.get_current_span(ctx).get_span_context()
        if span_context.is_valid and span_context.trace_id == trace_id_for(correlation_id):
            return ctx
    return flow_context(correlation_id)


def inject_traceparent(headers: dict[str, str]) -> dict[str, str]:
    """Add the current span's W3C ``traceparent`` to `headers` (no-op without a span, and
    without a configured provider: consumers then derive the flow's trace from its
    correlation id alone)."""
    if _provider is not None:
        _PROPAGATOR.inject(headers)
    return headers


def tracer(service: str) -> trace.Tracer:
    found = _tracers.get(service)
    if found is None:
        name = f"ocop.{service}"
        found = _provider.get_tracer(name) if _provider is not None else trace.get_tracer(name)
        _tracers[service] = found
    return found


@contextmanager
def span(
    service: str,
    name: str,
    *,
    correlation_id: str,
    kind: SpanKind,
    headers: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A span of `service` in the flow of `correlation_id`, current while the block runs, with
    ``trace_id``/``span_id`` bound to structlog. Exceptions are recorded and re-raised.

    Without a configured provider nothing is recorded, so only the trace id is bound (the logs
    still carry it) and no span or context is built: the messaging path pays for tracing only
    when traces are exported (bench/README.md)."""
    if _provider is None:
        with structlog.contextvars.bound_contextvars(trace_id=trace_id_hex(correlation_id)):
            yield trace.INVALID_SPAN
        return
    attrs = {"ocop.service": service, "ocop.correlation_id": correlation_id,
             **(attributes or {})}
    with tracer(service).start_as_current_span(
        name, context=parent_context(correlation_id, headers), kind=kind, attributes=attrs,
    ) as current:
        ids = {"trace_id": trace_id_hex(correlation_id)}
        span_context = current.get_span_context()
        if span_context.is_valid:
            ids["span_id"] = format(span_context.span_id, "016x")
        with structlog.contextvars.bound_contextvars(**ids):
            yield current


def configure_tracing(service: str, endpoint: str | None) -> None:
    """Export spans over OTLP/HTTP to `endpoint` (the collector's base URL; ``/v1/traces`` is
    added). Without an endpoint nothing changes. The first configuration in a process wins."""
    global _provider
    if not endpoint or _provider is not None:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    url = endpoint.rstrip("/")
    if not url.endswith("/v1/traces"):
        url += "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": f"ocop-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    _provider = provider
    _tracers.clear()
    trace.set_tracer_provider(provider)
    log.info("tracing.exporting", endpoint=url)


def install_span_exporter(exporter: Any) -> Any:
    """Record every span and hand it to `exporter` at once (tests: the SDK's
    ``InMemorySpanExporter``). Replaces a previous configuration; returns the provider."""
    global _provider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider = provider
    _tracers.clear()
    return provider


def shutdown_tracing() -> None:
    """Flush and drop the configured provider (spans started later are not recorded)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
        _provider = None
        _tracers.clear()


__all__ = ["configure_tracing", "flow_context", "inject_traceparent", "install_span_exporter",
           "parent_context", "shutdown_tracing", "span", "trace_id_for", "trace_id_hex", "tracer"]
