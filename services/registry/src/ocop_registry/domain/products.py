"""Product rules (pure: no I/O): the lifecycle, what may change when, and the standards a
product holds.

draft -> submitted -> evaluated -> certified (stars) ; a certified product can be submitted
again for re-evaluation or upgrade; expiry and revocation come with the certificate register.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum


class ProductStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_EVALUATION = "under_evaluation"
    EVALUATED = "evaluated"
    NOT_RECOGNISED = "not_recognised"
    CERTIFIED = "certified"
    EXPIRED = "expired"
    REVOKED = "revoked"


class IllegalTransition(Exception):
    def __init__(self, current: ProductStatus, target: ProductStatus) -> None:
        super().__init__(f"a product that is {current.value} cannot become {target.value}")
        self.current, self.target = current, target


_ALLOWED: dict[ProductStatus, set[ProductStatus]] = {
    ProductStatus.DRAFT: {ProductStatus.SUBMITTED},
    # evaluation's later events may overtake EvaluationOpened (retries reorder), so a
    # submitted product may also move straight on
    ProductStatus.SUBMITTED: {
        ProductStatus.UNDER_EVALUATION, ProductStatus.EVALUATED, ProductStatus.NOT_RECOGNISED,
        ProductStatus.CERTIFIED,
    },
    ProductStatus.UNDER_EVALUATION: {
        ProductStatus.EVALUATED, ProductStatus.NOT_RECOGNISED, ProductStatus.CERTIFIED,
    },
    ProductStatus.EVALUATED: {ProductStatus.CERTIFIED, ProductStatus.NOT_RECOGNISED},
    ProductStatus.NOT_RECOGNISED: {ProductStatus.SUBMITTED, ProductStatus.CERTIFIED},
    ProductStatus.CERTIFIED: {
        ProductStatus.SUBMITTED, ProductStatus.CERTIFIED, ProductStatus.EXPIRED,
        ProductStatus.REVOKED,
    },
    ProductStatus.EXPIRED: {ProductStatus.SUBMITTED},
    ProductStatus.REVOKED: {ProductStatus.SUBMITTED},
}


def can_become(current: ProductStatus, target: ProductStatus) -> bool:
    return target in _ALLOWED[current]


def transition(current: ProductStatus, target: ProductStatus) -> ProductStatus:
    """The new status, or IllegalTransition naming both states."""
    if not can_become(current, target):
        raise IllegalTransition(current, target)
    return target


def submission_reason(current: ProductStatus) -> str:
    """Why a product is submitted from `current`: first evaluation, renewal of a certificate
    that expired or was revoked, or upgrade of a certified product (evaluation records it)."""
    if current is ProductStatus.CERTIFIED:
        return "upgrade"
    if current in (ProductStatus.EXPIRED, ProductStatus.REVOKED):
        return "renewal"
    return "first"


def status_after_opening(current: ProductStatus) -> ProductStatus:
    """Evaluation opened the submission in a council's round: a submitted product is now under
    evaluation; a product already further on (a late event) stays where it is."""
    if current is ProductStatus.SUBMITTED:
        return ProductStatus.UNDER_EVALUATION
    return current


def status_after_evaluation(current: ProductStatus, stars: int) -> ProductStatus:
    """A completed evaluation: 3+ stars wait for the recognition decision; fewer end it.
    A decision that already arrived (events can be reordered by retries) is kept."""
    if current is ProductStatus.CERTIFIED:
        return current
    target = ProductStatus.EVALUATED if stars >= 3 else ProductStatus.NOT_RECOGNISED
    return transition(current, target)


UNDER_EVALUATION = frozenset(
    {ProductStatus.SUBMITTED, ProductStatus.UNDER_EVALUATION, ProductStatus.EVALUATED}
)
"""Submitted and not yet decided: the council scores what was submitted, so nothing changes."""

RECOGNISED_AS = frozenset({"name", "product_set"})
"""What a certificate names: they cannot change while the product is certified."""


class NotEditable(Exception):
    """The product's status forbids the change; the message says why."""


def check_editable(status: ProductStatus, fields: Iterable[str]) -> None:
    """NotEditable unless `fields` (e.g. {"name", "description"} or {"standards"}) may change
    now: anything while draft, not recognised, expired or revoked; nothing under evaluation;
    a certified product's description and standards, not its name or product set."""
    fields = set(fields)
    if status in UNDER_EVALUATION:
        raise NotEditable(f"a product under evaluation ({status.value}) cannot change its "
                          f"{' or '.join(sorted(fields))} until the evaluation ends")
    if status is ProductStatus.CERTIFIED and fields & RECOGNISED_AS:
        raise NotEditable(f"a certified product keeps the {' and '.join(sorted(RECOGNISED_AS))} "
                          f"its certificate names; register the changed product as a new one")


class Standard(StrEnum):
    """A quality or production standard a product is certified to (domain.md section 6)."""

    iso_22000 = "iso_22000"
    haccp = "haccp"
    gmp = "gmp"
    vietgap = "vietgap"
    globalgap = "globalgap"
    organic = "organic"
    iso_9001 = "iso_9001"
    other = "other"  # named in the entry


def check_validity(valid_from: date, valid_until: date) -> None:
    """ValueError unless a certificate's validity ends after it starts."""
    if valid_until <= valid_from:
        raise ValueError(f"valid_until ({valid_until}) must be after valid_from ({valid_from})")


def check_distinct(certificates: Iterable[tuple[str, str]]) -> None:
    """ValueError naming a (standard, certificate number) listed more than once."""
    seen: set[tuple[str, str]] = set()
    for standard, number in certificates:
        if (standard, number) in seen:
            raise ValueError(f"{standard} certificate {number} is listed twice")
        seen.add((standard, number))
