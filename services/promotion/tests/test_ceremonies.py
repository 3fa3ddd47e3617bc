"""Unit tests of the ceremony rules (pure domain, no I/O)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from ocop_promotion.domain.ceremonies import (
    PlannedCeremony,
    check_ceremony_day,
    choose_ceremony,
    choose_for_decision,
    first_ceremony_day,
    is_working_day,
    new_ceremony_day,
    vietnam_holidays,
)

NO_HOLIDAYS: frozenset[date] = frozenset()
FRIDAY = date(2026, 3, 6)
MONDAY = date(2026, 3, 9)


# --------------------------------------------------------------------- first_ceremony_day


def test_friday_decision_with_no_lead_is_held_that_friday() -> None:
    assert FRIDAY.weekday() == 4
    assert first_ceremony_day(FRIDAY, 0, NO_HOLIDAYS) == FRIDAY


def test_friday_decision_with_one_day_lead_skips_the_weekend() -> None:
    assert first_ceremony_day(FRIDAY, 1, NO_HOLIDAYS) == MONDAY
    assert first_ceremony_day(FRIDAY, 2, NO_HOLIDAYS) == MONDAY


@pytest.mark.parametrize("lead", range(0, 30))
def test_result_is_a_working_day_at_least_lead_days_after(lead: int) -> None:
    calendar = vietnam_holidays(2026, 2027)
    day = first_ceremony_day(FRIDAY, lead, calendar)
    assert day >= FRIDAY + timedelta(days=lead)
    assert is_working_day(day, calendar)
    # ... and the first such day: every day in between is a weekend day or a holiday.
    gap = (day - (FRIDAY + timedelta(days=lead))).days
    for offset in range(gap):
        assert not is_working_day(FRIDAY + timedelta(days=lead + offset), calendar)


def test_lead_of_fourteen_days_from_a_wednesday() -> None:
    assert first_ceremony_day(date(2026, 3, 4), 14, NO_HOLIDAYS) == date(2026, 3, 18)


def test_tet_2027_is_skipped() -> None:
    calendar = vietnam_holidays(2027)
    tet = sorted(d for d, name in calendar.items() if "Lunar New Year" in name)
    assert len(tet) >= 3, tet  # the package knows Tết 2027
    decision = tet[0] - timedelta(days=2)
    day = first_ceremony_day(decision, 3, calendar)
    assert day > tet[-1]
    assert is_working_day(day, calendar)
    expected = tet[-1] + timedelta(days=1)
    while not is_working_day(expected, calendar):
        expected += timedelta(days=1)
    assert day == expected


def test_default_calendar_is_vietnams() -> None:
    national_day = date(2026, 9, 2)  # a Wednesday
    assert first_ceremony_day(national_day, 0) != national_day
    assert first_ceremony_day(national_day, 0, NO_HOLIDAYS) == national_day


def test_negative_lead_is_refused() -> None:
    with pytest.raises(ValueError, match="lead_days"):
        first_ceremony_day(FRIDAY, -1, NO_HOLIDAYS)


# ------------------------------------------------------------------------- choose_ceremony

AUTHORITY = "UBND tỉnh 01"
DECISION = date(2026, 3, 2)
EARLIEST = date(2026, 3, 16)


def planned(
    day: date, *, authority: str = AUTHORITY, count: int = 0, capacity: int | None = None
) -> PlannedCeremony:
    return PlannedCeremony(id=uuid.uuid4(), authority=authority, ceremony_date=day,
                           product_count=count, capacity=capacity)


def choose(ceremonies: list[PlannedCeremony], *, window: int = 30,
           capacity: int = 30) -> PlannedCeremony | None:
    return choose_ceremony(ceremonies, AUTHORITY, DECISION, window, capacity,
                           earliest_day=EARLIEST)


def test_nothing_planned_means_a_new_ceremony() -> None:
    assert choose([]) is None


def test_earliest_suitable_ceremony_wins() -> None:
    early, late = planned(date(2026, 3, 18)), planned(date(2026, 3, 25))
    assert choose([late, early]) == early


def test_other_authorities_ceremonies_are_not_joined() -> None:
    other = planned(date(2026, 3, 18), authority="UBND tỉnh 79")
    own = planned(date(2026, 3, 25))
    assert choose([other]) is None
    assert choose([other, own]) == own


def test_full_ceremonies_are_not_joined() -> None:
    full = planned(date(2026, 3, 18), count=30)
    assert choose([full]) is None
    assert choose([planned(date(2026, 3, 18), count=29)]) is not None


def test_a_ceremonys_own_capacity_overrides_the_default() -> None:
    small = planned(date(2026, 3, 18), count=5, capacity=5)
    large = planned(date(2026, 3, 25), count=40, capacity=50)
    assert choose([small, large], capacity=30) == large


def test_ceremonies_before_the_earliest_day_are_not_joined() -> None:
    too_soon = planned(EARLIEST - timedelta(days=1))
    assert choose([too_soon]) is None
    assert choose([planned(EARLIEST)]) is not None


def test_ceremonies_beyond_the_window_are_not_joined() -> None:
    last = planned(DECISION + timedelta(days=30))
    beyond = planned(DECISION + timedelta(days=31))
    assert choose([beyond]) is None
    assert choose([beyond, last]) == last
    assert choose([last], window=20) is None


# -------------------------------------------------------- keeping a decision together


def decide(ceremonies: list[PlannedCeremony], *, capacity: int = 10,
           group: int = 1) -> PlannedCeremony | None:
    return choose_for_decision(ceremonies, AUTHORITY, DECISION, 30, capacity,
                               earliest_day=EARLIEST, group_size=group)


def test_a_decision_rejoins_its_own_ceremony_before_an_earlier_one() -> None:
    earlier = planned(date(2026, 3, 17), count=2)
    own = PlannedCeremony(id=uuid.uuid4(), authority=AUTHORITY,
                          ceremony_date=date(2026, 3, 20), product_count=5, decision_products=5)
    assert decide([earlier, own]) == own


def test_the_ceremony_holding_most_of_the_decision_wins() -> None:
    few = PlannedCeremony(id=uuid.uuid4(), authority=AUTHORITY, ceremony_date=date(2026, 3, 17),
                          product_count=5, decision_products=1)
    most = PlannedCeremony(id=uuid.uuid4(), authority=AUTHORITY,
                           ceremony_date=date(2026, 3, 24), product_count=5, decision_products=4)
    assert decide([few, most]) == most


def test_a_full_own_ceremony_sends_the_overflow_to_the_earliest_with_room() -> None:
    full = PlannedCeremony(id=uuid.uuid4(), authority=AUTHORITY, ceremony_date=date(2026, 3, 17),
                           product_count=10, decision_products=10)
    later = planned(date(2026, 3, 24), count=3)
    assert decide([full, later]) == later
    assert decide([full]) is None


def test_a_group_needs_room_for_all_of_it_on_another_decisions_ceremony() -> None:
    almost_full = planned(date(2026, 3, 17), count=8)
    assert decide([almost_full], group=2) == almost_full
    assert decide([almost_full], group=3) is None


def test_a_new_ceremony_takes_the_first_free_working_day() -> None:
    assert new_ceremony_day(FRIDAY, set(), NO_HOLIDAYS) == FRIDAY
    assert new_ceremony_day(FRIDAY, {FRIDAY}, NO_HOLIDAYS) == MONDAY
    assert new_ceremony_day(FRIDAY, {FRIDAY, MONDAY}, {MONDAY + timedelta(days=1)}) == (
        MONDAY + timedelta(days=2))


def test_a_new_ceremony_day_must_be_a_future_working_day() -> None:
    calendar = vietnam_holidays(2026)
    assert check_ceremony_day(MONDAY, FRIDAY, calendar) is None
    assert check_ceremony_day(FRIDAY, FRIDAY, calendar) is None  # today is fine
    assert "past" in check_ceremony_day(FRIDAY, MONDAY, calendar)
    assert "Saturday" in check_ceremony_day(FRIDAY + timedelta(days=1), FRIDAY, calendar)
    assert "holiday" in check_ceremony_day(date(2026, 9, 2), FRIDAY, calendar)
