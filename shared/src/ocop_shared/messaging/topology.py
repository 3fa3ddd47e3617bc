"""The JetStream topology as code: one stream per publishing service, one durable consumer per
(consuming service, stream), provisioned by one idempotent function.

Services call `provision()` at start and operators call it from the CLI; nothing else declares
streams or consumers (FastStream's auto-declaration is not used).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from nats.js import JetStreamContext
from nats.js import api
from nats.js.errors import NotFoundError

from ..contracts import SERVICES, Event
from ..contracts.evaluation import (
    EvaluationCompleted,
    EvaluationOpened,
    NationalEvaluationCompleted,
    ProductRecognized,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
    RescoreRequired,
)
from ..contracts.promotion import (
    BoothAllocated,
    BoothReleased,
    BoothWaitlisted,
    CeremonyCancelled,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ..contracts.registry import (
    CertificateExpired,
    CertificateExpiringSoon,
    CertificateIssued,
    CertificateRevoked,
    CertificateStarsChanged,
    InspectionRecorded,
    ProducerRegistered,
    ProducerUpdated,
    ProductSubmittedForEvaluation,
)

DUPLICATE_WINDOW_SECONDS = 2 * 60 * 60
"""JetStream drops a second message with the same Nats-Msg-Id within this window. It covers a
relay that published and crashed before marking its rows; consumers' inboxes cover the rest."""

MAX_AGE_SECONDS = 30 * 24 * 60 * 60
"""How long a stream keeps events for late or rebuilt consumers."""


ADVISORY_STREAM = "OCOP_ADVISORIES"
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
"""JetStream announces a message that ran out of deliveries on
`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`. Core NATS would drop an
advisory nobody hears, so a stream keeps them until the owning service has recorded the
dead letter."""


def replicas_from_environment() -> int:
    """`OCOP_STREAM_REPLICAS` (default 1): each stream's replicas; 3 in the cluster profile.
    Whoever provisions (`ocop streams apply`, or a service starting with provisioning on) must
    see the same value, or it would scale the streams back."""
    raw = os.environ.get("OCOP_STREAM_REPLICAS", "1")
    if not raw.strip().isdigit() or not 1 <= int(raw) <= 5:
        raise ValueError(f"OCOP_STREAM_REPLICAS must be a number from 1 to 5, not {raw!r}")
    return int(raw)


def stream_name(service: str) -> str:
    return f"OCOP_{service.upper()}"


