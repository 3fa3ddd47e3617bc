"""A member's sheet and the council's score (domain.md §3 and §5): score_sheet, quorum, spread,
council_score. Built on the tiny sheet of domain_fixtures (A 40 / B 25 / C 35)."""

from __future__ import annotations

import pytest
from ocop_evaluation.domain.councils import MemberRole
from ocop_evaluation.domain.rulebooks import CouncilRules
from ocop_evaluation.domain.scoring import (
    CouncilScore,
    QuorumNotMet,
    RescoreNeeded,
    SheetRefused,
    SheetScore,
    check_quorum,
    council_score,
    quorum_needed,
    score_sheet,
    spread_problem,
)

from services.evaluation.tests.domain_fixtures import (
    CERTIFICATE,
    COUNCIL_RULES,
    IP,
    LABOUR,
    MARKETING,
    NO,
    ORGANISATION,
    PRODUCTION,
    QUALITY,
    RAW_IMPORTED,
    RAW_LOCAL,
    RAW_MATERIAL,
    RAW_PARTLY_LOCAL,
    SCORED_IDS,
    SHEET,
    YES,
    choices_for,
    council,
    graded_option,
    member,
    scored,
)

# --- score_sheet: totals and parts ----------------------------------------------------------


@pytest.mark.parametrize(("choices", "total", "parts"), [
    pytest.param(choices_for(100), 100.0, {"A": 40.0, "B": 25.0, "C": 35.0}, id="maximum"),
    pytest.param({RAW_MATERIAL: RAW_PARTLY_LOCAL, IP: NO, CERTIFICATE: NO,
                  **{c: graded_option(0) for c in (PRODUCTION, LABOUR, MARKETING, QUALITY)}},
                 3.0, {"A": 3.0, "B": 0.0, "C": 0.0}, id="only-raw-material"),
    pytest.param({RAW_MATERIAL: RAW_LOCAL, PRODUCTION: graded_option(7.5),
                  LABOUR: graded_option(12), MARKETING: graded_option(10.5), IP: YES,
                  CERTIFICATE: YES, QUALITY: graded_option(20)},
                 65.0, {"A": 24.5, "B": 15.5, "C": 25.0}, id="mixed-65"),
    pytest.param(choices_for(69.5), 69.5, {"A": 40.0, "B": 24.5, "C": 5.0}, id="half-points"),
])
def test_score_sheet_totals_and_parts(choices, total, parts) -> None:
    score = score_sheet(SHEET, choices)
    assert score.total == total
    assert score.parts == parts
    assert sum(score.parts.values()) == pytest.approx(score.total)
    assert set(score.points) == set(SCORED_IDS)
    assert score.knock_outs == ()


def test_score_sheet_points_per_criterion() -> None:
    score = score_sheet(SHEET, choices_for(75))
    assert score.points[RAW_MATERIAL] == 5.0
    assert score.points[CERTIFICATE] == 5.0
    assert ORGANISATION not in score.points  # a heading is never scored


# --- score_sheet: refused sheets name every field -------------------------------------------


def _without(choices: dict[int, int], *ids: int) -> dict[int, int]:
    return {c: o for c, o in choices.items() if c not in ids}


FULL = choices_for(80)


