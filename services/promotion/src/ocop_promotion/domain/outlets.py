"""OCOP outlet rules (pure: no I/O).

An OCOP outlet (điểm giới thiệu và bán sản phẩm OCOP) is a showroom, a point of sale, a shop at
a tourist site or a gift and local-specialty shop. Its address is a current commune/ward of one
of the 34 provinces (the shared code list), plus street text. Only a product holding an active,
valid certificate may be listed (shown and sold as OCOP); it is delisted when the outlet removes
it or when its certificate is revoked or expires."""

from __future__ import annotations

from enum import StrEnum

from ocop_shared.contracts.places import check_commune, province_name
from ocop_shared.errors import InvalidInput


class OutletKind(StrEnum):
    SHOWROOM = "showroom"
    POINT_OF_SALE = "point_of_sale"
    TOURIST_SITE = "tourist_site"
    GIFT_SHOP = "gift_shop"


class ListingStatus(StrEnum):
    LISTED = "listed"
    DELISTED = "delisted"


REMOVED = "removed"
"""The delisting reason when the outlet itself takes a product off its shelves."""


def check_address(province_code: str, commune_code: str) -> str:
    """The commune/ward's name when both codes exist and the commune lies in the province;
    InvalidInput naming the field at fault otherwise."""
    try:
        province_name(province_code)
    except ValueError as exc:
        raise InvalidInput("unknown_province", str(exc), field="province_code") from None
    try:
        return check_commune(province_code, commune_code)
    except ValueError as exc:
        raise InvalidInput("unknown_commune", str(exc), field="commune_code") from None
