"""Supply-demand connection (kết nối cung - cầu) rules (pure: no I/O).

Buyers (distributors, retailers, tourist sites, gift buyers) say what they look for; a
certified product matches a buyer's interests when

- its category is wanted: the buyer named neither groups nor product sets (any category), or
  the product's group (I-VI) is among the buyer's groups, or its product set among their sets;
- it has at least the buyer's minimum stars (if any);
- it comes from one of the buyer's provinces (if any).

The SQL twin of this rule (for paginated listings) is `service_layer.connections.match_filter`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ocop_shared.contracts.classification import all_groups, product_set
from ocop_shared.contracts.places import province_name
from ocop_shared.errors import InvalidInput


class BuyerKind(StrEnum):
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"
    TOURIST_SITE = "tourist_site"
    GIFT_BUYER = "gift_buyer"


class EventKind(StrEnum):
    CEREMONY = "ceremony"
    TRADE_FAIR = "trade_fair"


GIFT_SETS: frozenset[str] = frozenset({
    "tea", "honey", "confectionery", "coffee-cocoa", "condiments", "alcoholic-drinks",
    "herbal-teas", "textiles", "wood-bamboo-rattan", "ceramics", "decorative-crafts",
})
"""Product sets fit for gifts and local specialties (quà tặng, đặc sản). ILLUSTRATIVE: chosen
for this platform (keeps well, travels well, typical of a place), not an official list."""

GIFT_MIN_STARS = 3


@dataclass(frozen=True)
class Interests:
    """What a buyer looks for; an empty collection (or None) means no restriction."""

    groups: frozenset[str] = field(default_factory=frozenset)
    product_sets: frozenset[str] = field(default_factory=frozenset)
    min_stars: int | None = None
    provinces: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class OfferedProduct:
    """What matching needs to know about a certified product."""

    product_id: uuid.UUID
    product_group: str | None
    product_set: str | None
    stars: int
    province_code: str | None


def matches(interests: Interests, product: OfferedProduct) -> bool:
    """Whether `product` is something the buyer looks for (see the module's rule)."""
    any_category = not interests.groups and not interests.product_sets
    category = (any_category or product.product_group in interests.groups
                or product.product_set in interests.product_sets)
    stars = interests.min_stars is None or product.stars >= interests.min_stars
    place = not interests.provinces or product.province_code in interests.provinces
    return category and stars and place


def matching(interests: Interests, products: Iterable[OfferedProduct]) -> list[uuid.UUID]:
    """The ids of the products the buyer looks for, in the order given, without repeats."""
    seen: dict[uuid.UUID, None] = {}
    for product in products:
        if product.product_id not in seen and matches(interests, product):
            seen[product.product_id] = None
    return list(seen)


def check_province_code(code: str, field: str = "province_code") -> None:
    """InvalidInput naming `field` unless `code` is one of the 34 provinces."""
    try:
        province_name(code)
    except ValueError as exc:
        raise InvalidInput("unknown_province", str(exc), field=field) from None


def check_interests(groups: Sequence[str], product_sets: Sequence[str],
                    provinces: Sequence[str], min_stars: int | None) -> Interests:
    """The interests as given, once every group, product set and province is a known code and
    the minimum stars is 3 to 5; InvalidInput naming the entry at fault (e.g. ``groups.1``)."""
    known = {g.code for g in all_groups()}
    for i, code in enumerate(groups):
        if code not in known:
            raise InvalidInput("unknown_group", f"group {code!r} is not one of "
                               f"{', '.join(sorted(known))}", field=f"groups.{i}")
    for i, code in enumerate(product_sets):
        try:
            product_set(code)
        except KeyError as exc:
            raise InvalidInput("unknown_product_set", str(exc), field=f"product_sets.{i}") from None
    for i, code in enumerate(provinces):
        check_province_code(code, f"provinces.{i}")
    if min_stars is not None and not 3 <= min_stars <= 5:
        raise InvalidInput("bad_min_stars", "OCOP stars run from 3 to 5", field="min_stars")
    return Interests(frozenset(groups), frozenset(product_sets), min_stars, frozenset(provinces))
