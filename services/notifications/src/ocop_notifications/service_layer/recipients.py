"""The directory of recipients: officials, council members, the Ministry contact and
integrations (with their webhook subscriptions), registered over the API. Producers are kept in
step from the registry's events (`events.on_producer_registered`).

Who may: the operator, everything; a provincial official, the officials and council members of
its province; a Ministry official, the Ministry contact. Integrations: the operator only.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from ocop_shared.auth import Principal, Role
from ocop_shared.contracts.notifications import NotificationFailed
from ocop_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import deliveries, recipients, webhook_subscriptions
from ..domain.deliveries import Channel, DeliveryStatus, RecipientKind
from ..domain.rules import COUNCIL_ROLES, NOTIFIABLE_EVENTS

MIN_SECRET_LENGTH = 16


def subscribable_types() -> dict[str, str]:
    """Event name or CloudEvents type -> CloudEvents type, for every event this service tells
    about (e.g. "EvaluationCompleted" -> "ocop.evaluation.EvaluationCompleted.v1")."""
    names: dict[str, str] = {}
    for event_type in NOTIFIABLE_EVENTS:
        full = event_type.event_type()
        names[event_type.__name__] = full
        names[full] = full
    return names


def _may_manage(principal: Principal, kind: RecipientKind, province_code: str | None) -> bool:
    if principal.role is Role.operator:
        return True
    if principal.role is Role.provincial_official:
        return (kind in (RecipientKind.OFFICIAL, RecipientKind.COUNCIL_MEMBER)
                and principal.province_code is not None
                and principal.province_code == province_code)
    if principal.role is Role.ministry_official:
        return kind is RecipientKind.MINISTRY
    return False


def check_may_manage(principal: Principal, kind: RecipientKind,
                     province_code: str | None) -> None:
    if not _may_manage(principal, kind, province_code):
        where = f" of province {province_code}" if province_code else ""
        raise Forbidden("forbidden", f"{principal.role.value} may not manage {kind.value} "
                                     f"recipients{where}", field="kind")


def may_read(principal: Principal, row: Any) -> bool:
    if principal.role in (Role.operator, Role.ministry_official):
        return True
    return (principal.role is Role.provincial_official
            and principal.province_code is not None
            and row.province_code == principal.province_code)


def _validate(kind: RecipientKind, data: dict[str, Any]) -> dict[str, Any]:
    """The row values of a recipient of `kind`, or InvalidInput naming the field."""
    values = dict(data)
    if kind is RecipientKind.PRODUCER:
        raise InvalidInput("producer_from_registry",
                           "producers come from the registry's events", field="kind")
    if kind in (RecipientKind.OFFICIAL, RecipientKind.COUNCIL_MEMBER) and not values.get(
            "province_code"):
        raise InvalidInput("province_required", f"a {kind.value} needs a province",
                           field="province_code")
    if kind is RecipientKind.COUNCIL_MEMBER:
        if not values.get("council_id"):
            raise InvalidInput("council_required", "a council member needs a council",
                               field="council_id")
        if values.get("council_role") not in COUNCIL_ROLES:
            raise InvalidInput("council_role_invalid",
                               f"council_role must be one of {', '.join(COUNCIL_ROLES)}",
                               field="council_role")
    else:
        values["council_id"] = values["council_role"] = None
    if kind is RecipientKind.INTEGRATION:
        values["channels"] = [Channel.WEBHOOK.value]
    else:
        channels = values.get("channels") or [Channel.INBOX.value, Channel.EMAIL.value]
        if Channel.WEBHOOK.value in channels:
            raise InvalidInput("channel_invalid", "only integrations receive webhooks",
                               field="channels")
        values["channels"] = list(dict.fromkeys(channels))
        if Channel.EMAIL.value in values["channels"] and not values.get("email"):
            raise InvalidInput("email_required", "the email channel needs an email address",
                               field="email")
    return values


async def register(session: AsyncConnection, principal: Principal,
                   data: dict[str, Any]) -> dict:
    """Add a recipient; its id is "<kind>:<subject>" (the `sub` of its platform token, so its
    inbox can be found) or "<kind>:<uuid>"; Conflict if that id exists."""
    kind = RecipientKind(data.pop("kind"))
    subject = data.pop("subject", None)
    check_may_manage(principal, kind, data.get("province_code"))
    values = _validate(kind, data)
    recipient_id = f"{kind.value}:{subject or uuid.uuid4()}"
    row = (await session.execute(
        insert(recipients).values(id=recipient_id, kind=kind.value, **values)
        .on_conflict_do_nothing(index_elements=[recipients.c.id]).returning(recipients)
    )).first()
    if row is None:
        raise Conflict("recipient_exists", f"recipient {recipient_id} already exists",
                       field="subject")
    return row._asdict()


async def _visible(session: AsyncConnection, principal: Principal, recipient_id: str) -> Any:
    row = (await session.execute(
        select(recipients).where(recipients.c.id == recipient_id))).first()
    if row is None or not may_read(principal, row):
        raise NotFound("recipient_not_found", f"no recipient {recipient_id}",
                       field="recipient_id")
    return row


async def get(session: AsyncConnection, principal: Principal, recipient_id: str) -> dict:
    return (await _visible(session, principal, recipient_id))._asdict()


async def change(session: AsyncConnection, principal: Principal, recipient_id: str,
                 changes: dict[str, Any]) -> dict:
    """Update a registered recipient's name, email, language, channels, council role or
    active flag (a producer's language and channels too: the operator only)."""
    row = await _visible(session, principal, recipient_id)
    kind = RecipientKind(row.kind)
    check_may_manage(principal, kind, row.province_code)
    merged = {**row._asdict(), **changes}
    if kind is RecipientKind.PRODUCER:
        changes = {k: v for k, v in changes.items() if k in ("language", "channels", "active")}
        channels = merged["channels"]
        if Channel.WEBHOOK.value in channels:
            raise InvalidInput("channel_invalid", "only integrations receive webhooks",
                               field="channels")
    else:
        fields = ("name", "email", "province_code", "language", "channels", "council_id",
                  "council_role", "active")
        validated = _validate(kind, {k: merged[k] for k in fields})
        changes = {k: validated[k] for k in changes if k in validated}
        if "province_code" in changes:
            check_may_manage(principal, kind, changes["province_code"])
    if changes:
        row = (await session.execute(
            update(recipients).where(recipients.c.id == recipient_id)
            .values(**changes, updated_at=func.now()).returning(recipients))).first()
    return row._asdict()


# --------------------------------------------------------------------------- webhooks


def _event_types(requested: list[str]) -> list[str]:
    known = subscribable_types()
    unknown = [t for t in requested if t not in known]
    if unknown or not requested:
        raise InvalidInput(
            "event_type_unknown",
            f"not an event type this service tells about: {', '.join(unknown) or '(none)'}; "
            f"known: {', '.join(sorted(t.__name__ for t in NOTIFIABLE_EVENTS))}",
            field="event_types")
    return sorted({known[t] for t in requested})


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url_invalid", "a webhook URL is an absolute http(s) URL",
                           field="url")


