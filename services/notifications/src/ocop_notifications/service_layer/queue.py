"""Deliveries waiting to be sent: the one way a delivery is written.

The event handlers decide who gets what (rules, templates) and call `enqueue` in the consumer's
transaction; the inbox is delivered at once (NotificationDelivered in the same transaction),
email and webhook deliveries wait `pending` for the dispatcher. The unique (source event,
recipient, channel) makes a second enqueue of the same thing a no-op, whatever the
redeliveries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ocop_shared.contracts.notifications import NotificationDelivered
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import deliveries
from ..domain.deliveries import Channel, DeliveryStatus


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient on one channel."""

    source_event_id: uuid.UUID
    source_event_type: str
    recipient_id: str
    province_code: str | None
    channel: Channel
    language: str
    subject_line: str
    body: str
    address: str | None = None
    """The email address or the webhook URL (None for the inbox)."""
    payload: dict[str, Any] | None = None
    """The webhook's JSON body (the CloudEvent)."""
    subscription_id: uuid.UUID | None = None


async def enqueue(session: AsyncConnection, outbox: Outbox, out: Outgoing) -> uuid.UUID | None:
    """Write the delivery (inbox: delivered, announced with NotificationDelivered; email and
    webhook: pending, due now); None when this event already went to this recipient on this
    channel."""
    inbox = out.channel is Channel.INBOX
    delivery_id = (await session.execute(
        insert(deliveries).values(
            id=uuid.uuid4(), source_event_id=out.source_event_id,
            source_event_type=out.source_event_type, recipient_id=out.recipient_id,
            province_code=out.province_code, channel=out.channel.value,
            status=(DeliveryStatus.DELIVERED if inbox else DeliveryStatus.PENDING).value,
            language=out.language, address=out.address, subject_line=out.subject_line,
            body=out.body, payload=out.payload, subscription_id=out.subscription_id,
            delivered_at=func.now() if inbox else None,
            next_attempt_at=None if inbox else func.now(),
        )
        .on_conflict_do_nothing(constraint="uq_deliveries_event_recipient_channel")
        .returning(deliveries.c.id)
    )).scalar()
    if delivery_id is not None and inbox:
        await outbox.add(session, NotificationDelivered(
            delivery_id=delivery_id, source_event_id=out.source_event_id,
            source_event_type=out.source_event_type, recipient_id=out.recipient_id,
            channel=out.channel.value))
    return delivery_id