def advisory_consumer_config(service: str) -> api.ConsumerConfig:
    """The durable consumer through which `service` collects its own max-delivery advisories."""
    return api.ConsumerConfig(
        durable_name=service,
        description=f"max-delivery advisories of {service}'s consumers",
        deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=30.0,
        max_deliver=-1,
        max_ack_pending=1000,
        filter_subject=f"{MAX_DELIVERIES_ADVISORY}.*.{service}",
    )


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: `service` reads `events` from the stream of their publisher."""

    service: str
    source: str
    events: tuple[type[Event], ...]
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    max_ack_pending: int = 2000

    @property
    def stream(self) -> str:
        return stream_name(self.source)

    @property
    def durable(self) -> str:
        return self.service

    @property
    def subjects(self) -> list[str]:
        return sorted(event.subject() for event in self.events)

    def config(self) -> api.ConsumerConfig:
        return api.ConsumerConfig(
            durable_name=self.durable,
            description=f"{self.service} reads {self.source} events",
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            filter_subjects=self.subjects,
        )


@dataclass(frozen=True)
class Topology:
    consumers: tuple[ConsumerSpec, ...]
    services: tuple[str, ...] = SERVICES
    replicas: int = field(default_factory=replicas_from_environment)

    def stream_config(self, service: str) -> api.StreamConfig:
        return api.StreamConfig(
            name=stream_name(service),
            description=f"Integration events published by the {service} service",
            subjects=[f"ocop.{service}.>"],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=MAX_AGE_SECONDS,
            discard=api.DiscardPolicy.OLD,
        )

    def advisory_stream_config(self) -> api.StreamConfig:
        return api.StreamConfig(
            name=ADVISORY_STREAM,
            description="JetStream max-delivery advisories, kept until dead-lettered",
            subjects=[f"{MAX_DELIVERIES_ADVISORY}.>"],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            max_age=MAX_AGE_SECONDS,
            discard=api.DiscardPolicy.OLD,
        )

    def stream_configs(self) -> list[api.StreamConfig]:
        return [self.stream_config(s) for s in self.services] + [self.advisory_stream_config()]

    def consumer_configs(self) -> list[tuple[str, api.ConsumerConfig]]:
        """(stream, config) of every durable consumer, the advisory collectors included."""
        configs = [(c.stream, c.config()) for c in self.consumers]
        consuming = sorted({c.service for c in self.consumers})
        configs += [(ADVISORY_STREAM, advisory_consumer_config(s)) for s in consuming]
        return configs

    def consumers_of(self, service: str) -> list[ConsumerSpec]:
        return [c for c in self.consumers if c.service == service]

    def with_max_deliver(self, max_deliver: int) -> Topology:
        return Topology(
            consumers=tuple(
                ConsumerSpec(c.service, c.source, c.events, c.ack_wait_seconds, max_deliver,
                             c.max_ack_pending)
                for c in self.consumers
            ),
            services=self.services,
            replicas=self.replicas,
        )


TOPOLOGY = Topology(
    consumers=(
        ConsumerSpec("evaluation", "registry", (ProductSubmittedForEvaluation, InspectionRecorded)),
        ConsumerSpec(
            "registry",
            "evaluation",
            (EvaluationOpened, EvaluationCompleted, ProductRecognized, ProductReferredToMinistry,
             RecognitionWithdrawn),
        ),
        ConsumerSpec("promotion", "evaluation", (ProductRecognized,)),
        ConsumerSpec(
            "promotion", "registry",
            (CertificateIssued, CertificateRevoked, CertificateExpired, CertificateStarsChanged),
        ),
        ConsumerSpec("notifications", "registry", (
            ProducerRegistered, ProducerUpdated, CertificateExpiringSoon, CertificateExpired,
            CertificateRevoked)),
        ConsumerSpec("notifications", "evaluation", (
            EvaluationCompleted, RescoreRequired, ProductReferredToMinistry,
            NationalEvaluationCompleted, RecognitionWithdrawn)),
        ConsumerSpec("notifications", "promotion", (
            CeremonyScheduled, ProductAddedToCeremony, CeremonyRescheduled, CeremonyCancelled,
            ProductRemovedFromCeremony, BoothAllocated, BoothWaitlisted, BoothReleased)),
    )
)
"""Who consumes what. A service that starts handling a new event type adds it here."""


_STREAM_FIELDS = (
    "subjects", "retention", "storage", "num_replicas", "duplicate_window", "max_age",
    "discard", "description",
)
_CONSUMER_FIELDS = (
    "filter_subject", "filter_subjects", "ack_wait", "max_deliver", "max_ack_pending",
    "description",
)


def _differences(current: object, wanted: object, fields: tuple[str, ...]) -> dict[str, tuple]:
    changes = {}
    for name in fields:
        have, want = getattr(current, name), getattr(wanted, name)
        if isinstance(have, list) and isinstance(want, list):
            have, want = sorted(have), sorted(want)
        if have != want:
            changes[name] = (have, want)
    return changes


async def provision(js: JetStreamContext, topology: Topology = TOPOLOGY) -> list[str]:
    """Create or update every stream and durable consumer; return what changed (empty when
    everything already matched). Safe to call from every service at every start."""
    changes: list[str] = []
    for wanted in topology.stream_configs():
        try:
            info = await js.stream_info(wanted.name)
        except NotFoundError:
            await js.add_stream(wanted)
            changes.append(f"stream {wanted.name}: created")
            continue
        diff = _differences(info.config, wanted, _STREAM_FIELDS)
        if diff:
            await js.update_stream(wanted)
            changes.append(f"stream {wanted.name}: updated {diff}")
    for stream, wanted_consumer in topology.consumer_configs():
        name = wanted_consumer.durable_name
        try:
            info = await js.consumer_info(stream, name)
        except NotFoundError:
            await js.add_consumer(stream, wanted_consumer)
            changes.append(f"consumer {stream}/{name}: created")
            continue
        diff = _differences(info.config, wanted_consumer, _CONSUMER_FIELDS)
        if diff:
            await js.add_consumer(stream, wanted_consumer)
            changes.append(f"consumer {stream}/{name}: updated {diff}")
    return changes


@dataclass(frozen=True)
class Change:
    """One thing `provision()` would change: `kind` stream or consumer, `action` create or
    update, `diff` field -> (current, wanted) for an update."""

    kind: str
    name: str
    action: str
    diff: dict[str, tuple]


async def plan(js: JetStreamContext, topology: Topology = TOPOLOGY) -> list[Change]:
    """What `provision(js, topology)` would change, computed without changing anything (the
    same comparison); empty when the server matches the topology."""
    changes: list[Change] = []
    for wanted in topology.stream_configs():
        try:
            info = await js.stream_info(wanted.name)
        except NotFoundError:
            changes.append(Change("stream", wanted.name, "create", {}))
            continue
        diff = _differences(info.config, wanted, _STREAM_FIELDS)
        if diff:
            changes.append(Change("stream", wanted.name, "update", diff))
    for stream, wanted_consumer in topology.consumer_configs():
        name = f"{stream}/{wanted_consumer.durable_name}"
        try:
            info = await js.consumer_info(stream, wanted_consumer.durable_name)
        except NotFoundError:
            changes.append(Change("consumer", name, "create", {}))
            continue
        diff = _differences(info.config, wanted_consumer, _CONSUMER_FIELDS)
        if diff:
            changes.append(Change("consumer", name, "update", diff))
    return changes
