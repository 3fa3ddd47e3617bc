"""Who may call what in the evaluation service's HTTP API."""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.errors import Forbidden
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.councils import OFFICERS, MemberRole
from ..service_layer.councils import member_for

readers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                  Role.council_member, Role.integration, Role.producer,
                  action="read evaluations")
staff_readers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                        Role.council_member, Role.integration,
                        action="read councils, rounds and sheets")
organisers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                     action="manage councils and rounds")
council_members = require(Role.council_member, action="act as a council member")
deciders = require(Role.operator, Role.provincial_official, Role.ministry_official,
                   action="record a decision")
auditors = require(Role.operator, Role.provincial_official, Role.ministry_official,
                   action="read the audit trail")


def check_council_reach(principal: Principal, council: dict, *, organising: bool) -> None:
    """The standing office of the council's province organises it, the Ministry's office the
    central council, operators any. Staff read their province's councils and the central one."""
    if council["level"] == "central":
        if organising and principal.role not in (Role.operator, Role.ministry_official):
            raise Forbidden("forbidden", "the central council is organised by the Ministry")
        return
    if principal.role is Role.ministry_official and not organising:
        return
    check_province(principal, council["province_code"])


def check_evaluation_reach(principal: Principal, evaluation: dict) -> None:
    """A producer sees its own evaluations only; officials and members their province's."""
    if principal.role is Role.producer:
        if principal.producer_id != str(evaluation["producer_id"]):
            raise Forbidden("forbidden", "a producer sees only its own results")
        return
    check_province(principal, evaluation["province_code"])


async def require_officer(session: AsyncConnection, principal: Principal,
                          council_id: uuid.UUID, today: date, action: str) -> dict:
    """The caller's member row when they are the serving chair or secretary of the council."""
    member = await member_for(session, council_id, principal)
    if (member is None or MemberRole(member["role"]) not in OFFICERS
            or member["term_start"] > today
            or (member["term_end"] is not None and member["term_end"] < today)):
        raise Forbidden("not_an_officer",
                        f"only the council's serving chair or secretary can {action}")
    return member
