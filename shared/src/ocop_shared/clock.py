"""Dates as Vietnam sees them: decisions and ceremonies are dated in Vietnam's time
(UTC+7 all year, no daylight saving)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()
