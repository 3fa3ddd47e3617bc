"""Rulebooks and scoring sheets as data (pure: no I/O; `adapters/rulebook_files.py` reads them).

A rulebook (148/QĐ-TTg, 1489/QĐ-TTg, 1048/QĐ-TTg for historical records) says which levels
evaluate, which authority recognises which stars, when a result goes up a level, how long a
certificate lasts, how a council decides, and which scoring sheet each product set is scored on.

A scoring sheet keeps the layout of the published sheets (../shared/data): parts A/B/C, each with
sections, each with criteria; a criterion offers options worth fixed points and the scorer picks
exactly one. A criterion without options is a heading whose children (`parent`) are scored.
An option marked `knock_out` ends the evaluation when the council picks it (e.g. "all raw
material imported or of unknown origin"). Per star, mandatory criteria name the least points a
product must reach on a criterion to hold that star whatever its total.

Every model validates itself; `validate_rulebook` adds the checks across files (part maxima add
up, every scored criterion has options, knock-outs are well-formed, every product set has one
sheet). Errors carry the path of the offending value so a bad file is refused with file, path
and reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["district", "province", "central"]
PartCode = Literal["A", "B", "C"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KnockOut(StrEnum):
    """What picking a knock-out option does (the published sheets' notes)."""

    ELIMINATE = "eliminate"
    """"Bị loại nếu ...": the product is eliminated: no stars."""
    STOP = "stop"
    """"Không đánh giá các bước tiếp theo nếu ..." / "dừng đánh giá": scoring stops and the
    product is not rated."""


class Option(Frozen):
    text: str = Field(min_length=1)
    points: float = Field(ge=0)
    knock_out: KnockOut | None = None


class Criterion(Frozen):
    """One line of the sheet. `id` is unique within the sheet (the published sheets number
    them); `parent` is the id of the heading it belongs to."""

    id: int = Field(ge=1)
    criterion: str
    note: str | None = None
    parent: int | None = None
    options: tuple[Option, ...] = ()

    @property
    def is_heading(self) -> bool:
        return not self.options

    @property
    def max_points(self) -> float:
        return max((o.points for o in self.options), default=0.0)

    @property
    def knock_out_options(self) -> tuple[int, ...]:
        """1-based numbers of this criterion's knock-out options."""
        return tuple(n for n, o in enumerate(self.options, 1) if o.knock_out is not None)


class Section(Frozen):
    section: str = Field(min_length=1)
    note: str | None = None
    criteria: tuple[Criterion, ...] = Field(min_length=1)


class MandatoryCriterion(Frozen):
    """To hold the star it is listed under, the council's points on `criterion` (the average
    of the members' points) must reach `min_points`."""

    criterion: int
    min_points: float = Field(ge=0)
    reason: str | None = None


class Sheet(Frozen):
    """A scoring sheet (phiếu đánh giá) for one or more product sets."""

    sheet_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    status: Literal["official", "illustrative"]
    source: str = Field(description="Where the sheet comes from (decision, transcription)")
    product_sets: tuple[str, ...] = Field(min_length=1)
    parts: dict[PartCode, tuple[Section, ...]]
    mandatory: dict[int, tuple[MandatoryCriterion, ...]] = Field(
        default_factory=dict, description="Star level -> criteria that star requires")
    corrections: tuple[str, ...] = Field(
        default=(), description="What was changed from the published source, and why")

    def criteria(self) -> Iterator[tuple[PartCode, Criterion]]:
        for part, sections in self.parts.items():
            for section in sections:
                for criterion in section.criteria:
                    yield part, criterion

    def scored_criteria(self) -> dict[int, tuple[PartCode, Criterion]]:
        """The criteria a scorer answers (those with options), by id, in sheet order."""
        return {c.id: (part, c) for part, c in self.criteria() if not c.is_heading}

    def part_maxima(self) -> dict[str, float]:
        maxima: dict[str, float] = {part: 0.0 for part in self.parts}
        for part, criterion in self.criteria():
            maxima[part] += criterion.max_points
        return maxima


class StarBand(Frozen):
    """Scores from `min_score` (inclusive) up to the next higher band earn `stars`."""

    min_score: float = Field(ge=0, le=100)
    stars: int = Field(ge=1, le=5)


class LevelRule(Frozen):
    """What one level of the programme does under a rulebook."""

    level: Level
    council: bool = True
    authority: str = Field(description="Who recognises at this level, e.g. 'UBND tỉnh'")
    decision_suffix: str = Field(description="How its decisions are numbered, e.g. 'QĐ-UBND'")
    recognises: tuple[int, ...] = Field(description="Stars this level's authority recognises")
    forwards_from: float | None = Field(
        None, description="Scores at or above this go on to `forwards_to`")
    forwards_to: Level | None = None
    recognises_when_forwarding: bool = Field(
        False, description="Whether a forwarded product is also recognised here at this "
                           "level's highest stars (the province's 'potential 5 stars')")


class CouncilRules(Frozen):
    quorum: float = Field(0.75, gt=0, le=1, description="Share of members who must score")
    chair_required: bool = True
    max_spread: float = Field(10, ge=0, description="Largest allowed gap between two totals")


class Rulebook(Frozen):
    id: str = Field(pattern=r"^\d+/\d{4}$", description="e.g. 148/2023")
    decision: str = Field(description="e.g. 148/QĐ-TTg")
    title: str
    issued_on: date
    status: str = Field(description="What in this rulebook is official and what illustrative")
    historical: bool = Field(False, description="Kept to read old records; no new rounds")
    levels: tuple[LevelRule, ...] = Field(min_length=1)
    entry_level: Level
    star_bands: tuple[StarBand, ...] = Field(min_length=1)
    part_maxima: dict[PartCode, float]
    certificate_min_stars: int = Field(3, ge=1, le=5)
    certificate_validity_months: int = Field(36, ge=1)
    council: CouncilRules = CouncilRules()
    sheets: tuple[str, ...] = Field(min_length=1, description="Sheet files, relative")

    def level(self, level: str) -> LevelRule:
        for rule in self.levels:
            if rule.level == level:
                return rule
        raise KeyError(f"rulebook {self.id} has no {level} level")


class LoadedRulebook(Frozen):
    """A rulebook with its sheets, checked together."""

    rulebook: Rulebook
    sheets: dict[str, Sheet] = Field(description="sheet_id -> sheet")

    def sheet_for(self, product_set: str) -> Sheet:
        for sheet in self.sheets.values():
            if product_set in sheet.product_sets:
                return sheet
        raise KeyError(f"rulebook {self.rulebook.id} has no scoring sheet for product set "
                       f"{product_set!r}")


class RulebookCatalog:
    """The loaded rulebooks and which one each province runs under."""

    def __init__(self, loaded: dict[str, LoadedRulebook], default: str,
                 by_province: dict[str, str] | None = None) -> None:
        self.loaded = loaded
        self.default = default
        self.by_province = dict(by_province or {})
        for where, rulebook_id in [("default", default), *self.by_province.items()]:
            if rulebook_id not in loaded:
                raise ValueError(f"rulebook {rulebook_id!r} ({where}) is not loaded; known: "
                                 f"{', '.join(sorted(loaded))}")
            if loaded[rulebook_id].rulebook.historical:
                raise ValueError(f"rulebook {rulebook_id!r} ({where}) is historical: it reads "
                                 f"old records but runs no new evaluations")

    def for_province(self, province_code: str) -> LoadedRulebook:
        return self.loaded[self.by_province.get(province_code, self.default)]

    def get(self, rulebook_id: str) -> LoadedRulebook:
        return self.loaded[rulebook_id]
