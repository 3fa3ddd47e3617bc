"""Stars from points, mandatory criteria, what a result leads to at its level (domain.md §4 and
the rulebook table of §1), and the rulebook catalog. Rulebooks and sheet from domain_fixtures."""

from __future__ import annotations

import math

import pytest
from ocop_evaluation.domain.outcomes import (
    InvalidScore,
    LevelOutcome,
    cap_by_mandatory,
    check_score,
    level_outcome,
    stars_for,
    unmet_mandatory,
)
from ocop_evaluation.domain.rulebooks import RulebookCatalog, StarBand

from services.evaluation.tests.domain_fixtures import (
    BANDS,
    CERTIFICATE,
    QUALITY,
    RAW_MATERIAL,
    RULEBOOK_148,
    RULEBOOK_1048,
    RULEBOOK_1489,
    SHEET,
    loaded,
)

# --- stars from points ----------------------------------------------------------------------


@pytest.mark.parametrize(("score", "stars"), [
    (0, 1), (29.99, 1), (30, 2), (49, 2), (49.99, 2), (50, 3), (69, 3), (69.99, 3),
    (70, 4), (89, 4), (89.99, 4), (90, 5), (100, 5),
], ids=lambda v: str(v))
def test_stars_for(score, stars) -> None:
    assert stars_for(score, BANDS) == stars


def test_stars_for_does_not_depend_on_band_order() -> None:
    assert stars_for(70, tuple(reversed(BANDS))) == 4


def test_bands_must_start_at_zero() -> None:
    with pytest.raises(ValueError, match="lowest must start at 0"):
        stars_for(10, (StarBand(min_score=50, stars=3), StarBand(min_score=30, stars=2)))


@pytest.mark.parametrize("score", [
    pytest.param(-1, id="negative"),
    pytest.param(-0.01, id="just-below-0"),
    pytest.param(100.01, id="above-100"),
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="inf"),
    pytest.param(True, id="bool"),
    pytest.param("90", id="string"),
    pytest.param(None, id="none"),
])
def test_invalid_scores(score) -> None:
    with pytest.raises(InvalidScore):
        check_score(score)
    with pytest.raises(InvalidScore):
        stars_for(score, BANDS)
    with pytest.raises(InvalidScore):
        level_outcome(RULEBOOK_1489, "province", score)


@pytest.mark.parametrize(("score", "value"), [(0, 0.0), (100, 100.0), (72.5, 72.5)])
def test_check_score_returns_a_float(score, value) -> None:
    assert check_score(score) == value
    assert isinstance(check_score(score), float)


# --- level_outcome: 1489-like at the province ----------------------------------------------


def _summary(outcome: LevelOutcome) -> tuple:
    return (outcome.stars, outcome.recognised_stars, outcome.forwarded_to,
            outcome.potential_five_stars)


@pytest.mark.parametrize(("score", "stars", "recognised", "forwarded", "potential"), [
    pytest.param(29.99, 1, None, None, False, id="29.99"),
    pytest.param(49.99, 2, None, None, False, id="49.99"),
    pytest.param(50, 3, 3, None, False, id="50"),
    pytest.param(69.99, 3, 3, None, False, id="69.99"),
    pytest.param(70, 4, 4, None, False, id="70"),
    pytest.param(89.99, 4, 4, None, False, id="89.99"),
    pytest.param(90, 4, 4, "central", True, id="90"),
    pytest.param(100, 4, 4, "central", True, id="100"),
])
def test_1489_province(score, stars, recognised, forwarded, potential) -> None:
    outcome = level_outcome(RULEBOOK_1489, "province", score)
    assert _summary(outcome) == (stars, recognised, forwarded, potential)
    assert outcome.certified is (recognised is not None)
    assert outcome.score == score


def test_1489_province_at_90_keeps_its_points_band() -> None:
    outcome = level_outcome(RULEBOOK_1489, "province", 90)
    assert outcome.stars_by_points == 5
    assert outcome.stars == 4  # only the Ministry grants 5


def test_1489_has_no_district_level() -> None:
    with pytest.raises(KeyError, match="no district level"):
        level_outcome(RULEBOOK_1489, "district", 70)


