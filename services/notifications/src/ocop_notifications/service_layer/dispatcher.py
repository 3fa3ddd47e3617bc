"""The dispatcher: sends pending email and webhook deliveries, retries them, fails them.

Every `dispatch_interval_seconds` (at once again when a full batch was sent):

1. Claim: in a short transaction, pick due deliveries (pending, `next_attempt_at <= now`,
   email or webhook, endpoint not paused) `FOR UPDATE SKIP LOCKED`, push their
   `next_attempt_at` forward by a lease (send timeout + a margin) and commit. Another replica
   skips them; if this process dies while sending, they become due again when the lease ends
   (at-least-once: a webhook receiver dedupes on `X-OCOP-Delivery`).
2. Send them concurrently, each under the send timeout: a slow or failing channel or endpoint
   holds up nothing but its own deliveries.
3. Record each outcome in its own transaction, only if the delivery is still pending at the
   attempt count it was claimed with (a second recorder does nothing): the attempt in
   `delivery_attempts`; delivered (+ NotificationDelivered), retry (next_attempt_at = now +
   backoff) or failed at `max_attempts` (+ NotificationFailed), all through the outbox; for a
   webhook, the endpoint's consecutive failures and its pause.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
import structlog
from ocop_shared.contracts.notifications import NotificationDelivered, NotificationFailed
from ocop_shared.errors import NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import Row, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..adapters.email import send_email
from ..adapters.tables import deliveries, delivery_attempts, webhook_subscriptions
from ..adapters.webhooks import post_webhook
from ..domain.deliveries import Channel, DeliveryStatus
from ..domain.dispatch import Decision, Outcome, SendFailed, after_attempt, endpoint_after
from ..settings import ChannelSettings

log = structlog.get_logger("ocop.notifications.dispatcher")

LEASE_MARGIN_SECONDS = 10.0
"""Added to the send timeout: how long a claimed delivery is hidden from other claims."""

d, s = deliveries, webhook_subscriptions


def lease(settings: ChannelSettings) -> timedelta:
    return timedelta(seconds=settings.send_timeout_seconds + LEASE_MARGIN_SECONDS)


async def claim(engine: AsyncEngine, settings: ChannelSettings) -> list[Row]:
    """Due deliveries of this round, leased to this process (committed before sending)."""
    not_paused = or_(s.c.id.is_(None), and_(s.c.active, or_(
        s.c.paused_until.is_(None), s.c.paused_until <= func.now())))
    query = (
        select(d.c.id, d.c.channel, d.c.address, d.c.subject_line, d.c.body, d.c.payload,
               d.c.attempts, d.c.subscription_id, s.c.secret)
        .select_from(d.outerjoin(s, s.c.id == d.c.subscription_id))
        .where(d.c.status == DeliveryStatus.PENDING.value,
               d.c.channel.in_([Channel.EMAIL.value, Channel.WEBHOOK.value]),
               d.c.next_attempt_at <= func.now(), not_paused)
        .order_by(d.c.next_attempt_at)
        .limit(settings.dispatch_batch_size)
        .with_for_update(of=d, skip_locked=True)
    )
    async with engine.begin() as conn:
        rows = (await conn.execute(query)).all()
        if rows:
            await conn.execute(
                update(d).where(d.c.id.in_([r.id for r in rows]))
                .values(next_attempt_at=func.now() + lease(settings)))
    return rows


async def send(row: Row, settings: ChannelSettings, client: httpx.AsyncClient) -> None:
    """One attempt; raises `SendFailed`."""
    timeout = settings.send_timeout_seconds
    if not row.address:
        raise SendFailed(f"no {row.channel} address")
    try:
        async with asyncio.timeout(timeout):
            if row.channel == Channel.EMAIL:
                await send_email(settings, delivery_id=row.id, to=row.address,
                                 subject=row.subject_line, body=row.body)
            else:
                if row.secret is None or row.payload is None:
                    raise SendFailed("webhook without subscription or payload")
                await post_webhook(client, url=row.address, secret=row.secret,
                                   delivery_id=row.id, payload=row.payload,
                                   timeout_seconds=timeout)
    except TimeoutError as exc:
        raise SendFailed(f"timeout after {timeout:g} s") from exc


async def attempt(engine: AsyncEngine, outbox: Outbox, settings: ChannelSettings,
                  client: httpx.AsyncClient, row: Row) -> Decision | None:
    """Send one claimed delivery and record what happened; never raises (but cancellation)."""
    started = time.monotonic()
    error: str | None = None
    try:
        await send(row, settings, client)
    except SendFailed as exc:
        error = exc.detail
    except Exception as exc:  # noqa: BLE001 - one delivery's bug must not stop the others
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    try:
        return await record(engine, outbox, settings, row, error, duration_ms)
    except Exception as exc:  # noqa: BLE001 - the lease makes it due again
        log.warning("dispatcher.record_failed", delivery_id=str(row.id), error=repr(exc))
        return None


async def record(engine: AsyncEngine, outbox: Outbox, settings: ChannelSettings, row: Row,
                 error: str | None, duration_ms: int) -> Decision | None:
    """Write the outcome of the attempt on `row` (one transaction); None if someone else has
    already recorded this attempt or the delivery is no longer pending."""
    decision = after_attempt(
        row.attempts + 1, error is None, max_attempts=settings.max_attempts,
        base_seconds=settings.retry_base_seconds, cap_seconds=settings.retry_cap_seconds)
    values: dict[str, object] = {"attempts": decision.attempt, "last_error": error}
    if decision.outcome is Outcome.DELIVERED:
        values |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": func.now(),
                   "next_attempt_at": None}
    elif decision.outcome is Outcome.FAILED:
        values |= {"status": DeliveryStatus.FAILED.value, "failed_at": func.now(),
                   "next_attempt_at": None}
    else:
        values["next_attempt_at"] = func.now() + decision.retry_in
    async with engine.begin() as conn:
        current = (await conn.execute(
            update(d).where(d.c.id == row.id, d.c.status == DeliveryStatus.PENDING.value,
                            d.c.attempts == row.attempts)
            .values(**values)
            .returning(d.c.source_event_id, d.c.source_event_type, d.c.recipient_id)
        )).first()
        if current is None:
            log.info("dispatcher.already_recorded", delivery_id=str(row.id))
            return None
        await conn.execute(insert(delivery_attempts).values(
            delivery_id=row.id, attempt=decision.attempt, outcome=decision.outcome.value,
            detail=error, duration_ms=duration_ms))
        if row.subscription_id is not None:
            await _update_endpoint(conn, settings, row, error is None)
        await _announce(conn, outbox, row, current, decision, error)
    log.info("dispatcher.attempt", delivery_id=str(row.id), channel=row.channel,
             attempt=decision.attempt, outcome=decision.outcome.value, detail=error,
             retry_in=decision.retry_in.total_seconds() if decision.retry_in else None)
    return decision


async def _update_endpoint(conn: AsyncConnection, settings: ChannelSettings, row: Row,
                           succeeded: bool) -> None:
    failures = (await conn.execute(
        select(s.c.consecutive_failures).where(s.c.id == row.subscription_id)
        .with_for_update())).scalar()
    if failures is None:
        return
    state = endpoint_after(failures, succeeded, pause_after=settings.pause_after_failures,
                           pause_seconds=settings.pause_seconds)
    values: dict[str, object] = {"consecutive_failures": state.consecutive_failures}
    if succeeded:
        values["paused_until"] = None
    if state.pause_for is not None:
        values["paused_until"] = func.now() + state.pause_for
        log.warning("dispatcher.endpoint_paused", subscription_id=str(row.subscription_id),
                    url=row.address, consecutive_failures=state.consecutive_failures,
                    pause_seconds=state.pause_for.total_seconds(),
                    reason=f"{state.consecutive_failures} consecutive failures: its deliveries "
                           "wait until the pause ends or an operator resumes it")
    await conn.execute(update(s).where(s.c.id == row.subscription_id).values(**values))


async def _announce(conn: AsyncConnection, outbox: Outbox, row: Row, current: Row,
                    decision: Decision, error: str | None) -> None:
    facts = {"delivery_id": row.id, "source_event_id": current.source_event_id,
             "source_event_type": current.source_event_type,
             "recipient_id": current.recipient_id, "channel": row.channel}
    if decision.outcome is Outcome.DELIVERED:
        await outbox.add(conn, NotificationDelivered(**facts))
    elif decision.outcome is Outcome.FAILED:
        await outbox.add(conn, NotificationFailed(**facts, error=error or "unknown"))


async def dispatch_once(engine: AsyncEngine, outbox: Outbox, settings: ChannelSettings,
                        client: httpx.AsyncClient) -> int:
    """One round: claim, send concurrently, record; how many deliveries were attempted."""
    rows = await claim(engine, settings)
    if rows:
        await asyncio.gather(*(attempt(engine, outbox, settings, client, r) for r in rows))
    return len(rows)


def channel_settings(runtime: object) -> ChannelSettings:
    settings = getattr(runtime, "settings", None)
    return settings if isinstance(settings, ChannelSettings) else ChannelSettings()


async def dispatcher(runtime) -> None:  # noqa: ANN001 - a ServiceRuntime
    """The background job (ServiceDefinition.background): dispatch until cancelled."""
    settings = channel_settings(runtime)
    backoff = settings.dispatch_interval_seconds
    async with httpx.AsyncClient(follow_redirects=False) as client:
        while True:
            try:
                sent = await dispatch_once(runtime.engine, runtime.outbox, settings, client)
                backoff = settings.dispatch_interval_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the dispatcher outlives any outage
                log.warning("dispatcher.round_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if sent < settings.dispatch_batch_size:
                await asyncio.sleep(settings.dispatch_interval_seconds)


async def resume_subscription(session: AsyncConnection, subscription_id: uuid.UUID) -> dict:
    """Lift an endpoint's pause (an operator's decision): its deliveries are claimed again."""
    row = (await session.execute(
        update(s).where(s.c.id == subscription_id)
        .values(paused_until=None, consecutive_failures=0)
        .returning(s.c.id, s.c.recipient_id, s.c.url, s.c.active, s.c.consecutive_failures,
                   s.c.paused_until)
    )).first()
    if row is None:
        raise NotFound("subscription_not_found", f"no webhook subscription {subscription_id}",
                       field="subscription_id")
    log.info("dispatcher.endpoint_resumed", subscription_id=str(subscription_id))
    return row._asdict()


async def delivery_with_attempts(session: AsyncConnection, delivery_id: uuid.UUID) -> dict:
    """A delivery and its attempts, oldest first."""
    row = (await session.execute(select(d).where(d.c.id == delivery_id))).first()
    if row is None:
        raise NotFound("delivery_not_found", f"no delivery {delivery_id}", field="delivery_id")
    attempts = (await session.execute(
        select(delivery_attempts).where(delivery_attempts.c.delivery_id == delivery_id)
        .order_by(delivery_attempts.c.attempt, delivery_attempts.c.id))).all()
    return row._asdict() | {"attempts": [a._asdict() for a in attempts]}

