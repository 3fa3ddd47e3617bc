"""Announcement ceremony (lễ công bố) rules (pure: no I/O).

Each recognition decision is announced at a ceremony held by the recognising authority.
Products recognised close together share one ceremony: a newly recognised product joins the
earliest planned ceremony of its authority that still has room and falls in its window;
otherwise a new ceremony is planned on the first working day at least `lead_days` after the
decision. Ceremonies are never held on a Saturday, a Sunday or a Vietnamese public holiday.
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

    def has_room(ceremony: PlannedCeremony) -> bool:
        limit = capacity if ceremony.capacity is None else ceremony.capacity
        return ceremony.product_count < limit

    candidates = [
        c for c in planned
        if c.authority == authority
        and earliest_day <= c.ceremony_date <= latest_day
        and has_room(c)
    ]
    return min(candidates, key=lambda c: (c.ceremony_date, str(c.id)), default=None)
