"""Prometheus metrics of one service, in its own registry (label `service` on every series).

Each service process exposes its registry at ``GET /metrics``; several services run in one
process (tests, benchmark) keep separate registries, so each endpoint shows only its own
service. The names are documented in docs/architecture.md ("Observability").
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

#: Outcomes of one delivered message, as counted by `ocop_messages_processed_total`.
PROCESSED, DUPLICATE, FAILED, DEAD_LETTERED = "processed", "duplicate", "failed", "dead_lettered"

#: Handlers and HTTP requests: milliseconds to tens of seconds.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServiceMetrics:
    """The metrics one service records; `metrics_for(service)` returns the shared instance."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)
        self.messages = Counter(
            "ocop_messages_processed", "Delivered events by consumer, type and outcome "
            "(processed, duplicate, failed: will be retried, dead_lettered)",
            ["service", "consumer", "event_type", "outcome"], registry=r)
        self.redeliveries = Counter(
            "ocop_message_redeliveries", "Deliveries of an event after its first one",
            ["service", "consumer", "event_type"], registry=r)
        self.handler_seconds = Histogram(
            "ocop_handler_duration_seconds", "Time spent in an event handler (every attempt)",
            ["service", "consumer", "event_type"], buckets=_LATENCY_BUCKETS, registry=r)
        self.outbox_published = Counter(
            "ocop_outbox_published", "Outbox events JetStream acknowledged", ["service"],
            registry=r)
        self.outbox_failures = Counter(
            "ocop_outbox_publish_failures", "Outbox publish attempts that failed", ["service"],
            registry=r)
        self.outbox_lag = Gauge(
            "ocop_outbox_lag_seconds", "Age of the oldest unpublished outbox row when the relay "
            "last looked (0: none waiting)", ["service"], registry=r)
        self.http_requests = Counter(
            "ocop_http_requests", "HTTP requests by method, route template and status",
            ["service", "method", "route", "status"], registry=r)
        self.http_seconds = Histogram(
            "ocop_http_request_duration_seconds", "HTTP request latency",
            ["service", "method", "route"], buckets=_LATENCY_BUCKETS, registry=r)
        self.outbox_lag.labels(service).set(0)

    # consumers -----------------------------------------------------------------------------

    def message(self, consumer: str, event_type: str, outcome: str) -> None:
        self._child(self.messages, consumer, event_type, outcome).inc()

    def redelivered(self, consumer: str, event_type: str) -> None:
        self._child(self.redeliveries, consumer, event_type).inc()

    def handler_time(self, consumer: str, event_type: str, seconds: float) -> None:
        self._child(self.handler_seconds, consumer, event_type).observe(seconds)

    def _child(self, family: Any, *labels: str) -> Any:
        """The labelled series, looked up once (prometheus_client's `labels()` is not free on
        the per-message path)."""
        key = (id(family), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(self.service, *labels)
        return child

    # outbox relay --------------------------------------------------------------------------

    def published(self, count: int, failed: int, lag_seconds: float) -> None:
        if count:
            self.outbox_published.labels(self.service).inc(count)
        if failed:
            self.outbox_failures.labels(self.service).inc(failed)
        self.outbox_lag.labels(self.service).set(max(0.0, lag_seconds))

    # HTTP ----------------------------------------------------------------------------------

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(self.service, method, route, str(status)).inc()
        self.http_seconds.labels(self.service, method, route).observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        """The registry in Prometheus text format, with its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


@cache
def metrics_for(service: str) -> ServiceMetrics:
    """The one `ServiceMetrics` of `service` in this process."""
    return ServiceMetrics(service)


def service_of_source(source: str) -> str:
    """``/ocop/registry`` -> ``registry`` (the CloudEvents source of a service)."""
    return source.rstrip("/").rsplit("/", 1)[-1]


__all__ = ["DEAD_LETTERED", "DUPLICATE", "FAILED", "PROCESSED", "ServiceMetrics", "metrics_for",
           "service_of_source"]