@pytest.mark.parametrize(("choices", "fields", "reason_has"), [
    pytest.param({**FULL, ORGANISATION: 1}, {"choices.2"}, "heading", id="heading-id-given"),
    pytest.param({**FULL, 99: 1}, {"choices.99"}, "not on sheet", id="unknown-id"),
    pytest.param({**FULL, IP: 0}, {"choices.6"}, "from 1 to 2", id="option-0"),
    pytest.param({**FULL, IP: 3}, {"choices.6"}, "from 1 to 2", id="option-too-large"),
    pytest.param({**FULL, QUALITY: 62}, {"choices.8"}, "from 1 to 61", id="graded-too-large"),
    pytest.param({**FULL, IP: -1}, {"choices.6"}, "got -1", id="option-negative"),
    pytest.param({**FULL, IP: True}, {"choices.6"}, "got True", id="option-bool"),
    pytest.param({**FULL, IP: "2"}, {"choices.6"}, "got '2'", id="option-string"),
    pytest.param(_without(FULL, QUALITY), {"choices.8"}, "missing", id="one-missing"),
    pytest.param(_without(FULL, PRODUCTION, IP, QUALITY), {"choices.3", "choices.6", "choices.8"},
                 "missing", id="three-missing"),
    pytest.param({}, {f"choices.{c}" for c in SCORED_IDS}, "missing", id="empty"),
])
def test_score_sheet_refuses(choices, fields, reason_has) -> None:
    with pytest.raises(SheetRefused) as refused:
        score_sheet(SHEET, choices)
    assert set(refused.value.problems) == fields
    assert all(reason_has in reason for reason in refused.value.problems.values())


def test_score_sheet_names_every_problem_at_once() -> None:
    choices = {**_without(FULL, LABOUR), ORGANISATION: 1, 99: 1, IP: 0, CERTIFICATE: 3}
    with pytest.raises(SheetRefused) as refused:
        score_sheet(SHEET, choices)
    assert set(refused.value.problems) == {"choices.2", "choices.99", "choices.6", "choices.7",
                                           "choices.4"}
    assert "choices.99" in str(refused.value)


# --- score_sheet: knock-outs ----------------------------------------------------------------


@pytest.mark.parametrize(("choices", "total"), [
    pytest.param({RAW_MATERIAL: RAW_IMPORTED}, 0.0, id="rest-omitted"),
    pytest.param({RAW_MATERIAL: RAW_IMPORTED, PRODUCTION: graded_option(10), IP: YES}, 15.0,
                 id="some-answered"),
    pytest.param(choices_for(60, {RAW_MATERIAL: RAW_IMPORTED}), 60.0, id="all-answered"),
])
def test_knock_out_lets_the_rest_be_omitted(choices, total) -> None:
    score = score_sheet(SHEET, choices)
    assert score.knock_outs == (RAW_MATERIAL,)
    assert score.total == total
    assert set(score.points) == set(choices)


def test_knock_out_does_not_excuse_bad_options() -> None:
    with pytest.raises(SheetRefused) as refused:
        score_sheet(SHEET, {RAW_MATERIAL: RAW_IMPORTED, IP: 9, 99: 1})
    assert set(refused.value.problems) == {"choices.6", "choices.99"}


# --- quorum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("members", "needed"), [
    pytest.param(1, 1, id="1-needs-1"),
    pytest.param(4, 3, id="4-needs-3"),
    pytest.param(7, 6, id="7-needs-6"),
    pytest.param(8, 6, id="8-needs-6"),
    pytest.param(9, 7, id="9-needs-7"),
    pytest.param(12, 9, id="12-needs-9"),
])
def test_quorum_needed(members, needed) -> None:
    assert quorum_needed(COUNCIL_RULES, members) == needed


