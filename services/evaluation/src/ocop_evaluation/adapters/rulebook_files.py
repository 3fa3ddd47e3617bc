"""Read rulebooks and their scoring sheets from JSON files, refusing a bad file at start.

Layout (the shipped one is `DEFAULT_DIR`, inside the package):

    <root>/<any name>/rulebook.json      a Rulebook; `sheets` lists sheet files relative to it
    <root>/<any name>/sheets/<name>.json a Sheet

Every problem is raised as `RulebookFileError` naming the file, the path of the offending value
(pydantic's loc style, e.g. `parts.C[2].criteria[0].options`) and the reason; invalid JSON names
the line and column.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..domain.rulebook_checks import format_path, validate_rulebook
from ..domain.rulebooks import LoadedRulebook, Rulebook, Sheet

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks"
"""The rulebooks shipped with the service."""

RULEBOOK_FILE = "rulebook.json"

M = TypeVar("M", bound=BaseModel)


class RulebookFileError(Exception):
    """A rulebook or sheet file that cannot be used: `file`, `path` inside it, `reason`.
    `problems` holds every (file, path, reason) found, the first being the one named."""

    def __init__(self, file: Path, path: str, reason: str,
                 problems: list[tuple[Path, str, str]] | None = None) -> None:
        self.file, self.path, self.reason = file, path, reason
        self.problems = problems or [(file, path, reason)]
        lines = [f"{f}: {p}: {r}" for f, p, r in self.problems]
        if len(lines) > 1:
            lines.insert(1, f"({len(lines) - 1} more problem(s):)")
        super().__init__("\n".join(lines))


def _fail_all(problems: list[tuple[Path, str, str]]) -> RulebookFileError:
    file, path, reason = problems[0]
    return RulebookFileError(file, path, reason, problems)


def _read(file: Path, model: type[M]) -> M:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulebookFileError(file, "<root>", f"cannot read: {exc.strerror or exc}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise RulebookFileError(file, f"line {exc.lineno} column {exc.colno}",
                                f"invalid JSON: {exc.msg}") from None
    try:
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise _fail_all([(file, format_path(err["loc"]), err["msg"])
                         for err in exc.errors()]) from None


def load_rulebook(rulebook_json: Path) -> LoadedRulebook:
    """A rulebook with its sheets, checked together (RulebookFileError for the first problem,
    all of them in its `problems`)."""
    rulebook_json = Path(rulebook_json)
    rulebook = _read(rulebook_json, Rulebook)
    sheets: dict[str, Sheet] = {}
    files: dict[str, Path] = {}
    for i, relative in enumerate(rulebook.sheets):
        file = Path(os.path.normpath(rulebook_json.parent / relative))
        if not file.is_file():
            raise RulebookFileError(rulebook_json, f"sheets[{i}]",
                                    f"no such sheet file: {relative} (looked at {file})")
        sheet = _read(file, Sheet)
        if sheet.sheet_id in sheets:
            raise RulebookFileError(file, "sheet_id", f"sheet id {sheet.sheet_id!r} is also "
                                                      f"the id of {files[sheet.sheet_id]}")
        sheets[sheet.sheet_id] = sheet
        files[sheet.sheet_id] = file
    loaded = LoadedRulebook(rulebook=rulebook, sheets=sheets)
    problems = validate_rulebook(loaded)
    if problems:
        raise _fail_all([(files.get(p.sheet_id, rulebook_json) if p.sheet_id else rulebook_json,
                          p.path, p.reason) for p in problems])
    return loaded


def load_rulebooks(root: Path = DEFAULT_DIR) -> dict[str, LoadedRulebook]:
    """Every `<root>/*/rulebook.json`, by rulebook id (e.g. '148/2023')."""
    root = Path(root)
    files = sorted(root.glob(f"*/{RULEBOOK_FILE}"))
    if not files:
        raise RulebookFileError(root, "<root>", f"no rulebook: no */{RULEBOOK_FILE} in "
                                                "this directory")
    loaded: dict[str, LoadedRulebook] = {}
    origin: dict[str, Path] = {}
    for file in files:
        item = load_rulebook(file)
        rulebook_id = item.rulebook.id
        if rulebook_id in loaded:
            raise RulebookFileError(file, "id", f"rulebook {rulebook_id} is also defined in "
                                                f"{origin[rulebook_id]}")
        loaded[rulebook_id] = item
        origin[rulebook_id] = file
    return loaded
