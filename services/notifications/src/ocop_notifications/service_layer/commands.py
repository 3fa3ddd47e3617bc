"""Notifications commands: what a recipient does with its deliveries."""

from __future__ import annotations

import uuid

from ocop_shared.errors import NotFound
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import deliveries
from ..domain.deliveries import Channel


async def mark_read(session: AsyncConnection, delivery_id: uuid.UUID, recipient_id: str) -> dict:
    """Mark a delivery of `recipient_id` read (the first reading time is kept). Someone
    else's delivery is reported as not found, so its existence is not disclosed."""
    row = (
        await session.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.recipient_id == recipient_id,
                   deliveries.c.channel == Channel.INBOX.value)
            .values(read_at=func.coalesce(deliveries.c.read_at, func.now()))
            .returning(deliveries)
        )
    ).first()
    if row is None:
        raise NotFound("delivery_not_found", f"no delivery {delivery_id} in your inbox",
                       field="delivery_id")
    return row._asdict()
