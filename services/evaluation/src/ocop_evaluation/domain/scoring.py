"""A member's score sheet and the council's score (pure: no I/O).

A member picks exactly one option per scored criterion of the product's sheet (options are
numbered from 1, as printed). Picking a knock-out option ends the sheet there: the criteria
it leaves unanswered are not scored.

When a quorum has scored, the council's score is the average of the members' totals, unless two
totals differ by more than the allowed spread: then the members at the ends of each such gap
must rescore and no result stands. A knock-out stands when more than half of the sheets pick
one; the product is then eliminated whatever the spread of the (partial) totals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from .councils import CouncilMember, MemberRole
from .rulebooks import CouncilRules, Sheet


class SheetRefused(ValueError):
    """A score sheet that does not fit the product's scoring sheet: `problems` maps each field
    (e.g. ``choices.61``) to the reason."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in self.problems.items()))


@dataclass(frozen=True)
class SheetScore:
    """One member's sheet, scored: points per criterion answered, per part, and the total."""

    total: float
    parts: dict[str, float]
    points: dict[int, float]
    knock_outs: tuple[int, ...]
    """Ids of the criteria where a knock-out option was picked."""


def score_sheet(sheet: Sheet, choices: Mapping[int, int]) -> SheetScore:
    """Score `choices` (criterion id -> option number from 1) on `sheet`, or SheetRefused
    naming every unknown criterion, option out of range and criterion left unanswered."""
    scored = sheet.scored_criteria()
    problems: dict[str, str] = {}
    for criterion_id in choices:
        if criterion_id not in scored:
            problems[f"choices.{criterion_id}"] = (
                f"criterion {criterion_id} is not on sheet {sheet.sheet_id}"
                if not any(c.id == criterion_id for _, c in sheet.criteria())
                else f"criterion {criterion_id} is a heading: score its sub-criteria")
    parts: dict[str, float] = {part: 0.0 for part in sheet.parts}
    points: dict[int, float] = {}
    knock_outs: list[int] = []
    for criterion_id, (part, criterion) in scored.items():
        option = choices.get(criterion_id)
        if option is None:
            continue
        if isinstance(option, bool) or not isinstance(option, int) or not (
                1 <= option <= len(criterion.options)):
            problems[f"choices.{criterion_id}"] = (
                f"option must be a number from 1 to {len(criterion.options)}, got {option!r}")
            continue
        picked = criterion.options[option - 1]
        points[criterion_id] = picked.points
        parts[part] += picked.points
        if picked.knock_out is not None:
            knock_outs.append(criterion_id)
    if not knock_outs:
        for criterion_id in scored:
            if criterion_id not in choices:
                problems[f"choices.{criterion_id}"] = "missing: pick one option"
    if problems:
        raise SheetRefused(problems)
    parts = {part: round(value, 2) for part, value in parts.items()}
    return SheetScore(round(sum(parts.values()), 2), parts, points, tuple(knock_outs))


@dataclass(frozen=True)
class QuorumNotMet:
    needed: int
    scored: int
    chair_scored: bool

    def reason(self) -> str:
        missing = [] if self.chair_scored else ["the chair has not scored"]
        if self.scored < self.needed:
            missing.append(f"{self.scored} of the {self.needed} members needed have scored")
        return "no quorum: " + " and ".join(missing)


@dataclass(frozen=True)
class RescoreNeeded:
    """Totals that differ by more than the allowed spread: `members` must rescore."""

    members: tuple[str, ...]
    totals: dict[str, float]
    spread: float
    max_spread: float


@dataclass(frozen=True)
class CouncilScore:
    score: float
    parts: dict[str, float]
    points: dict[int, float]
    """Average points per criterion over the sheets (for mandatory criteria)."""
    knocked_out: tuple[int, ...]
    totals: dict[str, float]


def quorum_needed(rules: CouncilRules, eligible: int) -> int:
    """How many of `eligible` members must score: 75% of 7 is 5.25, so 6."""
    return max(1, math.ceil(rules.quorum * eligible - 1e-9))


def check_quorum(
    rules: CouncilRules, eligible: Sequence[CouncilMember], scored: Sequence[str]
) -> QuorumNotMet | None:
    """None when the members in `scored` (ids) form a quorum of the `eligible` members."""
    needed = quorum_needed(rules, len(eligible))
    chairs = {m.id for m in eligible if m.role is MemberRole.CHAIR}
    counted = [member_id for member_id in scored if member_id in {m.id for m in eligible}]
    chair_scored = not rules.chair_required or bool(chairs & set(counted))
    if len(counted) >= needed and chair_scored:
        return None
    return QuorumNotMet(needed, len(counted), chair_scored)


def spread_problem(rules: CouncilRules, totals: Mapping[str, float]) -> RescoreNeeded | None:
    """The members of every pair whose totals differ by more than the allowed spread."""
    members: set[str] = set()
    for (a, ta), (b, tb) in combinations(totals.items(), 2):
        if abs(ta - tb) > rules.max_spread + 1e-9:
            members.update((a, b))
    if not members:
        return None
    spread = max(totals.values()) - min(totals.values())
    return RescoreNeeded(tuple(sorted(members)), dict(totals), round(spread, 2), rules.max_spread)


def council_score(
    rules: CouncilRules, eligible: Sequence[CouncilMember], sheets: Mapping[str, SheetScore]
) -> QuorumNotMet | RescoreNeeded | CouncilScore:
    """The council's score from the members' latest sheets (member id -> sheet); sheets of
    members who are not eligible do not count."""
    eligible_ids = {m.id for m in eligible}
    sheets = {member: sheet for member, sheet in sheets.items() if member in eligible_ids}
    if (no_quorum := check_quorum(rules, eligible, list(sheets))) is not None:
        return no_quorum
    totals = {member: sheet.total for member, sheet in sheets.items()}
    count = len(sheets)
    knock_votes: dict[int, int] = {}
    for sheet in sheets.values():
        for criterion in sheet.knock_outs:
            knock_votes[criterion] = knock_votes.get(criterion, 0) + 1
    sheets_knocked_out = sum(1 for sheet in sheets.values() if sheet.knock_outs)
    knocked_out = tuple(sorted(knock_votes)) if sheets_knocked_out * 2 > count else ()
    if not knocked_out and (rescore := spread_problem(rules, totals)) is not None:
        return rescore
    parts: dict[str, float] = {}
    points: dict[int, float] = {}
    for sheet in sheets.values():
        for part, value in sheet.parts.items():
            parts[part] = parts.get(part, 0.0) + value
        for criterion, value in sheet.points.items():
            points[criterion] = points.get(criterion, 0.0) + value
    return CouncilScore(
        score=round(sum(totals.values()) / count, 2),
        parts={part: round(value / count, 2) for part, value in parts.items()},
        points={criterion: round(value / count, 2) for criterion, value in points.items()},
        knocked_out=knocked_out,
        totals=totals,
    )
