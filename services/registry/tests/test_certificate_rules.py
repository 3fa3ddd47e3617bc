"""Certificate rules without I/O: validity, the reminder schedule, downgrade."""

from datetime import date

import pytest
from ocop_registry.domain.certificates import (
    NotActive,
    Reminder,
    check_active,
    check_downgrade,
    days_left,
    reminder_outdated,
    reminder_schedule,
    valid_until,
)


def test_valid_36_months_from_the_decision() -> None:
    assert valid_until(date(2026, 11, 28)) == date(2029, 11, 28)
    assert valid_until(date(2024, 2, 29)) == date(2027, 2, 28)
    assert valid_until(date(2026, 1, 31), 1) == date(2026, 2, 28)
    with pytest.raises(ValueError):
        valid_until(date(2026, 1, 1), 0)


def test_reminders_at_each_lead_time_then_on_expiry() -> None:
    until = date(2029, 11, 28)
    assert reminder_schedule(until) == [
        Reminder("expiring_90", date(2029, 8, 30)),
        Reminder("expiring_30", date(2029, 10, 29)),
        Reminder("expired", until),
    ]
    assert [r.kind for r in reminder_schedule(until, (30, 90, 30, 0))] == [
        "expiring_90", "expiring_30", "expired"]


def test_outdated_reminders_and_days_left() -> None:
    until = date(2029, 11, 28)
    assert not reminder_outdated("expiring_90", until, date(2029, 9, 1), later_one_due=False)
    assert reminder_outdated("expiring_90", until, date(2029, 11, 1), later_one_due=True)
    assert reminder_outdated("expiring_30", until, until, later_one_due=False)
    assert not reminder_outdated("expired", until, date(2030, 1, 1), later_one_due=False)
    assert days_left(until, date(2029, 10, 29)) == 30 and days_left(until, date(2030, 1, 1)) == 0


def test_downgrade_lowers_to_three_at_least_and_only_active_changes() -> None:
    check_downgrade(5, 3)
    for current, new in ((4, 4), (3, 4), (4, 2)):
        with pytest.raises(ValueError):
            check_downgrade(current, new)
    check_active("active")
    for status in ("revoked", "expired", "superseded"):
        with pytest.raises(NotActive):
            check_active(status)
