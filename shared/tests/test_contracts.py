"""Unit tests of the pure parts of the contracts: subject naming and the envelope."""

import uuid
from datetime import UTC, date, datetime

import pytest

from ocop_shared.contracts import MSG_ID_HEADER, Envelope, EnvelopeError, Event, event_class
from ocop_shared.contracts.evaluation import ProductReferredToMinistry
from ocop_shared.contracts.registry import ProducerRegistered, ProductSubmittedForEvaluation


def test_subjects_follow_the_naming_scheme() -> None:
    assert (
        ProductSubmittedForEvaluation.subject()
        == "ocop.registry.product.submitted-for-evaluation.v1"
    )
    assert ProducerRegistered.subject() == "ocop.registry.producer.registered.v1"
    assert (
        ProductReferredToMinistry.subject() == "ocop.evaluation.product.referred-to-ministry.v1"
    )
    for cls in Event.catalogue.values():
        parts = cls.subject().split(".")
        assert parts[0] == "ocop" and parts[1] == cls.contract_service
        assert parts[-1] == f"v{cls.contract_version}" and len(parts) == 5


def test_event_types_are_unique_and_resolvable() -> None:
    assert event_class("ocop.registry.ProducerRegistered.v1") is ProducerRegistered
    with pytest.raises(KeyError, match="unknown event type"):
        event_class("ocop.registry.Nope.v1")
    subjects = [cls.subject() for cls in Event.catalogue.values()]
    assert len(subjects) == len(set(subjects))


def test_a_new_version_is_a_new_type_and_subject() -> None:
    class ProducerRegisteredV2(Event, service="registry", entity="producer", version=2):
        producer_id: uuid.UUID

    try:
        assert ProducerRegisteredV2.event_type() == "ocop.registry.ProducerRegisteredV2.v2"
        assert ProducerRegisteredV2.subject().endswith(".v2")
    finally:
        del Event.catalogue[ProducerRegisteredV2.event_type()]


def test_declaring_a_bad_contract_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):

        class Bad(Event, service="billing", entity="invoice"):
            pass

    with pytest.raises(ValueError, match="kebab"):

        class Bad2(Event, service="registry", entity="Product_X"):
            pass


def test_envelope_round_trips_through_headers() -> None:
    env = Envelope.new(
        source="/ocop/registry", type="ocop.registry.ProducerRegistered.v1", subject="p-1",
        correlation_id="corr-1", causation_id="cause-1",
        time=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    )
    headers = env.to_headers()
    assert headers[MSG_ID_HEADER] == headers["ce-id"] == str(env.id)
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-time"] == "2026-11-28T10:00:00+00:00"
    assert headers["ce-correlationid"] == "corr-1" and headers["ce-causationid"] == "cause-1"
    assert Envelope.from_headers(headers) == env


def test_envelope_defaults_correlation_to_its_own_id() -> None:
    env = Envelope.new(source="/ocop/x", type="t", subject=None)
    assert env.correlation_id == env.id.hex
    assert "ce-subject" not in env.to_headers() and "ce-causationid" not in env.to_headers()


@pytest.mark.parametrize("missing", ["ce-id", "ce-source", "ce-type", "ce-time"])
def test_envelope_missing_required_header_is_named(missing: str) -> None:
    headers = Envelope.new(source="/ocop/x", type="t", subject=None).to_headers()
    del headers[missing]
    with pytest.raises(EnvelopeError, match=missing):
        Envelope.from_headers(headers)


def test_envelope_with_a_malformed_id_is_refused() -> None:
    headers = Envelope.new(source="/ocop/x", type="t", subject=None).to_headers()
    headers["ce-id"] = "not-a-uuid"
    with pytest.raises(EnvelopeError, match="invalid"):
        Envelope.from_headers(headers)


def test_payloads_validate_and_name_the_entity() -> None:
    event = ProductSubmittedForEvaluation(
        product_id=uuid.uuid4(), product_code="OCOP-01-AAAA", producer_id=uuid.uuid4(),
        product_name="Chè Shan Tuyết", province_code="01", product_set="tea",
        self_score=72.5, submitted_on=date(2026, 11, 28),
    )
    assert event.entity_id() == str(event.product_id)
    again = ProductSubmittedForEvaluation.model_validate_json(event.model_dump_json())
    assert again == event
    with pytest.raises(ValueError, match="self_score"):
        ProductSubmittedForEvaluation.model_validate({**event.model_dump(), "self_score": 120})
