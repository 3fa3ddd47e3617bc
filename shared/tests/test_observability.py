"""Observability on real NATS JetStream and PostgreSQL: registry and evaluation run in this
process; one product submitted over registry's HTTP API opens an evaluation. Both services'
`/metrics` show it (HTTP request by route template, outbox published, evaluation's consumer
processed it) and the spans of the request, the publish and the handling share one trace,
whose id the consumer's log lines carry."""

from __future__ import annotations

import asyncio
import http.server
import logging
import subprocess
import sys
import textwrap
import threading

import pytest
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from ocop_evaluation.bootstrap import MIGRATIONS as EVALUATION_MIGRATIONS
from ocop_evaluation.bootstrap import build_definition as evaluation_definition
from ocop_evaluation.settings import EvaluationSettings
from ocop_notifications.bootstrap import MIGRATIONS as NOTIFICATIONS_MIGRATIONS
from ocop_notifications.bootstrap import build_definition as notifications_definition
from ocop_notifications.settings import NotificationsSettings
from ocop_registry.bootstrap import MIGRATIONS as REGISTRY_MIGRATIONS
from ocop_registry.bootstrap import build_definition as registry_definition
from ocop_registry.testing import complete_dossier
from ocop_shared.auth import Role
from ocop_shared.observability.tracing import (
    install_span_exporter,
    shutdown_tracing,
    trace_id_for,
    trace_id_hex,
)
from ocop_shared.testing.services import auth_header, running, settings_for_test

OFFICIAL = auth_header(Role.provincial_official, province_code="01")
SUBMITTED = "ocop.registry.ProductSubmittedForEvaluation.v1"
CONSUMER = "evaluation@OCOP_REGISTRY"
SUBMIT_ROUTE = "/products/{product_id}/submit"


@pytest.fixture
def spans():
    """Every span recorded while the test runs (the SDK's own in-memory test exporter)."""
    exporter = InMemorySpanExporter()
    install_span_exporter(exporter)
    yield exporter
    shutdown_tracing()