async def subscribe(session: AsyncConnection, principal: Principal, recipient_id: str,
                    data: dict[str, Any]) -> dict:
    """Add a webhook subscription to an integration: its URL, signing secret and event types
    (names like "EvaluationCompleted" or CloudEvents types). An event type another active
    subscription of the same integration already has is a Conflict (one webhook per event and
    integration)."""
    row = await _visible(session, principal, recipient_id)
    if row.kind != RecipientKind.INTEGRATION.value:
        raise InvalidInput("not_an_integration", "only integrations have webhooks",
                           field="recipient_id")
    check_may_manage(principal, RecipientKind.INTEGRATION, None)
    _check_url(data["url"])
    if len(data["secret"]) < MIN_SECRET_LENGTH:
        raise InvalidInput("secret_too_short",
                           f"a signing secret has at least {MIN_SECRET_LENGTH} characters",
                           field="secret")
    types = _event_types(data["event_types"])
    taken = (await session.execute(
        select(func.unnest(webhook_subscriptions.c.event_types))
        .where(webhook_subscriptions.c.recipient_id == recipient_id,
               webhook_subscriptions.c.active))).scalars().all()
    overlap = sorted(set(types) & set(taken))
    if overlap:
        raise Conflict("event_type_already_subscribed",
                       f"{recipient_id} already has a webhook for {', '.join(overlap)}",
                       field="event_types")
    created = (await session.execute(
        insert(webhook_subscriptions).values(
            id=uuid.uuid4(), recipient_id=recipient_id, url=data["url"],
            secret=data["secret"], event_types=types)
        .returning(webhook_subscriptions))).first()
    return created._asdict()


async def webhooks_of(session: AsyncConnection, principal: Principal,
                      recipient_id: str) -> list[dict]:
    await _visible(session, principal, recipient_id)
    rows = (await session.execute(
        select(webhook_subscriptions).where(webhook_subscriptions.c.recipient_id == recipient_id)
        .order_by(webhook_subscriptions.c.created_at))).all()
    return [r._asdict() for r in rows]


async def unsubscribe(session: AsyncConnection, outbox: Outbox, principal: Principal,
                      recipient_id: str, subscription_id: uuid.UUID) -> dict:
    """Deactivate a subscription: no new deliveries, and the pending ones are failed with
    NotificationFailed ("subscription deactivated") rather than left waiting."""
    await _visible(session, principal, recipient_id)
    check_may_manage(principal, RecipientKind.INTEGRATION, None)
    row = (await session.execute(
        update(webhook_subscriptions)
        .where(webhook_subscriptions.c.id == subscription_id,
               webhook_subscriptions.c.recipient_id == recipient_id)
        .values(active=False).returning(webhook_subscriptions))).first()
    if row is None:
        raise NotFound("subscription_not_found", f"no subscription {subscription_id}",
                       field="subscription_id")
    reason = "subscription deactivated"
    dropped = (await session.execute(
        update(deliveries)
        .where(deliveries.c.subscription_id == subscription_id,
               deliveries.c.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.FAILED.value, failed_at=func.now(), last_error=reason)
        .returning(deliveries))).all()
    for delivery in dropped:
        await outbox.add(session, NotificationFailed(
            delivery_id=delivery.id, source_event_id=delivery.source_event_id,
            source_event_type=delivery.source_event_type, recipient_id=delivery.recipient_id,
            channel=delivery.channel, error=reason))
    return row._asdict()


