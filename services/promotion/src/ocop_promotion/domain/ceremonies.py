"""Announcement ceremony (lễ công bố) rules (pure: no I/O).

Each recognition decision is announced at a ceremony held by the recognising authority.
Products recognised close together share one ceremony: a newly recognised product joins the
earliest planned ceremony of its authority that still has room and falls in its window;
otherwise a new ceremony is planned on the first working day at least `lead_days` after the
decision. Ceremonies are never held on a Saturday, a Sunday or a Vietnamese public holiday.

Keeping a decision together (deterministic; capacity is a hard limit, never exceeded):

1. A product whose decision (same authority, same decision number) already has products on
   planned ceremonies joins the one of those holding most of them that still has room
   (ties: earliest date, then id) -- no window applies, the decision already chose it.
2. Otherwise (first product of a decision, or all of its ceremonies are full) it joins the
   earliest planned ceremony of its authority with room inside its window (`choose_ceremony`).
3. Otherwise a new ceremony is planned on the first working day at least `lead_days` after
   the decision on which the authority holds no other planned ceremony (`new_ceremony_day`).

So 12 products of one decision with a capacity of 10, arriving one by one with nothing else
planned: the first 10 fill ceremony A, the 11th opens ceremony B (the next free working day),
the 12th joins B by rule 1.

Products of a cancelled ceremony are re-planned decision by decision (in the order they joined
it): the first product of each decision's group asks rule 2 for a ceremony with room for the
whole group (`group_size`), else a new one; the rest of the group follow it by rule 1. Their
window counts from the cancelled ceremony's date, and they are never planned on or before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Container
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import holidays


class CeremonyStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"
    HELD = "held"


@dataclass(frozen=True)
class CeremonyRules:
    """The tunable parts of the rules (from the service's settings)."""

    lead_days: int = 14
    capacity: int = 30
    window_days: int = 30


@dataclass(frozen=True)
class PlannedCeremony:
    """What choosing a ceremony needs to know about a planned one."""

    id: uuid.UUID
    authority: str
    ceremony_date: date
    product_count: int
    capacity: int | None = None
    """The ceremony's own capacity; None means the default given to `choose_ceremony`."""
    decision_products: int = 0
    """How many products of the decision being placed are already on it."""

    def has_room(self, default_capacity: int, extra: int = 1) -> bool:
        limit = default_capacity if self.capacity is None else self.capacity
        return self.product_count + extra <= limit


def vietnam_holidays(*years: int) -> holidays.HolidayBase:
    """Vietnam's public holidays (Tết included) for `years`; other years are added on lookup."""
    return holidays.country_holidays("VN", years=years)


def is_working_day(day: date, holidays_calendar: Container[date]) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in holidays_calendar


def first_ceremony_day(
    decision_date: date,
    lead_days: int,
    holidays_calendar: Container[date] | None = None,
) -> date:
    """The first working day at least `lead_days` after `decision_date`.

    With `lead_days` 0 the decision day itself qualifies when it is a working day.
    `holidays_calendar` defaults to Vietnam's public holidays (see `vietnam_holidays`).
    """
    if lead_days < 0:
        raise ValueError(f"lead_days must not be negative, got {lead_days}")
    if holidays_calendar is None:
        holidays_calendar = vietnam_holidays(decision_date.year, decision_date.year + 1)
    day = decision_date + timedelta(days=lead_days)
    while not is_working_day(day, holidays_calendar):
        day += timedelta(days=1)
    return day


def choose_ceremony(
    planned: list[PlannedCeremony],
    authority: str,
    decision_date: date,
    window_days: int,
    capacity: int,
    *,
    earliest_day: date,
) -> PlannedCeremony | None:
    """The planned ceremony a product recognised on `decision_date` by `authority` joins.

    Candidates belong to the same authority, have free capacity (their own, else `capacity`)
    and fall between `earliest_day` (normally `first_ceremony_day(...)`) and `window_days`
    after the decision. The earliest candidate wins; None means: plan a new ceremony.
    """
    latest_day = decision_date + timedelta(days=window_days)
    candidates = [
        c for c in planned
        if c.authority == authority
        and earliest_day <= c.ceremony_date <= latest_day
        and c.has_room(capacity)
    ]
    return min(candidates, key=lambda c: (c.ceremony_date, str(c.id)), default=None)


def choose_for_decision(
    planned: list[PlannedCeremony],
    authority: str,
    decision_date: date,
    window_days: int,
    capacity: int,
    *,
    earliest_day: date,
    group_size: int = 1,
) -> PlannedCeremony | None:
    """Rules 1 and 2 of the module docstring: the decision's own ceremony with room (most of
    its products first), else the earliest in the window with room for `group_size` products;
    None means: plan a new ceremony."""
    own = [c for c in planned
           if c.authority == authority and c.decision_products > 0
           and c.ceremony_date >= earliest_day and c.has_room(capacity)]
    if own:
        return min(own, key=lambda c: (-c.decision_products, c.ceremony_date, str(c.id)))
    roomy = [c for c in planned if c.has_room(capacity, group_size)]
    return choose_ceremony(roomy, authority, decision_date, window_days, capacity,
                           earliest_day=earliest_day)


def new_ceremony_day(
    earliest_day: date, taken: Container[date], holidays_calendar: Container[date]
) -> date:
    """The first working day from `earliest_day` on that is not in `taken` (the days the
    authority already holds a planned ceremony)."""
    day = earliest_day
    while not is_working_day(day, holidays_calendar) or day in taken:
        day += timedelta(days=1)
    return day


def check_ceremony_day(day: date, today: date, holidays_calendar: Container[date]) -> str | None:
    """Why `day` cannot be a ceremony's (new) date, or None when it can."""
    if day < today:
        return f"{day} is in the past"
    if day.weekday() >= 5:
        return f"{day} is a {'Saturday' if day.weekday() == 5 else 'Sunday'}"
    if day in holidays_calendar:
        return f"{day} is a public holiday"
    return None
