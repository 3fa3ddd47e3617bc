"""The vocabulary of deliveries (pure: no I/O)."""

from __future__ import annotations

from enum import StrEnum


class RecipientKind(StrEnum):
    PRODUCER = "producer"
    OFFICIAL = "official"
    INTEGRATION = "integration"


class Channel(StrEnum):
    """How a notification reaches its recipient. Email and webhooks come later."""

    INBOX = "inbox"


class DeliveryStatus(StrEnum):
    """An inbox delivery is delivered as soon as it is written; other channels will add
    pending and failed."""

    DELIVERED = "delivered"


def producer_recipient_id(producer_id: object) -> str:
    """The recipient id of a producer, e.g. "producer:3f2b...": the key of its inbox."""
    return f"{RecipientKind.PRODUCER}:{producer_id}"
