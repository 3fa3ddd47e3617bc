"""Search the way a Vietnamese user types: "che" finds "Chè", "mat ong" finds "Mật ong",
"duong" finds "Đường". Pure text folding, no I/O: stored beside each record and applied to
the query, so the database needs no extension."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, without tone marks or diacritics (đ -> d), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip().lower()


def search_text(*parts: str | None) -> str:
    """The folded text a record is searched by."""
    return fold(" ".join(p for p in parts if p))


def like_pattern(query: str) -> str:
    """A LIKE pattern matching every folded word of `query`, in order, anywhere."""
    words = [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
             for w in fold(query).split(" ") if w]
    return "%" + "%".join(words) + "%"