@pytest.fixture
def debug_logs():
    """Captured structlog entries with their context (trace ids), debug level included."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            yield logs
    finally:
        structlog.configure(**saved)


@pytest.fixture
async def services(databases, jetstream, tmp_path, monkeypatch):
    monkeypatch.setenv("OCOP_REGISTRY_DOSSIER_STORAGE_DIR", str(tmp_path / "dossiers"))
    registry_url = await databases.fresh("registry", REGISTRY_MIGRATIONS)
    evaluation_url = await databases.fresh("evaluation", EVALUATION_MIGRATIONS)
    notifications_url = await databases.fresh("notifications", NOTIFICATIONS_MIGRATIONS)
    ev_settings = settings_for_test(evaluation_url, jetstream, cls=EvaluationSettings)
    # email goes nowhere (nothing listens on port 9) and is not retried within the test
    no_settings = settings_for_test(notifications_url, jetstream, cls=NotificationsSettings,
                                    smtp_port=9, retry_base_seconds=3600.0)
    async with (
        running(registry_definition(), settings_for_test(registry_url, jetstream)) as registry,
        running(evaluation_definition(ev_settings), ev_settings) as evaluation,
        running(notifications_definition(), no_settings) as notifications,
    ):
        yield registry.http, evaluation.http, notifications.http


async def scrape(http) -> dict[tuple[str, frozenset], float]:  # noqa: ANN001
    """`/metrics` as {(sample name, labels): value}."""
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


async def submit_one(registry, correlation_id: str) -> str:  # noqa: ANN001
    producer = await registry.post("/producers", headers=OFFICIAL, json={
        "name": "HTX Chè Shan Tuyết Tà Xùa", "kind": "cooperative",
        "registration_number": "0101234567", "legal_representative": "Lò Văn Pấng",
        "province_code": "01", "commune_code": "00004", "email": "htx@example.vn",
    })
    assert producer.status_code == 201, producer.text
    product = await registry.post("/products", headers=OFFICIAL, json={
        "producer_id": producer.json()["id"], "name": "Chè Shan Tuyết", "product_set": "tea"})
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]
    await complete_dossier(registry, product_id, OFFICIAL)
    submitted = await registry.post(f"/products/{product_id}/submit", json={"self_score": 71},
                                    headers={**OFFICIAL, "X-Correlation-ID": correlation_id})
    assert submitted.status_code == 200, submitted.text
    return product_id


async def evaluation_opened(evaluation, product_id: str) -> None:  # noqa: ANN001
    for _ in range(300):
        page = await evaluation.get("/evaluations", headers=OFFICIAL, params={"limit": 200})
        assert page.status_code == 200, page.text
        if any(e["product_id"] == product_id for e in page.json()["items"]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"evaluation did not open an evaluation of {product_id}")


async def test_metrics_count_requests_publishes_and_consumed_events(services) -> None:
    registry, evaluation, _ = services
    before_registry, before_evaluation = await scrape(registry), await scrape(evaluation)

    product_id = await submit_one(registry, "corr-metrics-1")
    await evaluation_opened(evaluation, product_id)

    after_registry, after_evaluation = await scrape(registry), await scrape(evaluation)
    requests = "ocop_http_requests_total"
    assert value(after_registry, requests, service="registry", method="POST",
                 route=SUBMIT_ROUTE, status="200") == value(
        before_registry, requests, service="registry", method="POST", route=SUBMIT_ROUTE,
        status="200") + 1
    published = "ocop_outbox_published_total"
    assert value(after_registry, published, service="registry") > value(
        before_registry, published, service="registry")
    processed = "ocop_messages_processed_total"
    labels = {"service": "evaluation", "consumer": CONSUMER, "event_type": SUBMITTED}
    assert value(after_evaluation, processed, **labels, outcome="processed") == value(
        before_evaluation, processed, **labels, outcome="processed") + 1
    assert value(after_evaluation, "ocop_handler_duration_seconds_count", service="evaluation",
                 consumer=CONSUMER, event_type=SUBMITTED) > value(
        before_evaluation, "ocop_handler_duration_seconds_count", service="evaluation",
        consumer=CONSUMER, event_type=SUBMITTED)
    assert ("ocop_outbox_lag_seconds", frozenset({("service", "registry")})) in after_registry
    # each endpoint shows its own service only
    assert all(dict(labels).get("service") in (None, "registry") for _, labels in after_registry)


async def test_one_trace_follows_the_product_from_registry_to_evaluation(
    services, spans, debug_logs,
) -> None:
    registry, evaluation, _ = services
    correlation_id = "corr-trace-1"
    product_id = await submit_one(registry, correlation_id)
    await evaluation_opened(evaluation, product_id)

    flow = [s for s in spans.get_finished_spans()
            if s.attributes.get("ocop.correlation_id") == correlation_id]
    by_kind = {(s.attributes["ocop.service"], s.kind): s for s in flow}
    request = by_kind[("registry", SpanKind.SERVER)]
    publish = by_kind[("registry", SpanKind.PRODUCER)]
    handling = by_kind[("evaluation", SpanKind.CONSUMER)]
    assert request.name == f"POST {SUBMIT_ROUTE}"
    assert handling.attributes["messaging.consumer.group.name"] == CONSUMER
    trace_id = trace_id_for(correlation_id)
    assert {s.context.trace_id for s in (request, publish, handling)} == {trace_id}
    # the consumer's span is the child of the publish span (W3C traceparent header)
    assert handling.parent is not None and handling.parent.span_id == publish.context.span_id
    # other requests (other correlation ids) are other traces
    assert all(s.context.trace_id != trace_id for s in spans.get_finished_spans()
               if s.attributes.get("ocop.correlation_id") not in (None, correlation_id))

    consumer_lines = [e for e in debug_logs if e.get("consumer") == CONSUMER
                      and e.get("correlation_id") == correlation_id]
    assert consumer_lines, "no log line of evaluation's consumer for the flow"
    assert {e.get("trace_id") for e in consumer_lines} == {trace_id_hex(correlation_id)}
    assert format(handling.context.span_id, "016x") in {e.get("span_id") for e in consumer_lines}


async def test_the_same_trace_reaches_notifications(services, spans) -> None:
    """Registering a producer (registry's HTTP request) reaches the notifications service
    (ProducerRegistered consumed there) in one trace."""
    registry, _, notifications = services
    correlation_id = "corr-trace-2"
    producer = await registry.post("/producers", headers={**OFFICIAL,
                                                          "X-Correlation-ID": correlation_id},
                                   json={"name": "HTX Mật ong Bắc Hà", "kind": "cooperative",
                                         "registration_number": "0107654321",
                                         "legal_representative": "Vàng Seo Páo",
                                         "province_code": "01", "commune_code": "00004"})
    assert producer.status_code == 201, producer.text
    recipient = f"/recipients/producer:{producer.json()['id']}"
    for _ in range(300):
        if (await notifications.get(recipient, headers=auth_header(Role.operator))
                ).status_code == 200:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("notifications never heard of the producer")
    flow = [s for s in spans.get_finished_spans()
            if s.attributes.get("ocop.correlation_id") == correlation_id]
    services_in_trace = {(s.attributes["ocop.service"], s.kind) for s in flow}
    assert {("registry", SpanKind.SERVER), ("registry", SpanKind.PRODUCER),
            ("notifications", SpanKind.CONSUMER)} <= services_in_trace
    assert {s.context.trace_id for s in flow} == {trace_id_for(correlation_id)}


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(tmp_path) -> None:
    """In a separate process (the exporter is process-wide): `configure_tracing` with the
    address of a local OTLP/HTTP receiver sends it the spans, named by service."""
    received: list[tuple[str, bytes]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = textwrap.dedent("""
        import sys
        from opentelemetry.trace import SpanKind
        from ocop_shared.observability import tracing
        tracing.configure_tracing("registry", sys.argv[1])
        with tracing.span("registry", "exported-span", correlation_id="corr-otlp",
                          kind=SpanKind.INTERNAL):
            pass
        tracing.shutdown_tracing()
    """)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, f"http://127.0.0.1:{server.server_port}"],
            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        server.shutdown()
        thread.join()
    assert done.returncode == 0, done.stderr
    assert [path for path, _ in received] == ["/v1/traces"]
    body = received[0][1]
    assert b"exported-span" in body and b"ocop-registry" in body
    assert trace_id_for("corr-otlp").to_bytes(16, "big") in body
