"""Stars from a council's score and what a result leads to at its level (pure: no I/O).

Stars come from the rulebook's bands (domain.md §4: 90-100 -> 5, 70-89 -> 4, 50-69 -> 3,
30-49 -> 2, < 30 -> 1; a band holds every score from its minimum up to the next band's, so 89.99
is 4 and 90 is 5), then are capped by the sheet's mandatory criteria: a product holds a star
only if it meets that star's mandatory criteria and every lower star's. A knock-out leaves no
stars at all (0).

Then the level decides: its authority recognises some stars (UBND tỉnh: 3 and 4; the Ministry:
5), and a score at or above its forwarding threshold goes up a level (district -> province at
70 under 148; province -> central at 90, recognised 4 stars meanwhile: "potential 5 stars").
Below the central level a result never exceeds 4 stars: only the Ministry grants 5.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .rulebooks import Rulebook, Sheet, StarBand

MIN_SCORE = 0.0
MAX_SCORE = 100.0
CENTRAL_ONLY_STARS = 5


class InvalidScore(ValueError):
    """A score outside 0-100 (or not a number at all)."""

    def __init__(self, score: float) -> None:
        super().__init__(f"a score must be between {MIN_SCORE:g} and {MAX_SCORE:g}, got {score}")
        self.score = score


def check_score(score: float) -> float:
    """The score itself, or InvalidScore when it is not a number in [0, 100]."""
    if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
        raise InvalidScore(score)
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise InvalidScore(score)
    return float(score)


def stars_for(score: float, bands: Sequence[StarBand]) -> int:
    """The stars a score earns by points alone (1 to 5)."""
    check_score(score)
    for band in sorted(bands, key=lambda b: b.min_score, reverse=True):
        if score >= band.min_score:
            return band.stars
    raise ValueError(f"the bands do not cover a score of {score}: the lowest must start at 0")


def unmet_mandatory(sheet: Sheet, points: Mapping[int, float]) -> dict[int, tuple[int, ...]]:
    """Star -> ids of its mandatory criteria whose (average) points fall short."""
    unmet: dict[int, tuple[int, ...]] = {}
    for star, required in sheet.mandatory.items():
        short = tuple(r.criterion for r in required
                      if points.get(r.criterion, 0.0) + 1e-9 < r.min_points)
        if short:
            unmet[star] = short
    return unmet


def cap_by_mandatory(stars: int, unmet: Mapping[int, Sequence[int]]) -> int:
    """The highest star up to `stars` whose mandatory criteria, and every lower star's, are met."""
    for star in range(1, stars + 1):
        if star in unmet:
            return star - 1
    return stars


@dataclass(frozen=True)
class LevelOutcome:
    """What a council's result means at its level.

    - `stars_by_points`: the band of the score; `stars`: after mandatory criteria and the
      4-star ceiling below central, 0 when knocked out;
    - `recognised_stars`: what this level's authority recognises (None: nothing here);
    - `forwarded_to`: the next level that evaluates the product (None: it ends here);
    - `potential_five_stars`: recognised at 4 and referred to the Ministry.
    """

    score: float
    stars_by_points: int
    stars: int
    capped_by: dict[int, tuple[int, ...]]
    knocked_out: tuple[int, ...]
    recognised_stars: int | None
    forwarded_to: str | None
    potential_five_stars: bool

    @property
    def certified(self) -> bool:
        return self.recognised_stars is not None


def level_outcome(
    rulebook: Rulebook,
    level: str,
    score: float,
    *,
    sheet: Sheet | None = None,
    points: Mapping[int, float] | None = None,
    knocked_out: Sequence[int] = (),
) -> LevelOutcome:
    """The outcome of `score` at `level` under `rulebook`, with the sheet's mandatory criteria
    checked against the council's average `points` per criterion."""
    rule = rulebook.level(level)
    by_points = stars_for(score, rulebook.star_bands)
    unmet = unmet_mandatory(sheet, points or {}) if sheet is not None else {}
    stars = cap_by_mandatory(by_points, unmet)
    if level != "central":
        stars = min(stars, CENTRAL_ONLY_STARS - 1)
    if knocked_out:
        stars = 0
    forwarded_to = None
    if (rule.forwards_from is not None and rule.forwards_to is not None and not knocked_out
            and score >= rule.forwards_from
            and cap_by_mandatory(stars_for(rule.forwards_from, rulebook.star_bands), unmet)
            == stars_for(rule.forwards_from, rulebook.star_bands)):
        forwarded_to = rule.forwards_to
    recognised: int | None = None
    if forwarded_to is None or rule.recognises_when_forwarding:
        candidate = min(stars, max(rule.recognises, default=0))
        if candidate in rule.recognises and candidate >= rulebook.certificate_min_stars:
            recognised = candidate
    return LevelOutcome(
        score=float(score),
        stars_by_points=by_points,
        stars=stars,
        capped_by={star: ids for star, ids in unmet.items() if star <= by_points},
        knocked_out=tuple(knocked_out),
        recognised_stars=recognised,
        forwarded_to=forwarded_to,
        potential_five_stars=forwarded_to == "central" and recognised is not None,
    )
