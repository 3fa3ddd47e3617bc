"""Producers (chủ thể OCOP): what kinds exist and how each proves its registration.

Pure rules, no I/O."""

from __future__ import annotations

import re
from enum import StrEnum


class ProducerKind(StrEnum):
    cooperative = "cooperative"  # hợp tác xã
    enterprise = "enterprise"  # doanh nghiệp
    household_business = "household_business"  # hộ kinh doanh
    cooperative_group = "cooperative_group"  # tổ hợp tác


class RegistrationType(StrEnum):
    """The paper that identifies a producer; numbers are unique within a type."""

    tax_code = "tax_code"  # mã số thuế / mã số doanh nghiệp, hợp tác xã
    household_business_certificate = "household_business_certificate"  # giấy CN hộ kinh doanh
    cooperative_group_contract = "cooperative_group_contract"  # hợp đồng hợp tác (tổ hợp tác)


_FORMATS: dict[RegistrationType, tuple[re.Pattern[str], str]] = {
    RegistrationType.tax_code: (
        re.compile(r"^\d{10}(-\d{3})?$"), "10 digits, or 10-3 digits for a branch"),
    RegistrationType.household_business_certificate: (
        re.compile(r"^[0-9A-Z][0-9A-Z./-]{2,29}$"),
        "3-30 upper-case letters, digits, '.', '/' or '-'"),
    RegistrationType.cooperative_group_contract: (
        re.compile(r"^\S(.{0,48}\S)?$"), "1-50 characters"),
}


def normalise_registration_number(kind: RegistrationType, number: str) -> str:
    """The number in its stored form, or ValueError saying what the format is."""
    value = number.strip().upper() if kind is not RegistrationType.cooperative_group_contract \
        else number.strip()
    pattern, described = _FORMATS[kind]
    if not pattern.match(value):
        raise ValueError(f"a {kind.value} number is {described}; got {number!r}")
    return value


_ALLOWED: dict[ProducerKind, frozenset[RegistrationType]] = {
    ProducerKind.cooperative: frozenset({RegistrationType.tax_code}),
    ProducerKind.enterprise: frozenset({RegistrationType.tax_code}),
    ProducerKind.household_business: frozenset(
        {RegistrationType.household_business_certificate, RegistrationType.tax_code}),
    ProducerKind.cooperative_group: frozenset(
        {RegistrationType.cooperative_group_contract, RegistrationType.tax_code}),
}


def check_registration_type(kind: ProducerKind, registration: RegistrationType) -> None:
    """ValueError when a kind of producer cannot be identified by that paper (an enterprise
    or cooperative always has a tax code)."""
    if registration not in _ALLOWED[kind]:
        allowed = ", ".join(sorted(r.value for r in _ALLOWED[kind]))
        raise ValueError(f"a {kind.value} is registered by {allowed}, not {registration.value}")
