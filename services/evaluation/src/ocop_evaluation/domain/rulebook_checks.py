"""Checks across a loaded rulebook that the models cannot make alone (pure: no I/O).

`validate_rulebook` returns every problem it finds; an empty list means the rulebook and its
sheets fit together: each sheet's parts add up to the rulebook's part maxima, every scored
criterion offers a scorable option, headings have children, knock-outs are worth 0 points,
mandatory criteria name real criteria, every product set of the classification has exactly one
sheet, star bands and levels are consistent. A problem names the sheet (its `sheet_id`; None for
the rulebook itself), the path of the offending value (`parts.C[2].criteria[0].options`) and the
reason; the file adapter turns it into an error naming the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .rulebooks import Criterion, LoadedRulebook, Rulebook, Sheet

STARS_WITH_MANDATORY = range(3, 6)
"""Star levels that can have mandatory criteria (those that earn a certificate)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (`sheet_id`, None for the rulebook file), at which path, and why."""

    sheet_id: str | None
    path: str
    reason: str


def format_path(loc: Sequence[str | int]) -> str:
    """('parts', 'C', 2, 'criteria', 0) -> 'parts.C[2].criteria[0]' (pydantic's loc style)."""
    out = ""
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += f".{item}" if out else str(item)
    return out or "<root>"


def _points(value: float) -> str:
    return f"{value:g}"


def validate_rulebook(loaded: LoadedRulebook,
                      product_sets: Iterable[str] | None = None) -> list[Problem]:
    """Every problem of the rulebook and its sheets. `product_sets` are the codes that need a
    sheet (default: every product set of the shared classification)."""
    if product_sets is None:
        from ocop_shared.contracts.classification import all_sets
        product_sets = [s.code for s in all_sets()]
    problems = check_rulebook(loaded.rulebook)
    for sheet in loaded.sheets.values():
        problems += check_sheet(sheet, loaded.rulebook)
    problems += check_coverage(loaded, list(product_sets))
    return problems


def check_rulebook(rulebook: Rulebook) -> list[Problem]:
    """Levels, star bands and part maxima of the rulebook itself."""
    problems: list[Problem] = []

    def bad(path: str, reason: str) -> None:
        problems.append(Problem(None, path, reason))

    # part maxima: A, B and C, adding up to 100
    missing = [p for p in ("A", "B", "C") if p not in rulebook.part_maxima]
    if missing:
        bad("part_maxima", f"part(s) {', '.join(missing)} missing; a rulebook sets A, B and C")
    total = sum(rulebook.part_maxima.values())
    if not missing and total != 100:
        bad("part_maxima", f"parts add up to {_points(total)} points, not 100")

    # star bands: unique, one from 0, more points never fewer stars
    seen_scores: dict[float, int] = {}
    seen_stars: dict[int, int] = {}
    for i, band in enumerate(rulebook.star_bands):
        if band.min_score in seen_scores:
            bad(f"star_bands[{i}].min_score", f"a band from {_points(band.min_score)} points "
                f"is already star_bands[{seen_scores[band.min_score]}]")
        seen_scores.setdefault(band.min_score, i)
        if band.stars in seen_stars:
            bad(f"star_bands[{i}].stars", f"{band.stars} stars already has a band "
                f"(star_bands[{seen_stars[band.stars]}])")
        seen_stars.setdefault(band.stars, i)
    if 0 not in seen_scores:
        bad("star_bands", "no band starts at 0 points: low scores would have no stars")
    ordered = sorted(rulebook.star_bands, key=lambda b: b.min_score)
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher.stars < lower.stars:
            bad("star_bands", f"{_points(higher.min_score)} points gives {higher.stars} stars, "
                f"fewer than {lower.stars} from {_points(lower.min_score)} points")

    # levels
    names: dict[str, int] = {}
    for i, rule in enumerate(rulebook.levels):
        if rule.level in names:
            bad(f"levels[{i}].level",
                f"level {rule.level!r} is already levels[{names[rule.level]}]")
        names.setdefault(rule.level, i)
    if rulebook.entry_level not in names:
        bad("entry_level", f"entry level {rulebook.entry_level!r} is not among the levels "
            f"({', '.join(names)})")
    for i, rule in enumerate(rulebook.levels):
        for j, stars in enumerate(rule.recognises):
            if not 1 <= stars <= 5:
                bad(f"levels[{i}].recognises[{j}]", f"{stars} stars: stars run from 1 to 5")
        if (rule.forwards_from is None) != (rule.forwards_to is None):
            bad(f"levels[{i}].forwards_to" if rule.forwards_to is None
                else f"levels[{i}].forwards_from",
                "forwards_from and forwards_to go together: set both or neither")
        if rule.forwards_to is not None:
            if rule.forwards_to not in names:
                bad(f"levels[{i}].forwards_to", f"forwards to {rule.forwards_to!r}, which is "
                    f"not among the levels ({', '.join(names)})")
            elif rule.forwards_to == rule.level:
                bad(f"levels[{i}].forwards_to", "a level cannot forward to itself")
        if rule.forwards_from is not None and not 0 <= rule.forwards_from <= 100:
            bad(f"levels[{i}].forwards_from", f"{_points(rule.forwards_from)} is not a score "
                "from 0 to 100")
    return problems


def check_sheet(sheet: Sheet, rulebook: Rulebook) -> list[Problem]:
    """One sheet: ids, headings and parents, options and knock-outs, part maxima, mandatory
    criteria."""
    problems: list[Problem] = []

    def bad(path: str, reason: str) -> None:
        problems.append(Problem(sheet.sheet_id, path, reason))

    # where each criterion sits
    located: list[tuple[str, str, Criterion]] = []  # (path, part, criterion)
    for part, sections in sheet.parts.items():
        for s, section in enumerate(sections):
            for c, criterion in enumerate(section.criteria):
                located.append((f"parts.{part}[{s}].criteria[{c}]", part, criterion))

    by_id: dict[int, tuple[str, str, Criterion]] = {}
    for path, part, criterion in located:
        if criterion.id in by_id:
            bad(f"{path}.id", f"criterion id {criterion.id} is already used at "
                f"{by_id[criterion.id][0]}")
            continue
        by_id[criterion.id] = (path, part, criterion)

    children: dict[int, list[int]] = {}
    for path, part, criterion in located:
        if criterion.parent is None:
            continue
        parent = by_id.get(criterion.parent)
        if parent is None:
            bad(f"{path}.parent", f"parent {criterion.parent} is not a criterion of this sheet")
            continue
        if not parent[2].is_heading:
            bad(f"{path}.parent", f"parent {criterion.parent} has options: only a heading "
                "(a criterion without options) can have children")
        if parent[1] != part:
            bad(f"{path}.parent", f"parent {criterion.parent} is in part {parent[1]}, this "
                f"criterion in part {part}")
        children.setdefault(criterion.parent, []).append(criterion.id)

    for path, _part, criterion in located:
        # parent chains end (no criterion is its own ancestor)
        seen = {criterion.id}
        current = criterion.parent
        while current is not None and current in by_id:
            if current in seen:
                bad(f"{path}.parent", f"criterion {criterion.id} is its own ancestor "
                    "(the parents form a cycle)")
                break
            seen.add(current)
            current = by_id[current][2].parent
        if criterion.is_heading:
            if not children.get(criterion.id):
                bad(f"{path}.options", f"criterion {criterion.id} has no options and no child "
                    "criteria: a scored criterion needs options, a heading needs children")
            continue
        if all(o.knock_out is not None for o in criterion.options):
            bad(f"{path}.options", f"criterion {criterion.id} offers only knock-out options: "
                "it needs at least one option a product can be scored on")
        for n, option in enumerate(criterion.options):
            if option.knock_out is not None and option.points != 0:
                bad(f"{path}.options[{n}].points", f"knock-out option ({option.knock_out}) is "
                    f"worth {_points(option.points)} points; a knock-out is worth 0")

    # part maxima
    maxima = sheet.part_maxima()
    for part, expected in rulebook.part_maxima.items():
        if part not in maxima:
            bad("parts", f"part {part} is missing (rulebook {rulebook.id} sets "
                f"{part} {_points(expected)})")
        elif maxima[part] != expected:
            bad(f"parts.{part}", f"part {part} adds up to {_points(maxima[part])} points; "
                f"rulebook {rulebook.id} sets {_points(expected)}")
    for part in maxima:
        if part not in rulebook.part_maxima:
            bad(f"parts.{part}", f"rulebook {rulebook.id} has no part {part}")

    # mandatory criteria
    for stars, required in sheet.mandatory.items():
        if stars not in STARS_WITH_MANDATORY:
            bad(f"mandatory[{stars}]", f"{stars} stars: mandatory criteria are set for 3, 4 "
                "or 5 stars")
        for i, item in enumerate(required):
            where = f"mandatory[{stars}][{i}]"
            found = by_id.get(item.criterion)
            if found is None:
                bad(f"{where}.criterion", f"criterion {item.criterion} is not on this sheet")
            elif found[2].is_heading:
                bad(f"{where}.criterion", f"criterion {item.criterion} is a heading: only a "
                    "scored criterion (with options) can be mandatory")
            elif item.min_points > found[2].max_points:
                bad(f"{where}.min_points", f"{_points(item.min_points)} points is more than "
                    f"criterion {item.criterion} can give ({_points(found[2].max_points)})")
    return problems


def check_coverage(loaded: LoadedRulebook, product_sets: Sequence[str]) -> list[Problem]:
    """Every known product set is on exactly one sheet; no sheet names an unknown one."""
    problems: list[Problem] = []
    known = set(product_sets)
    owner: dict[str, str] = {}
    for sheet in loaded.sheets.values():
        for i, code in enumerate(sheet.product_sets):
            path = f"product_sets[{i}]"
            if code not in known:
                nearest = difflib.get_close_matches(code, product_sets, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(nearest)}?" if nearest else ""
                problems.append(Problem(sheet.sheet_id, path,
                                        f"unknown product set {code!r}{hint}"))
            elif code in owner:
                where = ("earlier on this sheet" if owner[code] == sheet.sheet_id
                         else f"also on sheet {owner[code]!r}")
                problems.append(Problem(sheet.sheet_id, path,
                                        f"product set {code!r} is {where}: a product set has "
                                        "exactly one sheet"))
            else:
                owner[code] = sheet.sheet_id
    without = [code for code in product_sets if code not in owner]
    if without:
        problems.append(Problem(None, "sheets", f"no sheet for product set(s) "
                                                f"{', '.join(without)}"))
    return problems