# --- level_outcome: 148-like at the district, province and central --------------------------


@pytest.mark.parametrize(("level", "score", "stars", "recognised", "forwarded", "potential"), [
    pytest.param("district", 49.99, 2, None, None, False, id="district-49.99"),
    pytest.param("district", 50, 3, 3, None, False, id="district-50"),
    pytest.param("district", 69.99, 3, 3, None, False, id="district-69.99"),
    pytest.param("district", 70, 4, None, "province", False, id="district-70-forwarded"),
    pytest.param("district", 95, 4, None, "province", False, id="district-95-forwarded"),
    pytest.param("province", 70, 4, 4, None, False, id="province-70"),
    pytest.param("province", 90, 4, 4, "central", True, id="province-90"),
    pytest.param("central", 90, 5, 5, None, False, id="central-90"),
    pytest.param("central", 100, 5, 5, None, False, id="central-100"),
    pytest.param("central", 89, 4, None, None, False, id="central-89-keeps-stars"),
    pytest.param("central", 60, 3, None, None, False, id="central-60"),
])
def test_148_levels(level, score, stars, recognised, forwarded, potential) -> None:
    outcome = level_outcome(RULEBOOK_148, level, score)
    assert _summary(outcome) == (stars, recognised, forwarded, potential)


# --- mandatory criteria ---------------------------------------------------------------------

ALL_MET = {RAW_MATERIAL: 5.0, CERTIFICATE: 5.0}
MISSED_4 = {RAW_MATERIAL: 5.0, CERTIFICATE: 0.0}  # no valid food-safety certificate
MISSED_3 = {RAW_MATERIAL: 0.0, CERTIFICATE: 5.0}  # raw material not local


@pytest.mark.parametrize(("points", "unmet"), [
    pytest.param(ALL_MET, {}, id="all-met"),
    pytest.param({RAW_MATERIAL: 3.0, CERTIFICATE: 5.0}, {}, id="exactly-the-minimum"),
    pytest.param(MISSED_4, {4: (CERTIFICATE,)}, id="missed-4"),
    pytest.param(MISSED_3, {3: (RAW_MATERIAL,)}, id="missed-3"),
    pytest.param({RAW_MATERIAL: 2.99, CERTIFICATE: 4.99}, {3: (RAW_MATERIAL,), 4: (CERTIFICATE,)},
                 id="average-just-short"),
    pytest.param({QUALITY: 30.0}, {3: (RAW_MATERIAL,), 4: (CERTIFICATE,)},
                 id="unanswered-counts-as-0"),
])
def test_unmet_mandatory(points, unmet) -> None:
    assert unmet_mandatory(SHEET, points) == unmet


@pytest.mark.parametrize(("stars", "unmet", "capped"), [
    pytest.param(5, {}, 5, id="nothing-unmet"),
    pytest.param(5, {4: (7,)}, 3, id="missed-4-caps-5-at-3"),
    pytest.param(4, {4: (7,)}, 3, id="missed-4-caps-4-at-3"),
    pytest.param(3, {4: (7,)}, 3, id="missed-4-leaves-3"),
    pytest.param(5, {5: (9,)}, 4, id="missed-5-caps-at-4"),
    pytest.param(5, {3: (1,)}, 2, id="missed-3-caps-at-2"),
    pytest.param(5, {4: (7,), 5: (9,)}, 3, id="lowest-missed-wins"),
    pytest.param(5, {3: (1,), 4: (7,)}, 2, id="missed-3-and-4"),
    pytest.param(5, {5: (9,), 3: (1,)}, 2, id="missed-3-and-5-order-free"),
    pytest.param(2, {3: (1,)}, 2, id="below-the-missed-star"),
    pytest.param(4, {1: (1,)}, 0, id="missed-1-caps-at-0"),
])
def test_cap_by_mandatory_is_cumulative(stars, unmet, capped) -> None:
    assert cap_by_mandatory(stars, unmet) == capped


