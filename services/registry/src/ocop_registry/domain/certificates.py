"""Certificate rules (pure: no I/O): validity, the reminder schedule, revocation and
downgrade (domain.md section 7).

A certificate is valid 36 months from its decision date; the producer is reminded at lead
times before it ends (default 90 and 30 days: the rulebook asks for at least 30) and told on
the day it ends."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

CERTIFICATE_VALIDITY_MONTHS = 36
"""Default validity; the running service takes `certificate_validity_months` from
RegistrySettings (see bootstrap.build_definition)."""

REMINDER_LEAD_DAYS: tuple[int, ...] = (90, 30)
"""Default lead times of the expiry reminders (setting `certificate_reminder_days`)."""

EXPIRED = "expired"
MIN_STARS = 3


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    REVOKED = "revoked"


class NotActive(Exception):
    """Only an active certificate can be revoked, downgraded or expire."""


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(decision_date: date, months: int = CERTIFICATE_VALIDITY_MONTHS) -> date:
    if months < 1:
        raise ValueError("a certificate is valid for at least one month")
    return add_months(decision_date, months)


@dataclass(frozen=True)
class Reminder:
    kind: str  # 'expiring_90', 'expiring_30', ..., 'expired'
    due_on: date


def expiring_kind(lead_days: int) -> str:
    return f"expiring_{lead_days}"


def reminder_schedule(
    until: date, lead_days: tuple[int, ...] = REMINDER_LEAD_DAYS
) -> list[Reminder]:
    """The reminders of a certificate valid until `until`: one per distinct positive lead
    time (earliest first), then the expiry itself on `until`."""
    leads = sorted({d for d in lead_days if d > 0}, reverse=True)
    return [Reminder(expiring_kind(d), until - timedelta(days=d)) for d in leads] + [
        Reminder(EXPIRED, until)
    ]


def is_expiry(kind: str) -> bool:
    return kind == EXPIRED


def reminder_outdated(kind: str, until: date, today: date, *, later_one_due: bool) -> bool:
    """Whether a due 'expiring' reminder is no longer worth sending: a later reminder of the
    same certificate is due too (the service was down past it: the later one says more), or
    the certificate already ends. The expiry notice is always sent."""
    return not is_expiry(kind) and (later_one_due or today >= until)


def days_left(until: date, today: date) -> int:
    return max((until - today).days, 0)


def check_active(status: str) -> None:
    if CertificateStatus(status) is not CertificateStatus.ACTIVE:
        raise NotActive(f"the certificate is {status}; only an active certificate can change")


def check_downgrade(current: int, new: int) -> None:
    """ValueError unless `new` is fewer stars than `current` and still at least 3."""
    if new < MIN_STARS:
        raise ValueError(f"a certificate holds at least {MIN_STARS} stars; revoke it instead")
    if new >= current:
        raise ValueError(f"a downgrade must lower the stars (now {current}, asked {new})")


@dataclass(frozen=True)
class CertificateRules:
    """The register's settings, as the handlers and the sweep use them."""

    validity_months: int = CERTIFICATE_VALIDITY_MONTHS
    lead_days: tuple[int, ...] = REMINDER_LEAD_DAYS
    sweep_seconds: float = 60.0
