"""The audit trail: who did what, when, under which rulebook. Written in the same transaction
as the change it records, so the trail never misses a committed step nor shows a rolled-back
one."""

from __future__ import annotations

from typing import Any

from ocop_shared.auth import Principal, Role
from pydantic_core import to_jsonable_python
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import audit_log

SYSTEM = Principal(subject="system:evaluation", role=Role.operator, name="evaluation service")
"""The actor of steps taken by the service itself, on another service's event."""


async def record(
    session: AsyncConnection,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: object,
    *,
    rulebook: str | None = None,
    **details: Any,
) -> None:
    await session.execute(insert(audit_log).values(
        actor=actor.subject, actor_role=str(actor.role), action=action, entity=entity,
        entity_id=str(entity_id), rulebook=rulebook, details=to_jsonable_python(details),
    ))
