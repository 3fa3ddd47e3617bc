"""Councils and their members: commands and the reads the other commands need."""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.auth import Principal
from ocop_shared.errors import Conflict, InvalidInput, NotFound
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import council_members, councils
from ..domain.councils import CouncilMember, MemberRole
from . import audit

UNIQUE_ROLES = (MemberRole.CHAIR, MemberRole.SECRETARY)


async def get_council(session: AsyncConnection, council_id: uuid.UUID) -> dict:
    row = (await session.execute(select(councils).where(councils.c.id == council_id))).first()
    if row is None:
        raise NotFound("council_not_found", f"no council {council_id}", field="council_id")
    return row._asdict()


async def create_council(session: AsyncConnection, actor: Principal, data: dict) -> dict:
    """A council at a level: central (no province), province, or district (with the communes
    of its former district)."""
    level = data["level"]
    if level == "central" and data.get("province_code"):
        raise InvalidInput("central_council_has_no_province",
                           "the central council serves every province", field="province_code")
    if level != "central" and not data.get("province_code"):
        raise InvalidInput("province_required", f"a {level} council serves a province",
                           field="province_code")
    if level == "district" and not data.get("communes"):
        raise InvalidInput("communes_required",
                           "a district council lists the communes of its former district",
                           field="communes")
    if level != "district" and data.get("communes"):
        raise InvalidInput("communes_only_for_district",
                           "only a district council is limited to communes", field="communes")
    row = {"id": uuid.uuid4(), "name": data["name"], "level": level,
           "province_code": data.get("province_code"), "communes": data.get("communes") or [],
           "created_by": actor.subject}
    created = (await session.execute(insert(councils).values(row).returning(councils))).one()
    await audit.record(session, actor, "council.created", "council", row["id"],
                       level=level, province_code=row["province_code"], name=row["name"])
    return created._asdict()


async def add_member(
    session: AsyncConnection, actor: Principal, council_id: uuid.UUID, data: dict
) -> dict:
    """A member with a role and a term. A council has one chair and one secretary at a time."""
    await get_council(session, council_id)
    role = MemberRole(data["role"])
    start, end = data["term_start"], data.get("term_end")
    if end is not None and end < start:
        raise InvalidInput("term_ends_before_start", "the term ends before it starts",
                           field="term_end")
    if role in UNIQUE_ROLES:
        await _one_holder(session, council_id, role, start, end)
    row = {"id": uuid.uuid4(), "council_id": council_id, "subject": data["subject"],
           "name": data["name"], "role": role.value, "organisation": data.get("organisation"),
           "term_start": start, "term_end": end,
           "conflicts": sorted({str(p) for p in data.get("conflicts") or []})}
    existing = (await session.execute(select(council_members.c.id).where(
        council_members.c.council_id == council_id,
        council_members.c.subject == row["subject"]))).first()
    if existing is not None:
        raise Conflict("member_exists", f"{row['subject']} is already a member of this council",
                       field="subject")
    created = (await session.execute(
        insert(council_members).values(row).returning(council_members))).one()
    await audit.record(session, actor, "member.added", "council", council_id,
                       member_id=row["id"], subject=row["subject"], role=role.value)
    return created._asdict()


async def _one_holder(session: AsyncConnection, council_id: uuid.UUID, role: MemberRole,
                      start: date, end: date | None) -> None:
    overlapping = select(council_members.c.name).where(
        council_members.c.council_id == council_id,
        council_members.c.role == role.value,
        or_(council_members.c.term_end.is_(None), council_members.c.term_end >= start),
    )
    if end is not None:
        overlapping = overlapping.where(council_members.c.term_start <= end)
    holder = (await session.execute(overlapping)).first()
    if holder is not None:
        raise Conflict("role_taken", f"the council already has a {role.value} for that term "
                                     f"({holder.name})", field="role")


async def update_member(
    session: AsyncConnection, actor: Principal, council_id: uuid.UUID, member_id: uuid.UUID,
    changes: dict,
) -> dict:
    """End a term or declare conflicts of interest (producers the member is linked to)."""
    values: dict = {}
    if "term_end" in changes:
        values["term_end"] = changes["term_end"]
    if "conflicts" in changes:
        values["conflicts"] = sorted({str(p) for p in changes["conflicts"] or []})
    updated = (await session.execute(
        update(council_members)
        .where(and_(council_members.c.id == member_id,
                    council_members.c.council_id == council_id))
        .values(**values).returning(council_members))).first()
    if updated is None:
        raise NotFound("member_not_found", f"no member {member_id} in council {council_id}",
                       field="member_id")
    if updated.term_end is not None and updated.term_end < updated.term_start:
        raise InvalidInput("term_ends_before_start", "the term ends before it starts",
                           field="term_end")
    await audit.record(session, actor, "member.updated", "council", council_id,
                       member_id=member_id, **values)
    return updated._asdict()


async def members_of(session: AsyncConnection, council_id: uuid.UUID) -> list[CouncilMember]:
    rows = (await session.execute(select(council_members).where(
        council_members.c.council_id == council_id))).all()
    return [member_from_row(r._asdict()) for r in rows]


def member_from_row(row: dict) -> CouncilMember:
    return CouncilMember(
        id=str(row["id"]), subject=row["subject"], role=MemberRole(row["role"]),
        term_start=row["term_start"], term_end=row["term_end"],
        conflicts=frozenset(row["conflicts"] or ()),
    )


async def member_for(
    session: AsyncConnection, council_id: uuid.UUID, principal: Principal
) -> dict | None:
    """The member row of the caller in a council, matched by the token's subject."""
    row = (await session.execute(select(council_members).where(
        council_members.c.council_id == council_id,
        council_members.c.subject == principal.subject))).first()
    return None if row is None else row._asdict()
