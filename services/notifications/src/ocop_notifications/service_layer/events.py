"""How the notifications service reacts to the other services' events.

ProducerRegistered and ProducerUpdated keep the recipients in step; every other event becomes
one inbox delivery per producer it concerns, and each new delivery is announced with
NotificationDelivered.
Each handler runs inside the consumer's transaction (inbox row + effects + outbox commit
together); the unique (source event, recipient, channel) makes a redelivered event harmless
even past the consumer's inbox.
"""

from __future__ import annotations

import uuid

from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.evaluation import EvaluationCompleted, ProductReferredToMinistry
from ocop_shared.contracts.notifications import NotificationDelivered
from ocop_shared.contracts.promotion import (
    CeremonyCancelled,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ocop_shared.contracts.registry import ProducerRegistered, ProducerUpdated
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import deliveries, recipients
from ..domain.deliveries import Channel, DeliveryStatus, RecipientKind, producer_recipient_id
from ..domain.messages import NotifiableEvent, message_for, recipients_for


async def on_producer_registered(
    session: AsyncConnection, event: ProducerRegistered | ProducerUpdated, _env: Envelope
) -> None:
    """Create the producer's recipient, or refresh its name, email and province (also on
    ProducerUpdated)."""
    values = {"name": event.name, "email": event.email, "province_code": event.province_code}
    await session.execute(
        pg_insert(recipients)
        .values(id=producer_recipient_id(event.producer_id), kind=RecipientKind.PRODUCER.value,
                **values)
        .on_conflict_do_update(index_elements=[recipients.c.id],
                               set_={**values, "updated_at": func.now()})
    )


async def deliver(
    session: AsyncConnection, outbox: Outbox, event: NotifiableEvent, env: Envelope
) -> list[uuid.UUID]:
    """Write one inbox delivery per recipient of `event` (an unknown recipient included: the
    inbox is keyed by id) and announce each new one; return the ids of the new deliveries."""
    created: list[uuid.UUID] = []
    for recipient_id in recipients_for(event):
        message = message_for(event, recipient_id)
        delivery_id = (
            await session.execute(
                pg_insert(deliveries)
                .values(
                    id=uuid.uuid4(), source_event_id=env.id, source_event_type=env.type,
                    recipient_id=recipient_id, province_code=event.province_code,
                    channel=Channel.INBOX.value, status=DeliveryStatus.DELIVERED.value,
                    subject_line=message.subject_line, body=message.body,
                    delivered_at=func.now(),
                )
                .on_conflict_do_nothing(
                    index_elements=[deliveries.c.source_event_id, deliveries.c.recipient_id,
                                    deliveries.c.channel]
                )
                .returning(deliveries.c.id)
            )
        ).scalar()
        if delivery_id is None:  # this event already reached this recipient
            continue
        await outbox.add(session, NotificationDelivered(
            delivery_id=delivery_id, source_event_id=env.id, source_event_type=env.type,
            recipient_id=recipient_id, channel=Channel.INBOX.value,
        ))
        created.append(delivery_id)
    return created


def handlers(outbox: Outbox) -> dict[type[Event], Handler]:
    """The handler of every event the notifications service consumes (see TOPOLOGY), writing
    its own events through `outbox`."""

    async def on_notifiable_event(
        session: AsyncConnection, event: NotifiableEvent, env: Envelope
    ) -> None:
        await deliver(session, outbox, event, env)

    return {
        ProducerRegistered: on_producer_registered,
        ProducerUpdated: on_producer_registered,
        EvaluationCompleted: on_notifiable_event,
        ProductReferredToMinistry: on_notifiable_event,
        CeremonyScheduled: on_notifiable_event,
        ProductAddedToCeremony: on_notifiable_event,
        CeremonyRescheduled: on_notifiable_event,
        CeremonyCancelled: on_notifiable_event,
        ProductRemovedFromCeremony: on_notifiable_event,
    }
