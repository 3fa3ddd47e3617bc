"""Who each event concerns (pure: no I/O).

`RULES` is the one table of the service: event type -> the audiences it reaches. An audience
is a kind of recipient picked from the directory by a fact of the event:

- PRODUCERS: the producer(s) the event names (for a ceremony: the producer of every product);
  a producer not (yet) in the directory still gets its inbox (keyed by its id).
- PROVINCE_OFFICIALS: the active officials (standing office) of the event's province (an event
  without a province, e.g. CertificateExpiringSoon, takes its producer's province as the
  directory knows it: none if the producer is unknown).
- MINISTRY: every active Ministry contact.
- COUNCIL_LEADS: the chair and the secretary of the council the event names.

Integrations are not in the table: they get a webhook for every event type they subscribe to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ocop_shared.contracts import Event
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    NationalEvaluationCompleted,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
    RescoreRequired,
)
from ocop_shared.contracts.promotion import (
    BoothAllocated,
    BoothReleased,
    BoothWaitlisted,
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateExpiringSoon,
    CertificateRevoked,
)

from .deliveries import DEFAULT_LANGUAGE, Channel, RecipientKind, producer_recipient_id


class Audience(StrEnum):
    PRODUCERS = "producers"
    PROVINCE_OFFICIALS = "province_officials"
    MINISTRY = "ministry"
    COUNCIL_LEADS = "council_leads"


P, OFFICIALS, MINISTRY, LEADS = (Audience.PRODUCERS, Audience.PROVINCE_OFFICIALS,
                                 Audience.MINISTRY, Audience.COUNCIL_LEADS)

RULES: dict[type[Event], tuple[Audience, ...]] = {
    EvaluationCompleted: (P, OFFICIALS),
    RescoreRequired: (LEADS,),
    ProductReferredToMinistry: (P, MINISTRY),
    NationalEvaluationCompleted: (P, MINISTRY, OFFICIALS),
    RecognitionWithdrawn: (P, OFFICIALS),
    CeremonyScheduled: (P,),
    ProductAddedToCeremony: (P,),
    CeremonyRescheduled: (P,),
    CeremonyCancelled: (P,),
    ProductRemovedFromCeremony: (P,),
    CertificateExpiringSoon: (P, OFFICIALS),
    CertificateExpired: (P, OFFICIALS),
    CertificateRevoked: (P, OFFICIALS),
    BoothAllocated: (P,),
    BoothWaitlisted: (P,),
    BoothReleased: (P,),
}
"""Event type -> who it reaches. A consumed event type missing here tells nobody but its
webhook subscribers (ProducerRegistered / ProducerUpdated only keep the directory in step)."""

NOTIFIABLE_EVENTS: tuple[type[Event], ...] = tuple(RULES)

COUNCIL_LEAD_ROLES = frozenset({"chair", "secretary"})
COUNCIL_ROLES = ("chair", "vice_chair", "secretary", "member")

_CEREMONIES = (CeremonyScheduled, ProductAddedToCeremony, CeremonyRescheduled, CeremonyCancelled,
               ProductRemovedFromCeremony)


@dataclass(frozen=True)
class Recipient:
    """One entry of the directory, as the rules and templates see it."""

    id: str
    kind: RecipientKind
    name: str
    language: str = DEFAULT_LANGUAGE
    channels: tuple[str, ...] = (Channel.INBOX.value,)
    email: str | None = None
    province_code: str | None = None
    council_id: str | None = None
    council_role: str | None = None
    active: bool = True

    @property
    def wants_email(self) -> bool:
        return Channel.EMAIL.value in self.channels and bool(self.email)

    @property
    def wants_inbox(self) -> bool:
        return self.kind is RecipientKind.PRODUCER or Channel.INBOX.value in self.channels


def ceremony_products(event: Event) -> list[CeremonyProduct]:
    if isinstance(event, ProductAddedToCeremony | ProductRemovedFromCeremony):
        return [event.product]
    return list(getattr(event, "products", []))


def producer_ids(event: Event) -> tuple[uuid.UUID, ...]:
    """The producers an event names, each once, in the event's order."""
    if isinstance(event, _CEREMONIES):
        return tuple(dict.fromkeys(p.producer_id for p in ceremony_products(event)))
    producer_id = getattr(event, "producer_id", None)
    return (producer_id,) if producer_id is not None else ()


def province_of(event: Event, directory: Iterable[Recipient]) -> str | None:
    """The event's province, or (an event without one) its first known producer's."""
    if (code := getattr(event, "province_code", None)) is not None:
        return code
    producers = {r.id: r for r in directory if r.kind is RecipientKind.PRODUCER}
    for producer_id in producer_ids(event):
        known = producers.get(producer_recipient_id(producer_id))
        if known is not None and known.province_code:
            return known.province_code
    return None


def unknown_producer(producer_id: uuid.UUID) -> Recipient:
    """A producer the registry has not told us about yet: Vietnamese, inbox only."""
    return Recipient(id=producer_recipient_id(producer_id), kind=RecipientKind.PRODUCER,
                     name=str(producer_id))


def recipients_for(event: Event, directory: Sequence[Recipient]) -> list[Recipient]:
    """The recipients `event` concerns, each once: producers first (in the event's order), then
    officials, Ministry contacts and council leads (in directory order). Inactive entries and
    integrations are skipped; an unknown producer is still told (in its inbox)."""
    audiences = RULES.get(type(event), ())
    active = [r for r in directory if r.active]
    province = province_of(event, directory)
    council = getattr(event, "council_id", None)
    chosen: dict[str, Recipient] = {}
    if Audience.PRODUCERS in audiences:
        known = {r.id: r for r in active if r.kind is RecipientKind.PRODUCER}
        for producer_id in producer_ids(event):
            key = producer_recipient_id(producer_id)
            if key in known or key not in {r.id for r in directory}:
                chosen[key] = known.get(key) or unknown_producer(producer_id)
    for r in active:
        if (
            (Audience.PROVINCE_OFFICIALS in audiences and r.kind is RecipientKind.OFFICIAL
             and province is not None and r.province_code == province)
            or (Audience.MINISTRY in audiences and r.kind is RecipientKind.MINISTRY)
            or (Audience.COUNCIL_LEADS in audiences and r.kind is RecipientKind.COUNCIL_MEMBER
                and council is not None and r.council_id == council
                and r.council_role in COUNCIL_LEAD_ROLES)
        ):
            chosen.setdefault(r.id, r)
    return list(chosen.values())
