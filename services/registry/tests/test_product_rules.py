"""Pure product rules: what may change in which status, and the standards' certificates."""

from datetime import date

import pytest

from ocop_registry.domain.products import (
    NotEditable,
    ProductStatus,
    check_distinct,
    check_editable,
    check_validity,
    submission_reason,
)

EVERYTHING = {"name", "description", "product_set", "standards"}


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.NOT_RECOGNISED,
                                    ProductStatus.EXPIRED, ProductStatus.REVOKED])
def test_anything_changes_outside_evaluation_and_certification(status: ProductStatus) -> None:
    check_editable(status, EVERYTHING)


@pytest.mark.parametrize("status", [ProductStatus.SUBMITTED, ProductStatus.EVALUATED])
def test_nothing_changes_under_evaluation(status: ProductStatus) -> None:
    for field in EVERYTHING:
        with pytest.raises(NotEditable, match=f"under evaluation \\({status.value}\\)"):
            check_editable(status, {field})


def test_a_certified_product_keeps_its_name_and_set() -> None:
    check_editable(ProductStatus.CERTIFIED, {"description", "standards"})
    with pytest.raises(NotEditable, match="keeps the name and product_set"):
        check_editable(ProductStatus.CERTIFIED, {"description", "product_set"})


def test_a_certificate_ends_after_it_starts() -> None:
    check_validity(date(2025, 1, 1), date(2025, 1, 2))
    for until in (date(2025, 1, 1), date(2024, 12, 31)):
        with pytest.raises(ValueError, match="must be after valid_from"):
            check_validity(date(2025, 1, 1), until)


def test_a_certificate_is_listed_once() -> None:
    check_distinct([("haccp", "A-1"), ("iso_22000", "A-1"), ("haccp", "A-2")])
    with pytest.raises(ValueError, match="haccp certificate A-1 is listed twice"):
        check_distinct([("haccp", "A-1"), ("vietgap", "V"), ("haccp", "A-1")])


@pytest.mark.parametrize(("status", "reason"), [
    (ProductStatus.DRAFT, "first"), (ProductStatus.NOT_RECOGNISED, "first"),
    (ProductStatus.CERTIFIED, "upgrade"), (ProductStatus.EXPIRED, "renewal"),
    (ProductStatus.REVOKED, "renewal"),
])
def test_a_submission_says_why_it_comes(status: ProductStatus, reason: str) -> None:
    assert submission_reason(status) == reason
