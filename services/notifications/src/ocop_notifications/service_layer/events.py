"""How the notifications service reacts to the other services' events.

ProducerRegistered and ProducerUpdated keep the producers of the directory in step. Every other
consumed event is looked up in `domain.rules.RULES`: each recipient it concerns gets the message
rendered in its language (`adapters.templates`) in its inbox and, when it has an address and
the email channel, by email; every active integration subscribed to the event type gets a
webhook (the CloudEvent in JSON). All go through `queue.enqueue`, inside the consumer's
transaction, so a redelivered event adds nothing.
"""

from __future__ import annotations

import uuid

import structlog
from ocop_shared.contracts import Envelope, Event
from ocop_shared.contracts.registry import ProducerRegistered, ProducerUpdated
from ocop_shared.messaging.consumer import Handler
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import and_, any_, false, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import recipients, webhook_subscriptions
from ..adapters.templates import render
from ..domain.deliveries import Channel, RecipientKind, producer_recipient_id
from ..domain.rules import (
    COUNCIL_LEAD_ROLES,
    NOTIFIABLE_EVENTS,
    RULES,
    Audience,
    Recipient,
    producer_ids,
    province_of,
    recipients_for,
)
from . import queue

log = structlog.get_logger(__name__)


async def on_producer_registered(
    session: AsyncConnection, event: ProducerRegistered | ProducerUpdated, _env: Envelope
) -> None:
    """Create the producer's recipient, or refresh its name, email and province (also on
    ProducerUpdated); its language and channels stay as they are."""
    values = {"name": event.name, "email": event.email, "province_code": event.province_code}
    await session.execute(
        pg_insert(recipients)
        .values(id=producer_recipient_id(event.producer_id), kind=RecipientKind.PRODUCER.value,
                **values)
        .on_conflict_do_update(index_elements=[recipients.c.id],
                               set_={**values, "updated_at": func.now()})
    )


def recipient_of(row: object) -> Recipient:
    return Recipient(
        id=row.id, kind=RecipientKind(row.kind), name=row.name, language=row.language,
        channels=tuple(row.channels or ()), email=row.email, province_code=row.province_code,
        council_id=row.council_id, council_role=row.council_role, active=row.active)


async def directory_for(session: AsyncConnection, event: Event) -> list[Recipient]:
    """The entries of the directory `event` may concern (the rules then pick among them)."""
    audiences = set(RULES.get(type(event), ()))
    ids = [producer_recipient_id(p) for p in producer_ids(event)]
    rows = (await session.execute(select(recipients).where(recipients.c.id.in_(ids)))).all()
    found = [recipient_of(r) for r in rows]
    province = province_of(event, found)
    council = getattr(event, "council_id", None)
    wanted = [false()]
    if Audience.PROVINCE_OFFICIALS in audiences and province is not None:
        wanted.append(and_(recipients.c.kind == RecipientKind.OFFICIAL.value,
                           recipients.c.province_code == province))
    if Audience.MINISTRY in audiences:
        wanted.append(recipients.c.kind == RecipientKind.MINISTRY.value)
    if Audience.COUNCIL_LEADS in audiences and council is not None:
        wanted.append(and_(recipients.c.kind == RecipientKind.COUNCIL_MEMBER.value,
                           recipients.c.council_id == council,
                           recipients.c.council_role.in_(sorted(COUNCIL_LEAD_ROLES))))
    rows = (await session.execute(
        select(recipients).where(recipients.c.active, or_(*wanted)).order_by(recipients.c.id)
    )).all()
    return found + [recipient_of(r) for r in rows]


async def notify(
    session: AsyncConnection, outbox: Outbox, event: Event, env: Envelope
) -> list[uuid.UUID]:
    """Enqueue every delivery `event` calls for; return the ids of the new ones (none when the
    event was already handled)."""
    directory = await directory_for(session, event)
    province = province_of(event, directory)
    created: list[uuid.UUID] = []

    async def put(recipient: Recipient, channel: Channel, **extra: object) -> None:
        message = render(event, recipient)
        delivery_id = await queue.enqueue(session, outbox, queue.Outgoing(
            source_event_id=env.id, source_event_type=env.type, recipient_id=recipient.id,
            province_code=province, channel=channel, language=recipient.language,
            subject_line=message.subject_line, body=message.body, **extra))
        if delivery_id is not None:
            created.append(delivery_id)

    for recipient in recipients_for(event, directory):
        if recipient.wants_inbox:
            await put(recipient, Channel.INBOX)
        if recipient.wants_email:
            await put(recipient, Channel.EMAIL, address=recipient.email)

    payload = env.structured(event.model_dump(mode="json"))
    subscribed = (await session.execute(
        select(recipients, webhook_subscriptions.c.id.label("subscription_id"),
               webhook_subscriptions.c.url)
        .join(recipients, recipients.c.id == webhook_subscriptions.c.recipient_id)
        .where(webhook_subscriptions.c.active, recipients.c.active,
               recipients.c.kind == RecipientKind.INTEGRATION.value,
               literal(env.type) == any_(webhook_subscriptions.c.event_types))
        .order_by(webhook_subscriptions.c.created_at, webhook_subscriptions.c.id)
    )).all()
    for row in subscribed:
        # one webhook per (event, integration): overlapping subscriptions are refused at
        # registration, so the first one is the one
        await put(recipient_of(row), Channel.WEBHOOK, address=row.url, payload=payload,
                  subscription_id=row.subscription_id)
    log.info("notifications.enqueued", event_type=env.type, event_id=str(env.id),
             new_deliveries=len(created))
    return created


def handlers(outbox: Outbox) -> dict[type[Event], Handler]:
    """The handler of every event the notifications service consumes (see TOPOLOGY), writing
    its own events through `outbox`."""

    async def on_notifiable_event(session: AsyncConnection, event: Event, env: Envelope) -> None:
        await notify(session, outbox, event, env)

    table: dict[type[Event], Handler] = {
        ProducerRegistered: on_producer_registered,
        ProducerUpdated: on_producer_registered,
    }
    table.update({event_type: on_notifiable_event for event_type in NOTIFIABLE_EVENTS})
    return table
