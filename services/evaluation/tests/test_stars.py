"""Stars from points and the provincial outcome (domain.md §4), without I/O."""

from __future__ import annotations

import math

import pytest

from ocop_evaluation.domain.stars import (
    DEFAULT_BANDS,
    DEFAULT_RULEBOOK,
    InvalidScore,
    Outcome,
    StarBand,
    certificate_for,
    check_score,
    provincial_outcome,
    stars_for,
)


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        (0, 1),
        (29.99, 1),
        (30, 2),
        (49.99, 2),
        (50, 3),
        (69.99, 3),
        (70, 4),
        (89.99, 4),
        (90, 5),
        (100, 5),
    ],
)
def test_stars_at_every_band_edge(score: float, stars: int) -> None:
    assert stars_for(score, DEFAULT_BANDS) == stars


def test_stars_default_to_the_bands_of_domain_md() -> None:
    assert stars_for(75) == 4


@pytest.mark.parametrize("score", [-0.01, -5, 100.01, 150, math.nan, math.inf, -math.inf])
def test_scores_outside_0_to_100_are_refused(score: float) -> None:
    with pytest.raises(InvalidScore, match="between 0 and 100"):
        stars_for(score)
    with pytest.raises(InvalidScore):
        provincial_outcome(score)


def test_a_boolean_is_not_a_score() -> None:
    with pytest.raises(InvalidScore):
        check_score(True)


def test_invalid_score_is_a_value_error() -> None:
    assert issubclass(InvalidScore, ValueError)


def test_bands_are_data_another_rulebook_may_bring_its_own() -> None:
    stricter = (StarBand(95, 5), StarBand(80, 4), StarBand(60, 3), StarBand(0, 1))
    assert stars_for(90, stricter) == 4
    assert stars_for(59.99, stricter) == 1
    assert stars_for(95, stricter) == 5


def test_band_order_does_not_matter() -> None:
    assert stars_for(72, tuple(reversed(DEFAULT_BANDS))) == 4


def test_bands_that_do_not_start_at_zero_are_an_error() -> None:
    with pytest.raises(ValueError, match="lowest must start at 0"):
        stars_for(10, (StarBand(50, 3),))


@pytest.mark.parametrize(("stars", "certificate"), [(1, False), (2, False), (3, True),
                                                    (4, True), (5, True)])
def test_only_three_stars_and_up_receive_a_certificate(stars: int, certificate: bool) -> None:
    assert certificate_for(stars) is certificate


def test_default_rulebook_is_1489() -> None:
    assert DEFAULT_RULEBOOK == "1489/QĐ-TTg"


@pytest.mark.parametrize("score", [0, 29.99, 30, 49.99])
def test_province_does_not_recognise_below_50_points(score: float) -> None:
    outcome = provincial_outcome(score)
    assert outcome.stars in (1, 2)
    assert not outcome.recognised
    assert not outcome.referred_to_ministry
    assert not outcome.potential_five_stars


@pytest.mark.parametrize("score", [50, 69.99])
def test_province_recognises_three_stars(score: float) -> None:
    assert provincial_outcome(score) == Outcome(
        score=score, stars=3, recognised=True, referred_to_ministry=False,
        potential_five_stars=False,
    )


@pytest.mark.parametrize("score", [70, 89.99])
def test_province_recognises_four_stars(score: float) -> None:
    assert provincial_outcome(score) == Outcome(
        score=score, stars=4, recognised=True, referred_to_ministry=False,
        potential_five_stars=False,
    )


@pytest.mark.parametrize("score", [90, 95.5, 100])
def test_ninety_points_are_four_stars_potential_five_and_referred(score: float) -> None:
    assert provincial_outcome(score) == Outcome(
        score=score, stars=4, recognised=True, referred_to_ministry=True,
        potential_five_stars=True,
    )


def test_the_province_never_grants_five_stars() -> None:
    assert max(provincial_outcome(s / 4).stars for s in range(0, 401)) == 4
