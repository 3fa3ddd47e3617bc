"""Councils and their members (pure: no I/O).

A council (hội đồng đánh giá, phân hạng) works at one level (district under the older rulebooks,
province, central) for a jurisdiction: a province, or for a district council the communes of
its former district; the central council covers the country. Members have a role and a term;
a member linked to a producer (a conflict of interest) cannot score that producer's products.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class MemberRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY = "secretary"
    MEMBER = "member"


OFFICERS = frozenset({MemberRole.CHAIR, MemberRole.SECRETARY})
"""Who closes a round and records the council's proposals."""


@dataclass(frozen=True)
class CouncilMember:
    id: str
    subject: str
    """The `sub` of the member's token: how a request is matched to the member."""
    role: MemberRole
    term_start: date
    term_end: date | None = None
    conflicts: frozenset[str] = field(default_factory=frozenset)
    """Ids of producers the member is linked to."""

    def serving_on(self, day: date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)

    def conflicted_with(self, producer_id: str) -> bool:
        return producer_id in self.conflicts


def eligible_scorers(
    members: Iterable[CouncilMember], producer_id: str, day: date
) -> list[CouncilMember]:
    """The members who may score a product of `producer_id` on `day`: serving, not conflicted.
    The quorum is counted among them."""
    return [m for m in members if m.serving_on(day) and not m.conflicted_with(producer_id)]


def why_cannot_score(member: CouncilMember, producer_id: str, day: date) -> str | None:
    """None when the member may score the producer's product on `day`; else the reason."""
    if not member.serving_on(day):
        return f"member's term ({member.term_start} to {member.term_end or 'open'}) " \
               f"does not cover {day}"
    if member.conflicted_with(producer_id):
        return "member has a declared conflict of interest with the producer"
    return None


def covers(level: str, province_code: str | None, communes: Sequence[str],
           product_province: str, product_commune: str | None) -> bool:
    """Whether a council's jurisdiction covers a product: central covers every province; a
    provincial council its province; a district council the communes listed for it."""
    if level == "central":
        return True
    if province_code != product_province:
        return False
    if level == "district":
        return product_commune is not None and product_commune in communes
    return True
