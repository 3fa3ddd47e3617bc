"""Trade fair (hội chợ, triển lãm) rules (pure: no I/O).

Who may organise a fair: an operator any fair; a provincial official the provincial fairs of
their own province; a Ministry official regional and national fairs.

Eligibility of a product (the certificate itself is checked against the projection):
applications are open (the fair is not yet allocated and its deadline has not passed), the
product's certificate is active and valid through the fair's last day, it holds at least the
fair's minimum stars (if set), and it has not applied to this fair before.

Allocation policy (deterministic), when applications exceed booths:

1. Rank every application greedily: repeatedly take, among those not yet ranked, the best by
   a. more stars first;
   b. then a product from a commune not yet represented by an application ranked before it
      (a product without a commune code never counts as unrepresented);
   c. then the earlier application time;
   d. then the smaller application id (final tie-break).
2. The first `booths` in that ranking get booths 1..booths in ranking order; the others wait
   in ranking order at positions 1, 2, ... (1 = next).

When an allocated product leaves (withdrawn, certificate lost), waitlist position 1 takes its
booth number and everyone behind moves up one; when a waitlisted product leaves, those behind
it move up one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class FairLevel(StrEnum):
    PROVINCIAL = "provincial"
    REGIONAL = "regional"
    NATIONAL = "national"


class FairStatus(StrEnum):
    OPEN = "open"  # accepting applications
    ALLOCATED = "allocated"  # applications closed, booths allocated


class ApplicationStatus(StrEnum):
    APPLIED = "applied"
    ALLOCATED = "allocated"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


ACTIVE_APPLICATIONS = (ApplicationStatus.APPLIED, ApplicationStatus.ALLOCATED,
                       ApplicationStatus.WAITLISTED)


def may_organise(role: str, own_province: str | None, level: str,
                 province_code: str | None) -> bool:
    """Whether a caller of `role` (acting in `own_province`) may announce and run a fair."""
    if role == "operator":
        return True
    if role == "ministry_official":
        return level in (FairLevel.REGIONAL, FairLevel.NATIONAL)
    if role == "provincial_official":
        return (level == FairLevel.PROVINCIAL and own_province is not None
                and own_province == province_code)
    return False


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: a stable code, words for people, the input at fault."""

    code: str
    message: str
    field: str


def announcement_refusal(level: str, province_code: str | None, starts_on: date,
                         ends_on: date, applications_close: datetime,
                         now: datetime) -> Refusal | None:
    """What is wrong with a fair's terms, if anything (`applications_close` aware)."""
    if level == FairLevel.PROVINCIAL and not province_code:
        return Refusal("province_required", "a provincial fair needs its province_code",
                       "province_code")
    if ends_on < starts_on:
        return Refusal("ends_before_start", f"the fair ends ({ends_on}) before it starts "
                       f"({starts_on})", "ends_on")
    if applications_close <= now:
        return Refusal("deadline_passed", "applications must close in the future",
                       "applications_close")
    if applications_close.date() > starts_on:
        return Refusal("deadline_after_start", "applications must close by the day the fair "
                       f"starts ({starts_on})", "applications_close")
    return None


def closed_refusal(status: str, applications_close: datetime,
                   now: datetime) -> Refusal | None:
    """Whether applications to a fair are closed (allocated, or past the deadline)."""
    if status != FairStatus.OPEN or now >= applications_close:
        return Refusal("applications_closed", "applications to this fair closed on "
                       f"{applications_close.isoformat()}", "fair_id")
    return None


def stars_refusal(min_stars: int | None, stars: int) -> Refusal | None:
    """Whether a product lacks the fair's minimum stars."""
    if min_stars is not None and stars < min_stars:
        return Refusal("below_min_stars", f"the product has {stars} stars; this fair asks "
                       f"for at least {min_stars}", "product_id")
    return None


@dataclass(frozen=True)
class Applicant:
    application_id: uuid.UUID
    stars: int
    commune_code: str | None
    applied_at: datetime


def rank(applicants: Iterable[Applicant]) -> list[Applicant]:
    """Every applicant in allocation order (policy in the module docstring)."""
    remaining = list(applicants)
    represented: set[str] = set()
    ranked: list[Applicant] = []
    while remaining:
        best = min(remaining, key=lambda a: (
            -a.stars, a.commune_code is None or a.commune_code in represented,
            a.applied_at, a.application_id))
        remaining.remove(best)
        ranked.append(best)
        if best.commune_code is not None:
            represented.add(best.commune_code)
    return ranked


@dataclass(frozen=True)
class Allocation:
    booths: dict[uuid.UUID, int]  # application id -> booth number
    waitlist: dict[uuid.UUID, int]  # application id -> position (1 = next)


def allocate(applicants: Iterable[Applicant], booths: int) -> Allocation:
    """Booths 1..`booths` to the best ranked, the others on the waitlist in ranking order."""
    if booths < 1:
        raise ValueError(f"a fair has at least one booth, got {booths}")
    ranked = rank(applicants)
    return Allocation(
        booths={a.application_id: n for n, a in enumerate(ranked[:booths], start=1)},
        waitlist={a.application_id: n for n, a in enumerate(ranked[booths:], start=1)},
    )


@dataclass(frozen=True)
class WaitlistMove:
    promoted: uuid.UUID | None = None  # takes the freed booth
    positions: dict[uuid.UUID, int] = field(default_factory=dict)  # new positions (changed)


def move_up(waitlist: Sequence[uuid.UUID], leaving: uuid.UUID | None,
            freed_booth: int | None) -> WaitlistMove:
    """How the waitlist (in position order) moves when `leaving` (on the waitlist, or None)
    leaves it and/or a booth is freed."""
    before = {app: n for n, app in enumerate(waitlist, start=1)}
    rest = [app for app in waitlist if app != leaving]
    promoted = None
    if freed_booth is not None and rest:
        promoted, rest = rest[0], rest[1:]
    positions = {app: n for n, app in enumerate(rest, start=1) if before[app] != n}
    return WaitlistMove(promoted, positions)
