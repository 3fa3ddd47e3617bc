"""Council members' terms and conflicts of interest, and which products a council covers
(domain.md §5)."""

from __future__ import annotations

from datetime import date

import pytest
from ocop_evaluation.domain.councils import covers, eligible_scorers, why_cannot_score

from services.evaluation.tests.domain_fixtures import TERM_END, TERM_START, TODAY, member

# --- terms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "serving"), [
    pytest.param(date(2024, 12, 31), False, id="day-before-start"),
    pytest.param(TERM_START, True, id="first-day"),
    pytest.param(TODAY, True, id="mid-term"),
    pytest.param(TERM_END, True, id="last-day"),
    pytest.param(date(2028, 1, 1), False, id="day-after-end"),
])
def test_serving_on_term_edges(day, serving) -> None:
    assert member("a").serving_on(day) is serving


@pytest.mark.parametrize(("day", "serving"), [
    pytest.param(date(2024, 12, 31), False, id="before-start"),
    pytest.param(TERM_START, True, id="first-day"),
    pytest.param(date(2099, 1, 1), True, id="far-future"),
])
def test_open_term(day, serving) -> None:
    assert member("a", term_end=None).serving_on(day) is serving


# --- who may score --------------------------------------------------------------------------

PRODUCER = "producer-1"


def test_eligible_scorers_exclude_conflicts_and_members_out_of_term() -> None:
    members = [
        member("chair"),
        member("linked", conflicts=frozenset({PRODUCER})),
        member("linked-elsewhere", conflicts=frozenset({"producer-2"})),
        member("retired", term_end=date(2025, 12, 31)),
        member("future", term_start=date(2026, 6, 1)),
    ]
    eligible = eligible_scorers(members, PRODUCER, TODAY)
    assert [m.id for m in eligible] == ["chair", "linked-elsewhere"]


@pytest.mark.parametrize(("who", "day", "reason_has"), [
    pytest.param(member("a"), TODAY, None, id="may-score"),
    pytest.param(member("a", conflicts=frozenset({PRODUCER})), TODAY, "conflict of interest",
                 id="conflict"),
    pytest.param(member("a", conflicts=frozenset({"producer-2"})), TODAY, None,
                 id="conflict-with-another-producer"),
    pytest.param(member("a"), date(2028, 1, 1), "does not cover 2028-01-01", id="term-ended"),
    pytest.param(member("a", term_end=None), date(2024, 1, 1), "to open", id="not-started"),
])
def test_why_cannot_score(who, day, reason_has) -> None:
    reason = why_cannot_score(who, PRODUCER, day)
    if reason_has is None:
        assert reason is None
    else:
        assert reason is not None and reason_has in reason
    # the reason and the eligible list always agree
    assert (reason is None) is (who in eligible_scorers([who], PRODUCER, day))


# --- jurisdiction ---------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "province", "communes", "product_province", "product_commune",
                          "covered"), [
    pytest.param("central", None, [], "01", "00001", True, id="central-any-province"),
    pytest.param("central", None, [], "79", None, True, id="central-no-commune"),
    pytest.param("province", "01", [], "01", "00001", True, id="province-own"),
    pytest.param("province", "01", [], "01", None, True, id="province-own-no-commune"),
    pytest.param("province", "01", [], "79", "26734", False, id="province-other"),
    pytest.param("district", "01", ["00001", "00004"], "01", "00004", True,
                 id="district-listed-commune"),
    pytest.param("district", "01", ["00001", "00004"], "01", "00007", False,
                 id="district-unlisted-commune"),
    pytest.param("district", "01", ["00001", "00004"], "01", None, False,
                 id="district-product-without-commune"),
    pytest.param("district", "01", ["00001"], "79", "00001", False,
                 id="district-listed-commune-other-province"),
    pytest.param("district", "01", [], "01", "00001", False, id="district-no-communes"),
])
def test_covers(level, province, communes, product_province, product_commune, covered) -> None:
    assert covers(level, province, communes, product_province, product_commune) is covered
