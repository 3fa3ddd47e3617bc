"""Product lifecycle rules (pure: no I/O).

draft -> submitted -> evaluated -> certified (stars) ; a certified product can be submitted
again for re-evaluation or upgrade; expiry and revocation come with the certificate register.
"""

from __future__ import annotations

from enum import StrEnum


class ProductStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
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
    ProductStatus.SUBMITTED: {
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


def status_after_evaluation(current: ProductStatus, stars: int) -> ProductStatus:
    """A completed evaluation: 3+ stars wait for the recognition decision; fewer end it.
    A decision that already arrived (events can be reordered by retries) is kept."""
    if current is ProductStatus.CERTIFIED:
        return current
    target = ProductStatus.EVALUATED if stars >= 3 else ProductStatus.NOT_RECOGNISED
    return transition(current, target)
