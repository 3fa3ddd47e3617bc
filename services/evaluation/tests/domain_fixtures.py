"""Small rulebooks, a tiny scoring sheet and council members, built in code for the domain tests.

Nothing here reads the shipped rulebook files: the tests of the pure rules must not depend on them.

The tiny sheet adds up to A 40 / B 25 / C 35 (as under 148):

    A  1  raw material origin        0 (knock-out: eliminate) / 3 / 5
       2  organisation (heading)
       3    production organisation  0 .. 15 in steps of 0.5   (parent 2)
       4    labour and community     0 .. 20 in steps of 0.5   (parent 2)
    B  5  marketing                  0 .. 20 in steps of 0.5
       6  intellectual property      0 / 5
    C  7  food-safety certificate    0 / 5
       8  quality                    0 .. 30 in steps of 0.5

Mandatory criteria: 3 stars need at least 3 points on criterion 1 (partly local raw material);
4 stars need 5 points on criterion 7 (a valid food-safety certificate).
`choices_for(total)` picks options that add up to any total in steps of 0.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ocop_evaluation.domain.councils import CouncilMember, MemberRole
from ocop_evaluation.domain.rulebooks import (
    CouncilRules,
    Criterion,
    KnockOut,
    LevelRule,
    LoadedRulebook,
    MandatoryCriterion,
    Option,
    Rulebook,
    Section,
    Sheet,
    StarBand,
)
from ocop_evaluation.domain.scoring import SheetScore, score_sheet

# --- the tiny sheet -------------------------------------------------------------------------

RAW_MATERIAL = 1
ORGANISATION = 2  # heading
PRODUCTION = 3
LABOUR = 4
MARKETING = 5
IP = 6
CERTIFICATE = 7
QUALITY = 8

SCORED_IDS = (RAW_MATERIAL, PRODUCTION, LABOUR, MARKETING, IP, CERTIFICATE, QUALITY)
GRADED = {PRODUCTION: 15.0, LABOUR: 20.0, MARKETING: 20.0, QUALITY: 30.0}
"""Criteria whose options run from 0 to their maximum in steps of 0.5 (option n = (n-1)/2)."""

# option numbers (from 1, as printed)
RAW_IMPORTED, RAW_PARTLY_LOCAL, RAW_LOCAL = 1, 2, 3
NO, YES = 1, 2  # criteria 6 and 7


def graded(max_points: float) -> tuple[Option, ...]:
    steps = int(max_points * 2)
    return tuple(Option(text=f"{n / 2:g} points", points=n / 2) for n in range(steps + 1))


def graded_option(points: float) -> int:
    """The option number worth `points` on a graded criterion."""
    return int(points * 2) + 1


SHEET = Sheet(
    sheet_id="tiny-food",
    title="Tiny food sheet (tests)",
    status="illustrative",
    source="built in code for the domain tests",
    product_sets=("1.1",),
    parts={
        "A": (
            Section(section="A1 Raw material", criteria=(
                Criterion(id=RAW_MATERIAL, criterion="Raw material origin", options=(
                    Option(text="All imported or of unknown origin", points=0,
                           knock_out=KnockOut.ELIMINATE),
                    Option(text="Partly local", points=3),
                    Option(text="All local", points=5),
                )),
            )),
            Section(section="A2 Organisation", criteria=(
                Criterion(id=ORGANISATION, criterion="Organisation"),
                Criterion(id=PRODUCTION, criterion="Production organisation",
                          parent=ORGANISATION, options=graded(GRADED[PRODUCTION])),
                Criterion(id=LABOUR, criterion="Labour and community",
                          parent=ORGANISATION, options=graded(GRADED[LABOUR])),
            )),
        ),
        "B": (
            Section(section="B1 Marketing", criteria=(
                Criterion(id=MARKETING, criterion="Marketing", options=graded(GRADED[MARKETING])),
                Criterion(id=IP, criterion="Intellectual property", options=(
                    Option(text="None", points=0), Option(text="Registered", points=5))),
            )),
        ),
        "C": (
            Section(section="C1 Quality", criteria=(
                Criterion(id=CERTIFICATE, criterion="Food-safety certificate", options=(
                    Option(text="None or invalid", points=0), Option(text="Valid", points=5))),
                Criterion(id=QUALITY, criterion="Quality", options=graded(GRADED[QUALITY])),
            )),
        ),
    },
    mandatory={
        3: (MandatoryCriterion(criterion=RAW_MATERIAL, min_points=3,
                               reason="raw material at least partly local"),),
        4: (MandatoryCriterion(criterion=CERTIFICATE, min_points=5,
                               reason="valid food-safety certificate"),),
    },
)

FIXED_POINTS = {RAW_MATERIAL: {RAW_IMPORTED: 0.0, RAW_PARTLY_LOCAL: 3.0, RAW_LOCAL: 5.0},
                IP: {NO: 0.0, YES: 5.0}, CERTIFICATE: {NO: 0.0, YES: 5.0}}


def choices_for(total: float, fixed: Mapping[int, int] | None = None) -> dict[int, int]:
    """Choices on SHEET adding up to `total` (a multiple of 0.5). The non-graded criteria take
    the options in `fixed` (default: the best ones); the graded ones fill the rest, in order."""
    picks = {RAW_MATERIAL: RAW_LOCAL, IP: YES, CERTIFICATE: YES, **(fixed or {})}
    left = total - sum(FIXED_POINTS[c][o] for c, o in picks.items())
    for criterion, maximum in GRADED.items():
        points = min(maximum, max(left, 0.0))
        picks[criterion] = graded_option(points)
        left -= points
    if left != 0:
        raise ValueError(f"cannot make {total} points with {fixed}")
    return dict(sorted(picks.items()))


def scored(total: float, fixed: Mapping[int, int] | None = None) -> SheetScore:
    return score_sheet(SHEET, choices_for(total, fixed))


# --- rulebooks ------------------------------------------------------------------------------

BANDS = (StarBand(min_score=90, stars=5), StarBand(min_score=70, stars=4),
         StarBand(min_score=50, stars=3), StarBand(min_score=30, stars=2),
         StarBand(min_score=0, stars=1))

DISTRICT = LevelRule(level="district", authority="UBND huyện", decision_suffix="QĐ-UBND",
                     recognises=(3,), forwards_from=70, forwards_to="province")
PROVINCE = LevelRule(level="province", authority="UBND tỉnh", decision_suffix="QĐ-UBND",
                     recognises=(3, 4), forwards_from=90, forwards_to="central",
                     recognises_when_forwarding=True)
CENTRAL = LevelRule(level="central", authority="Bộ Nông nghiệp và Môi trường",
                    decision_suffix="QĐ-BNNMT", recognises=(5,))


def rulebook(**changes: object) -> Rulebook:
    """A 148-like rulebook (district, province, central); `changes` override fields."""
    fields: dict[str, object] = dict(
        id="148/2023", decision="148/QĐ-TTg", title="148-like (tests)",
        issued_on=date(2023, 2, 24), status="illustrative", levels=(DISTRICT, PROVINCE, CENTRAL),
        entry_level="district", star_bands=BANDS, part_maxima={"A": 40, "B": 25, "C": 35},
        sheets=("tiny-food.json",),
    )
    fields.update(changes)
    return Rulebook.model_validate(fields)


RULEBOOK_148 = rulebook()
RULEBOOK_1489 = rulebook(id="1489/2025", decision="1489/QĐ-TTg", title="1489-like (tests)",
                         issued_on=date(2025, 7, 6), levels=(PROVINCE, CENTRAL),
                         entry_level="province")
RULEBOOK_1048 = rulebook(id="1048/2019", decision="1048/QĐ-TTg", title="1048-like (tests)",
                         issued_on=date(2019, 8, 21), historical=True)


def loaded(book: Rulebook) -> LoadedRulebook:
    return LoadedRulebook(rulebook=book, sheets={SHEET.sheet_id: SHEET})


COUNCIL_RULES = CouncilRules()  # 75% quorum with the chair, spread 10

# --- council members ------------------------------------------------------------------------

TERM_START = date(2025, 1, 1)
TERM_END = date(2027, 12, 31)
TODAY = date(2026, 3, 15)


def member(member_id: str, role: MemberRole = MemberRole.MEMBER, *,
           conflicts: frozenset[str] = frozenset(),
           term_start: date = TERM_START, term_end: date | None = TERM_END) -> CouncilMember:
    return CouncilMember(id=member_id, subject=f"sub-{member_id}", role=role,
                         term_start=term_start, term_end=term_end, conflicts=conflicts)


def council(size: int) -> list[CouncilMember]:
    """`size` members: m1 is the chair, m2 the secretary, the rest members."""
    roles = [MemberRole.CHAIR, MemberRole.SECRETARY]
    return [member(f"m{n}", roles[n - 1] if n <= len(roles) else MemberRole.MEMBER)
            for n in range(1, size + 1)]
