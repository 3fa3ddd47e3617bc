"""Dead letters of a service (table `dead_letter`): list, show, replay, drop.

A replay republishes the original message (same subject, same headers and CloudEvents id)
under a fresh Nats-Msg-Id, so JetStream accepts it even within its duplicate window. Every
consumer of that subject receives the copy: the one that dead-lettered it processes it (its
inbox has no row for it, the failed transaction rolled back); the others' inboxes absorb it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import MetaData, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import func

from ..contracts import MSG_ID_HEADER
from ..messaging.tables import messaging_tables
from .targets import OpsError

_, _, DEAD_LETTER = messaging_tables(MetaData())
dead_letter: Table = DEAD_LETTER


def fresh_msg_id(kind: str, key: object) -> str:
    """A Nats-Msg-Id JetStream has never seen, so the copy is not dropped as a duplicate."""
    return f"{kind}-{key}-{uuid.uuid4()}"


async def list_dead_letters(engine: AsyncEngine, *, include_replayed: bool = False,
                            limit: int = 100) -> list[dict[str, Any]]:
    query = select(dead_letter).order_by(dead_letter.c.id).limit(limit)
    if not include_replayed:
        query = query.where(dead_letter.c.replayed_at.is_(None))
    async with engine.connect() as conn:
        return [dict(row._mapping) for row in (await conn.execute(query)).all()]


async def get_dead_letter(engine: AsyncEngine, letter_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(
            select(dead_letter).where(dead_letter.c.id == letter_id))).first()
    if row is None:
        raise OpsError(f"no dead letter {letter_id}")
    return dict(row._mapping)


async def replay(engine: AsyncEngine, js: JetStreamContext, ids: list[int] | None, *,
                 force: bool = False,
                 progress: Callable[[dict[str, Any]], None] | None = None) -> list[int]:
    """Republish the dead letters `ids` (None: every unreplayed one); mark them replayed; the
    ids replayed. One already replayed is refused unless `force`."""
    if ids is None:
        letters = await list_dead_letters(engine, limit=1_000_000)
    else:
        letters = [await get_dead_letter(engine, i) for i in ids]
        done = [str(d["id"]) for d in letters if d["replayed_at"] is not None]
        if done and not force:
            raise OpsError(f"already replayed: {', '.join(done)} (use --force to replay again)")
    replayed = []
    for letter in letters:
        headers = dict(letter["headers"])
        headers[MSG_ID_HEADER] = fresh_msg_id("dlq", letter["id"])
        await js.publish(letter["subject"], letter["payload"].encode(), headers=headers)
        async with engine.begin() as conn:
            await conn.execute(update(dead_letter).where(dead_letter.c.id == letter["id"])
                               .values(replayed_at=func.now()))
        replayed.append(letter["id"])
        if progress:
            progress(letter)
    return replayed


async def drop(engine: AsyncEngine, letter_id: int) -> None:
    async with engine.begin() as conn:
        result = await conn.execute(delete(dead_letter).where(dead_letter.c.id == letter_id))
    if not result.rowcount:
        raise OpsError(f"no dead letter {letter_id}")