@pytest.mark.parametrize(("size", "scored_ids", "met"), [
    pytest.param(7, ["m1", "m2", "m3", "m4", "m5", "m6"], True, id="7-six-with-chair"),
    pytest.param(7, ["m1", "m2", "m3", "m4", "m5"], False, id="7-five-with-chair"),
    pytest.param(8, ["m1", "m3", "m4", "m5", "m6", "m7"], True, id="8-six-with-chair"),
    pytest.param(9, ["m1", "m2", "m3", "m4", "m5", "m6"], False, id="9-six-with-chair"),
    pytest.param(9, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"], True, id="9-seven-with-chair"),
    pytest.param(4, ["m1", "m2", "m3"], True, id="4-three-with-chair"),
    pytest.param(4, ["m2", "m3", "m4"], False, id="4-three-without-chair"),
    pytest.param(7, ["m2", "m3", "m4", "m5", "m6", "m7"], False, id="7-all-others-no-chair"),
    pytest.param(4, ["m1", "m2", "x9"], False, id="outsider-not-counted"),
])
def test_check_quorum(size, scored_ids, met) -> None:
    result = check_quorum(COUNCIL_RULES, council(size), scored_ids)
    assert (result is None) is met


def test_no_quorum_without_the_chair_even_with_all_others() -> None:
    result = check_quorum(COUNCIL_RULES, council(7), ["m2", "m3", "m4", "m5", "m6", "m7"])
    assert result == QuorumNotMet(needed=6, scored=6, chair_scored=False)
    assert result.reason() == "no quorum: the chair has not scored"


def test_no_quorum_reason_names_both_problems() -> None:
    result = check_quorum(COUNCIL_RULES, council(7), ["m2", "m3"])
    assert result == QuorumNotMet(needed=6, scored=2, chair_scored=False)
    assert result.reason() == ("no quorum: the chair has not scored and "
                               "2 of the 6 members needed have scored")


def test_chair_not_required() -> None:
    rules = CouncilRules(chair_required=False)
    assert check_quorum(rules, council(7), ["m2", "m3", "m4", "m5", "m6", "m7"]) is None
    assert check_quorum(rules, council(7), ["m2", "m3", "m4", "m5", "m6"]) == QuorumNotMet(
        needed=6, scored=5, chair_scored=True)


def test_vice_chair_does_not_stand_in_for_the_chair() -> None:
    members = [member("c", MemberRole.CHAIR), member("v", MemberRole.VICE_CHAIR),
               member("s", MemberRole.SECRETARY), member("m", MemberRole.MEMBER)]
    assert check_quorum(COUNCIL_RULES, members, ["v", "s", "m"]) is not None


# --- spread ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("totals", "members", "spread"), [
    pytest.param({"a": 60, "b": 70}, None, None, id="exactly-10-stands"),
    pytest.param({"a": 60.3, "b": 70.3}, None, None, id="exactly-10-with-fractions"),
    pytest.param({"a": 60, "b": 65, "c": 70}, None, None, id="within-10"),
    pytest.param({"a": 60, "b": 70.5}, ("a", "b"), 10.5, id="10.5-rescore"),
    pytest.param({"a": 60, "b": 65, "c": 75}, ("a", "c"), 15, id="ends-of-wide-pair"),
    pytest.param({"m1": 50, "m2": 62, "m3": 55, "m4": 64}, ("m1", "m2", "m4"), 14,
                 id="every-wide-pair"),
    pytest.param({"a": 40, "b": 52, "c": 64}, ("a", "b", "c"), 24, id="chain-of-wide-pairs"),
    pytest.param({"a": 80}, None, None, id="single-sheet"),
])
def test_spread(totals, members, spread) -> None:
    result = spread_problem(COUNCIL_RULES, totals)
    if members is None:
        assert result is None
        return
    assert result == RescoreNeeded(members=members, totals=totals, spread=spread, max_spread=10)


def test_spread_uses_the_configured_maximum() -> None:
    rules = CouncilRules(max_spread=5)
    result = spread_problem(rules, {"a": 60, "b": 65, "c": 66})
    assert result is not None
    assert (result.members, result.spread, result.max_spread) == (("a", "c"), 6, 5)


# --- council_score --------------------------------------------------------------------------


def test_council_score_averages_totals_and_parts() -> None:
    sheets = {"m1": scored(80), "m2": scored(75), "m3": scored(72.5)}
    result = council_score(COUNCIL_RULES, council(4), sheets)
    assert isinstance(result, CouncilScore)
    assert result.score == 75.83  # 227.5 / 3, rounded to 2 places
    assert result.totals == {"m1": 80.0, "m2": 75.0, "m3": 72.5}
    # A is full (40) on every sheet; B 25, 25, 25; C 15, 10, 7.5
    assert result.parts == {"A": 40.0, "B": 25.0, "C": 10.83}
    assert result.points[QUALITY] == 5.83  # (10 + 5 + 2.5) / 3
    assert result.points[RAW_MATERIAL] == 5.0
    assert result.knocked_out == ()


