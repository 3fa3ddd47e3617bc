"""The vocabulary of recipients and deliveries (pure: no I/O).

A delivery is one (source event, recipient, channel). The inbox is delivered the moment it is
written; email and webhook deliveries start `pending` and the dispatcher sends them, retrying
with exponential backoff and jitter until they are `delivered` or, after the last attempt,
`failed` (NotificationFailed).
"""

from __future__ import annotations

import random
from datetime import timedelta
from enum import StrEnum


class RecipientKind(StrEnum):
    PRODUCER = "producer"
    """Kept in step from the registry's ProducerRegistered / ProducerUpdated."""
    OFFICIAL = "official"
    """A provincial OCOP office (standing office) member: province-wide news."""
    COUNCIL_MEMBER = "council_member"
    """A member of an evaluation council: its council's news (e.g. RescoreRequired)."""
    MINISTRY = "ministry"
    """The Ministry's OCOP contact: referrals and national results."""
    INTEGRATION = "integration"
    """Another system: webhooks for the event types it subscribes to."""


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def producer_recipient_id(producer_id: object) -> str:
    """The recipient id of a producer, e.g. "producer:3f2b...": the key of its inbox."""
    return f"{RecipientKind.PRODUCER}:{producer_id}"


def retry_delay(attempt: int, base_seconds: float, cap_seconds: float,
                rng: random.Random | None = None) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): exponential
    (base * 2^(attempt-1)), capped, with "full jitter" (a random share of it, at least half)
    so that endpoints that failed together do not retry together."""
    ceiling = min(cap_seconds, base_seconds * 2 ** (attempt - 1))
    share = (rng or random).uniform(0.5, 1.0)
    return timedelta(seconds=ceiling * share)
