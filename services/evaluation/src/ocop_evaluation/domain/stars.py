"""Stars from points and what a provincial result means (pure: no I/O).

The bands of domain.md §4 are data (`StarBand`), so a later rulebook can bring its own:

    90-100 -> 5 (only the Ministry grants it; at province level: 4 stars, "potential 5 stars")
    70-89  -> 4
    50-69  -> 3
    30-49  -> 2 (no certificate)
    < 30   -> 1 (no certificate)

A band holds every score from its minimum up to the next band's minimum, so 89.99 is 4 stars
and 90 is 5. Full rulebooks (148/QĐ-TTg and 1489/QĐ-TTg side by side, scoring sheets,
mandatory criteria per star) come in a later issue; until then every evaluation runs under
`DEFAULT_RULEBOOK`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_RULEBOOK = "1489/QĐ-TTg"
"""The rulebook evaluations run under until rulebooks are configurable: two levels, province
and central; UBND tỉnh recognises 3 and 4 stars; 90+ points go to the Ministry."""

MIN_SCORE = 0.0
MAX_SCORE = 100.0

CERTIFICATE_MIN_STARS = 3
"""Only 3, 4 and 5 stars receive a certificate (giấy chứng nhận)."""

PROVINCIAL_MAX_STARS = 4
"""The highest rating a province can grant; 5 stars is the Ministry's."""


class InvalidScore(ValueError):
    """A score outside 0-100 (or not a number at all)."""

    def __init__(self, score: float) -> None:
        super().__init__(f"a score must be between {MIN_SCORE:g} and {MAX_SCORE:g}, got {score}")
        self.score = score


@dataclass(frozen=True)
class StarBand:
    """Scores from `min_score` (inclusive) up to the next higher band earn `stars`."""

    min_score: float
    stars: int


DEFAULT_BANDS: tuple[StarBand, ...] = (
    StarBand(90, 5),
    StarBand(70, 4),
    StarBand(50, 3),
    StarBand(30, 2),
    StarBand(0, 1),
)
"""The bands of 1048, 148 and 1489 alike (domain.md §4)."""


def check_score(score: float) -> float:
    """The score itself, or InvalidScore when it is not a number in [0, 100]."""
    if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
        raise InvalidScore(score)
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise InvalidScore(score)
    return float(score)


def stars_for(score: float, bands: Sequence[StarBand] = DEFAULT_BANDS) -> int:
    """The stars a council's final score earns by points alone (1 to 5)."""
    check_score(score)
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if score >= band.min_score:
            return band.stars
    raise ValueError(f"the bands do not cover a score of {score}: the lowest must start at 0")


def certificate_for(stars: int) -> bool:
    """Whether a product rated `stars` receives a certificate (3 stars and up)."""
    return stars >= CERTIFICATE_MIN_STARS


@dataclass(frozen=True)
class Outcome:
    """What a provincial council's final score leads to.

    - `stars`: what the province grants, at most 4;
    - `recognised`: UBND tỉnh issues a recognition decision (3 or 4 stars, with a certificate);
    - `referred_to_ministry`: the points reach the 5-star band, so the dossier and samples go
      to the central council;
    - `potential_five_stars`: the same fact as the product's label: recognised 4 stars while
      the Ministry decides on 5.
    """

    score: float
    stars: int
    recognised: bool
    referred_to_ministry: bool
    potential_five_stars: bool


def provincial_outcome(score: float, bands: Sequence[StarBand] = DEFAULT_BANDS) -> Outcome:
    """The provincial result of `score` under rulebook 1489 (also 148 at province level)."""
    by_points = stars_for(score, bands)
    five_star_band = by_points > PROVINCIAL_MAX_STARS
    stars = min(by_points, PROVINCIAL_MAX_STARS)
    return Outcome(
        score=float(score),
        stars=stars,
        recognised=certificate_for(stars),
        referred_to_ministry=five_star_band,
        potential_five_stars=five_star_band,
    )
