"""Unit tests of the trade fair rules (pure domain, no I/O): the allocation policy (stars, then
communes not yet represented, then application time, then id), the waitlist, eligibility."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from ocop_promotion.domain.fairs import (
    Applicant,
    allocate,
    announcement_refusal,
    closed_refusal,
    may_organise,
    move_up,
    rank,
    stars_refusal,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def applicants(*specs: tuple[str, int, str | None, int]) -> dict[str, Applicant]:
    """name -> applicant from (name, stars, commune, minutes after T0); ids sort by name."""
    return {name: Applicant(uuid.UUID(int=i + 1), stars, commune, T0 + timedelta(minutes=m))
            for i, (name, stars, commune, m) in enumerate(specs)}


def names(ranked: list[Applicant], by: dict[str, Applicant]) -> list[str]:
    back = {a.application_id: n for n, a in by.items()}
    return [back[a.application_id] for a in ranked]


@pytest.mark.parametrize(("case", "specs", "expected"), [
    ("stars first, whatever the time",
     [("a", 3, "c1", 0), ("b", 5, "c2", 9), ("c", 4, "c3", 5)], ["b", "c", "a"]),
    ("same stars: an unrepresented commune before a represented one",
     [("a", 4, "c1", 0), ("b", 4, "c1", 1), ("c", 4, "c2", 2)], ["a", "c", "b"]),
    ("represented means ranked before, at any star level",
     [("a", 5, "c1", 9), ("b", 4, "c1", 0), ("c", 4, "c2", 5)], ["a", "c", "b"]),
    ("the commune rule never beats stars",
     [("a", 5, "c1", 0), ("b", 5, "c1", 1), ("c", 4, "c2", 0)], ["a", "b", "c"]),
    ("then application time",
     [("a", 4, "c1", 3), ("b", 4, "c2", 1), ("c", 4, "c3", 2)], ["b", "c", "a"]),
    ("exact tie: the smaller application id",
     [("a", 4, "c1", 0), ("b", 4, "c2", 0)], ["a", "b"]),
    ("greedy: once c2 is represented, c3 comes next",
     [("a", 4, "c1", 0), ("b", 4, "c1", 1), ("c", 4, "c2", 2), ("d", 4, "c2", 3),
      ("e", 4, "c3", 4)], ["a", "c", "e", "b", "d"]),
    ("no commune code never counts as unrepresented",
     [("a", 4, "c1", 0), ("b", 4, None, 1), ("c", 4, "c1", 2), ("d", 4, "c2", 3)],
     ["a", "d", "b", "c"]),
])
def test_ranking(case: str, specs: list, expected: list[str]) -> None:
    by = applicants(*specs)
    assert names(rank(by.values()), by) == expected, case


def test_ranking_ignores_input_order() -> None:
    by = applicants(("a", 4, "c1", 0), ("b", 4, "c1", 1), ("c", 5, "c2", 2), ("d", 3, "c3", 0))
    assert rank(by.values()) == rank(reversed(list(by.values())))


def test_eight_applicants_for_five_booths() -> None:
    by = applicants(("p1", 3, "c1", 0), ("p2", 5, "c1", 1), ("p3", 4, "c2", 2),
                    ("p4", 4, "c1", 3), ("p5", 5, "c1", 4), ("p6", 4, "c3", 5),
                    ("p7", 3, "c4", 6), ("p8", 4, "c2", 7))
    result = allocate(by.values(), 5)
    back = {a.application_id: n for n, a in by.items()}
    assert {back[a]: b for a, b in result.booths.items()} == {
        "p2": 1, "p5": 2, "p3": 3, "p6": 4, "p4": 5}
    assert {back[a]: p for a, p in result.waitlist.items()} == {"p8": 1, "p7": 2, "p1": 3}


def test_more_booths_than_applicants() -> None:
    by = applicants(("a", 3, "c1", 0), ("b", 4, "c1", 1))
    result = allocate(by.values(), 10)
    assert result.booths == {by["b"].application_id: 1, by["a"].application_id: 2}
    assert result.waitlist == {}
    assert allocate([], 3).booths == {}


def test_a_fair_has_booths() -> None:
    with pytest.raises(ValueError):
        allocate([], 0)


A, B, C, D = (uuid.UUID(int=i) for i in range(1, 5))


@pytest.mark.parametrize(("waitlist", "leaving", "freed", "promoted", "positions"), [
    ([A, B, C], None, 4, A, {B: 1, C: 2}),  # a booth freed: first in line takes it
    ([A, B, C], B, None, None, {C: 2}),  # a waiting one leaves: those behind move up
    ([A, B, C], C, None, None, {}),  # the last leaves: nobody moves
    ([], None, 2, None, {}),  # a booth freed, nobody waiting
    ([A], None, 1, A, {}),
])
def test_waitlist_moves_up(waitlist: list, leaving: uuid.UUID | None, freed: int | None,
                           promoted: uuid.UUID | None, positions: dict) -> None:
    move = move_up(waitlist, leaving, freed)
    assert (move.promoted, move.positions) == (promoted, positions)


@pytest.mark.parametrize(("role", "own", "level", "province", "allowed"), [
    ("operator", None, "national", None, True),
    ("operator", None, "provincial", "01", True),
    ("provincial_official", "01", "provincial", "01", True),
    ("provincial_official", "01", "provincial", "79", False),
    ("provincial_official", None, "provincial", "01", False),
    ("provincial_official", "01", "regional", "01", False),
    ("ministry_official", None, "regional", "01", True),
    ("ministry_official", None, "national", None, True),
    ("ministry_official", None, "provincial", "01", False),
    ("producer", "01", "provincial", "01", False),
])
def test_who_organises(role: str, own: str | None, level: str, province: str | None,
                       allowed: bool) -> None:
    assert may_organise(role, own, level, province) is allowed


def test_announcement_terms() -> None:
    now = T0
    ok = dict(level="national", province_code=None, starts_on=date(2026, 12, 20),
              ends_on=date(2026, 12, 22), applications_close=T0 + timedelta(days=5), now=now)
    assert announcement_refusal(**ok) is None
    assert announcement_refusal(**ok | {"level": "provincial"}).field == "province_code"
    assert announcement_refusal(**ok | {"ends_on": date(2026, 12, 19)}).field == "ends_on"
    assert announcement_refusal(**ok | {"applications_close": T0}).code == "deadline_passed"
    late = announcement_refusal(**ok | {"applications_close": T0 + timedelta(days=30)})
    assert (late.code, late.field) == ("deadline_after_start", "applications_close")


def test_applications_close_at_the_deadline_or_at_allocation() -> None:
    close = T0 + timedelta(hours=1)
    assert closed_refusal("open", close, T0) is None
    assert closed_refusal("open", close, close).code == "applications_closed"
    assert closed_refusal("allocated", close, T0).field == "fair_id"


def test_minimum_stars() -> None:
    assert stars_refusal(None, 3) is None
    assert stars_refusal(4, 4) is None
    refusal = stars_refusal(4, 3)
    assert (refusal.code, refusal.field) == ("below_min_stars", "product_id")
