"""The OCOP product classification: a code list shared by registry and evaluation.

Rulebook 148/2023 sorts products into six groups (nhóm, I-VI) and each group into product sets
(bộ sản phẩm); the product set decides which scoring sheet a product is scored on. The list is
data (`classification.json` beside this module), read and checked once at import:

    >>> product_set("tea").name_vi
    'Chè tươi, chè chế biến'
    >>> group_of("tea").code
    'I'

The file says in its `status` whether its list is the official one; today it is illustrative.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_FILE = Path(__file__).with_name("classification.json")

_KEBAB = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_ROMAN = re.compile(r"^[IVX]+$")


class ProductGroup(BaseModel):
    """A group (nhóm sản phẩm): its Roman-numeral code and names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=_ROMAN.pattern, description="I to VI")
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)


class ProductSet(BaseModel):
    """A product set (bộ sản phẩm): a stable kebab-case code, its group and names, other names
    it is printed under (e.g. on a scoring sheet), and whether a dossier must include product
    samples (tourism services have none)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=_KEBAB.pattern, max_length=100)
    group: str = Field(description="The code of its group, e.g. 'I'")
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    needs_samples: bool = True
    aliases: tuple[str, ...] = ()


class Classification(BaseModel):
    """The whole code list: groups and product sets, the rulebook it follows, and whether it is
    official (`status`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str
    rulebook: str
    version: int = Field(ge=1)
    groups: tuple[ProductGroup, ...] = Field(min_length=1)
    product_sets: tuple[ProductSet, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Classification:
        _refuse_duplicates("group", [g.code for g in self.groups])
        _refuse_duplicates("product set", [s.code for s in self.product_sets])
        known = {g.code for g in self.groups}
        for item in self.product_sets:
            if item.group not in known:
                raise ValueError(f"product set {item.code!r} is in unknown group {item.group!r}; "
                                 f"groups are {', '.join(g.code for g in self.groups)}")
        empty = known - {s.group for s in self.product_sets}
        if empty:
            raise ValueError(f"groups without a product set: {', '.join(sorted(empty))}")
        return self

    @cached_property
    def sets_by_code(self) -> dict[str, ProductSet]:
        return {s.code: s for s in self.product_sets}

    @cached_property
    def groups_by_code(self) -> dict[str, ProductGroup]:
        return {g.code: g for g in self.groups}


def _refuse_duplicates(what: str, codes: list[str]) -> None:
    repeated = sorted(code for code, count in Counter(codes).items() if count > 1)
    if repeated:
        raise ValueError(f"{what} codes appear more than once: {', '.join(repeated)}")


class UnknownProductSet(KeyError):
    """A product set code that is not in the list; says which codes are nearest."""

    def __init__(self, code: str, nearest: list[str]) -> None:
        hint = f"; did you mean {', '.join(nearest)}?" if nearest else ""
        super().__init__(f"unknown product set {code!r}{hint}")
        self.code, self.nearest = code, nearest

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def load(path: Path = DATA_FILE) -> Classification:
    """Read and check a classification file (ValueError saying what is wrong)."""
    return Classification.model_validate_json(path.read_text(encoding="utf-8"))


CLASSIFICATION: Classification = load()
"""The classification in force, checked at import."""


def product_set(code: str) -> ProductSet:
    """The product set with that code, or UnknownProductSet (a KeyError) naming the nearest."""
    try:
        return CLASSIFICATION.sets_by_code[code]
    except KeyError:
        nearest = difflib.get_close_matches(code, CLASSIFICATION.sets_by_code, n=3, cutoff=0.5)
        raise UnknownProductSet(code, nearest) from None


def group_of(code: str) -> ProductGroup:
    """The group a product set belongs to (UnknownProductSet for an unknown set)."""
    return CLASSIFICATION.groups_by_code[product_set(code).group]


def all_sets() -> tuple[ProductSet, ...]:
    """Every product set, in the file's order (group by group)."""
    return CLASSIFICATION.product_sets


def all_groups() -> tuple[ProductGroup, ...]:
    """The groups, I to VI."""
    return CLASSIFICATION.groups


def set_named(name: str) -> ProductSet:
    """The product set whose Vietnamese name or alias is `name` (case and spacing ignored),
    e.g. the product set a scoring sheet is printed for; KeyError when none is."""
    wanted = " ".join(name.split()).casefold()
    for item in CLASSIFICATION.product_sets:
        if wanted in {" ".join(n.split()).casefold() for n in (item.name_vi, *item.aliases)}:
            return item
    raise KeyError(f"no product set is named {name!r}")