@pytest.mark.parametrize(("book", "level", "score", "points", "expected"), [
    pytest.param(RULEBOOK_1489, "province", 80, MISSED_4, (3, 3, None, False),
                 id="1489-province-80-missed-4"),
    pytest.param(RULEBOOK_1489, "province", 80, ALL_MET, (4, 4, None, False),
                 id="1489-province-80-all-met"),
    pytest.param(RULEBOOK_148, "district", 80, MISSED_4, (3, 3, None, False),
                 id="148-district-80-missed-4-not-forwarded"),
    pytest.param(RULEBOOK_148, "district", 80, ALL_MET, (4, None, "province", False),
                 id="148-district-80-all-met-forwarded"),
    pytest.param(RULEBOOK_1489, "province", 95, MISSED_4, (3, 3, None, False),
                 id="1489-province-95-missed-4-not-forwarded"),
    pytest.param(RULEBOOK_1489, "province", 95, MISSED_3, (2, None, None, False),
                 id="1489-province-95-missed-3"),
    pytest.param(RULEBOOK_148, "district", 95, MISSED_3, (2, None, None, False),
                 id="148-district-95-missed-3"),
    pytest.param(RULEBOOK_148, "central", 95, MISSED_4, (3, None, None, False),
                 id="148-central-95-missed-4"),
    pytest.param(RULEBOOK_1489, "province", 60, MISSED_4, (3, 3, None, False),
                 id="1489-province-60-missed-4-irrelevant"),
])
def test_mandatory_criteria_cap_the_outcome(book, level, score, points, expected) -> None:
    outcome = level_outcome(book, level, score, sheet=SHEET, points=points)
    assert _summary(outcome) == expected


def test_capped_by_names_the_missed_criteria() -> None:
    outcome = level_outcome(RULEBOOK_1489, "province", 80, sheet=SHEET, points=MISSED_4)
    assert outcome.stars_by_points == 4
    assert outcome.capped_by == {4: (CERTIFICATE,)}


def test_capped_by_ignores_stars_above_the_points_band() -> None:
    outcome = level_outcome(RULEBOOK_1489, "province", 60, sheet=SHEET, points=MISSED_4)
    assert outcome.capped_by == {}


def test_without_sheet_no_mandatory_check() -> None:
    outcome = level_outcome(RULEBOOK_1489, "province", 80, points=MISSED_4)
    assert outcome.stars == 4


# --- knock-outs -----------------------------------------------------------------------------


@pytest.mark.parametrize(("book", "level", "score"), [
    pytest.param(RULEBOOK_1489, "province", 95, id="1489-province-95"),
    pytest.param(RULEBOOK_1489, "province", 60, id="1489-province-60"),
    pytest.param(RULEBOOK_148, "district", 75, id="148-district-75"),
    pytest.param(RULEBOOK_148, "central", 95, id="148-central-95"),
])
def test_knocked_out_leaves_nothing(book, level, score) -> None:
    outcome = level_outcome(book, level, score, sheet=SHEET, points=ALL_MET,
                            knocked_out=[RAW_MATERIAL])
    assert _summary(outcome) == (0, None, None, False)
    assert outcome.knocked_out == (RAW_MATERIAL,)
    assert outcome.certified is False


# --- the rulebook catalog -------------------------------------------------------------------

LOADED = {b.id: loaded(b) for b in (RULEBOOK_148, RULEBOOK_1489, RULEBOOK_1048)}


def test_catalog_picks_the_province_rulebook() -> None:
    catalog = RulebookCatalog(LOADED, default="1489/2025", by_province={"01": "148/2023"})
    assert catalog.for_province("01").rulebook.id == "148/2023"
    assert catalog.for_province("79").rulebook.id == "1489/2025"
    assert catalog.get("1048/2019").rulebook.historical  # old records can still be read


@pytest.mark.parametrize(("default", "by_province", "message"), [
    pytest.param("1489/2025", {"01": "999/2030"}, "'999/2030' (01) is not loaded",
                 id="unknown-for-province"),
    pytest.param("999/2030", {}, "'999/2030' (default) is not loaded", id="unknown-default"),
    pytest.param("1048/2019", {}, "'1048/2019' (default) is historical", id="historical-default"),
    pytest.param("1489/2025", {"01": "1048/2019"}, "'1048/2019' (01) is historical",
                 id="historical-for-province"),
])
def test_catalog_refuses(default, by_province, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RulebookCatalog(LOADED, default=default, by_province=by_province)