def test_council_score_average_points_for_mandatory_criteria() -> None:
    sheets = {"m1": scored(80), "m2": scored(80, {CERTIFICATE: NO}),
              "m3": scored(80, {CERTIFICATE: NO})}
    result = council_score(COUNCIL_RULES, council(3), sheets)
    assert isinstance(result, CouncilScore)
    assert result.points[CERTIFICATE] == 1.67
    assert result.score == 80.0


def test_council_score_without_quorum() -> None:
    result = council_score(COUNCIL_RULES, council(7), {"m1": scored(80), "m2": scored(80)})
    assert result == QuorumNotMet(needed=6, scored=2, chair_scored=True)


def test_council_score_spread_needs_rescore() -> None:
    sheets = {"m1": scored(60), "m2": scored(65), "m3": scored(75)}
    result = council_score(COUNCIL_RULES, council(4), sheets)
    assert isinstance(result, RescoreNeeded)
    assert result.members == ("m1", "m3")
    assert result.spread == 15
    assert result.max_spread == 10


def test_council_score_quorum_is_checked_before_spread() -> None:
    result = council_score(COUNCIL_RULES, council(7), {"m1": scored(40), "m2": scored(90)})
    assert isinstance(result, QuorumNotMet)


KO = {RAW_MATERIAL: RAW_IMPORTED}


@pytest.mark.parametrize(("sheets", "knocked_out"), [
    pytest.param([scored(60, KO), scored(60, KO), scored(62), scored(62)], (), id="2-of-4-not"),
    pytest.param([scored(60, KO), scored(60, KO), scored(60, KO), scored(62), scored(62)],
                 (RAW_MATERIAL,), id="3-of-5-yes"),
    pytest.param([scored(60, KO), scored(62), scored(62)], (), id="1-of-3-not"),
    pytest.param([scored(60, KO), scored(60, KO), scored(62)], (RAW_MATERIAL,), id="2-of-3-yes"),
    pytest.param([scored(60, KO)] * 4, (RAW_MATERIAL,), id="all"),
])
def test_knock_out_stands_only_with_more_than_half(sheets, knocked_out) -> None:
    by_member = {f"m{n}": sheet for n, sheet in enumerate(sheets, 1)}
    result = council_score(COUNCIL_RULES, council(len(sheets)), by_member)
    assert isinstance(result, CouncilScore)
    assert result.knocked_out == knocked_out


def test_knock_out_votes_count_sheets_not_criteria() -> None:
    # a sheet that knocks out on two criteria still counts once
    double = SheetScore(total=60, parts={"A": 20, "B": 20, "C": 20},
                        points={RAW_MATERIAL: 0, CERTIFICATE: 0}, knock_outs=(1, 7))
    sheets = {"m1": double, "m2": scored(62), "m3": scored(62)}
    result = council_score(COUNCIL_RULES, council(3), sheets)
    assert isinstance(result, CouncilScore)
    assert result.knocked_out == ()


KO_ONLY = {RAW_MATERIAL: RAW_IMPORTED}  # knock-out with every other criterion left unanswered


def test_a_standing_knock_out_skips_the_spread_check() -> None:
    ko = score_sheet(SHEET, KO_ONLY)
    sheets = {"m1": ko, "m2": ko, "m3": ko, "m4": scored(80), "m5": scored(80)}
    result = council_score(COUNCIL_RULES, council(5), sheets)
    assert isinstance(result, CouncilScore)
    assert result.knocked_out == (RAW_MATERIAL,)


def test_a_minority_knock_out_is_still_subject_to_the_spread() -> None:
    ko = score_sheet(SHEET, KO_ONLY)
    sheets = {"m1": ko, "m2": ko, "m3": scored(80), "m4": scored(80)}
    result = council_score(COUNCIL_RULES, council(4), sheets)
    assert isinstance(result, RescoreNeeded)
    assert result.members == ("m1", "m2", "m3", "m4")
