"""The shipped rulebooks load; a bad rulebook or sheet file is refused with file, path, reason."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ocop_evaluation.adapters.rulebook_files import (
    DEFAULT_DIR,
    RulebookFileError,
    load_rulebook,
    load_rulebooks,
)
from ocop_evaluation.domain.rulebooks import KnockOut
from ocop_evaluation.rulebooks import convert_1048
from ocop_shared.contracts.classification import all_sets

ALL_SETS = {s.code for s in all_sets()}


@pytest.fixture(scope="module")
def shipped():
    return load_rulebooks()


def test_the_three_rulebooks_load(shipped) -> None:
    assert set(shipped) == {"148/2023", "1489/2025", "1048/2019"}
    assert {rid: len(lr.sheets) for rid, lr in shipped.items()} == {
        "148/2023": 6, "1489/2025": 6, "1048/2019": 8}
    for loaded in shipped.values():
        covered = [code for sheet in loaded.sheets.values() for code in sheet.product_sets]
        assert sorted(covered) == sorted(ALL_SETS)


def test_levels_and_maxima(shipped) -> None:
    r148, r1489, r1048 = (shipped[k].rulebook for k in ("148/2023", "1489/2025", "1048/2019"))
    assert r148.entry_level == "district" and r148.level("district").forwards_from == 70
    assert r148.level("province").recognises == (3, 4)
    assert r1489.entry_level == "province"
    assert [rule.level for rule in r1489.levels] == ["province", "central"]
    assert r1048.historical and r1048.level("district").recognises == ()
    assert r1048.level("district").forwards_from == 50
    assert dict(r148.part_maxima) == {"A": 40, "B": 25, "C": 35}
    assert dict(r1048.part_maxima) == {"A": 35, "B": 25, "C": 40}
    for rid, loaded in shipped.items():
        for sheet in loaded.sheets.values():
            assert sheet.part_maxima() == loaded.rulebook.part_maxima, (rid, sheet.sheet_id)


def test_1489_uses_the_148_sheets(shipped) -> None:
    assert shipped["1489/2025"].sheets == shipped["148/2023"].sheets


def test_the_real_1048_sheets(shipped) -> None:
    loaded = shipped["1048/2019"]
    tea, cosmetics = loaded.sheet_for("tea"), loaded.sheet_for("cosmetics")
    assert tea.sheet_id == "tea" and tea.status == "official"
    assert cosmetics.sheet_id == "cosmetics" and cosmetics.status == "official"
    assert len(list(tea.criteria())) == 33 and len(tea.scored_criteria()) == 31
    assert len(list(cosmetics.criteria())) == 29
    assert 407 not in dict((c.id, c) for _, c in cosmetics.criteria())
    tea_criteria = {c.id: c for _, c in tea.criteria()}
    assert tea_criteria[61].options[-1].knock_out is KnockOut.ELIMINATE
    assert tea_criteria[82].options[-1].knock_out is KnockOut.STOP  # heading 81's note
    assert tea_criteria[92].options[-1].knock_out is KnockOut.STOP
    assert all(o.points == 0 for c in tea_criteria.values() for o in c.options if o.knock_out)
    cos = {c.id: c for _, c in cosmetics.criteria()}
    assert cos[32].knock_out_options == (4,)
    assert cos[52].options[-1].knock_out is KnockOut.STOP
    assert cos[59].options[-1].knock_out is KnockOut.STOP
    assert any("82" in line for line in tea.corrections)
    assert all(s.note != "NULL" for secs in tea.parts.values() for s in secs)
    # the illustrative group sheets do not also hold tea and cosmetics
    assert loaded.sheets["food"].status == "illustrative"
    assert "tea" not in loaded.sheets["food"].product_sets
    assert "cosmetics" not in loaded.sheets["herbal"].product_sets


def test_the_148_sheets_have_knock_outs_and_mandatory_criteria(shipped) -> None:
    loaded = shipped["148/2023"]
    for sheet in loaded.sheets.values():
        kinds = {o.knock_out for _, c in sheet.criteria() for o in c.options if o.knock_out}
        assert KnockOut.ELIMINATE in kinds
        if sheet.sheet_id in {"food", "beverages", "herbal"}:
            assert KnockOut.STOP in kinds
        assert sorted(sheet.mandatory) == [3, 4, 5]
        for _, criterion in sheet.scored_criteria().values():
            assert 3 <= len(criterion.options) <= 6


def test_converter_output_matches_the_committed_sheets() -> None:
    assert convert_1048.check() == []


PUBLISHED_SHA256 = "8346adbf6616af5c121bd51ba1e7b89a647f12f8d2ddfadccd3a789d13d16dd4"
"""sha256 of the transcription as published (../shared/data/scoring-sheets-1048.json)."""


def test_converter_source_is_verbatim() -> None:
    assert hashlib.sha256(convert_1048.SOURCE.read_bytes()).hexdigest() == PUBLISHED_SHA256


def test_converter_check_notices_a_changed_sheet(tmp_path: Path) -> None:
    for name, text in convert_1048.convert().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert convert_1048.check(sheets_dir=tmp_path) == []
    (tmp_path / "tea.json").write_text("{}", encoding="utf-8")
    assert convert_1048.check(sheets_dir=tmp_path) == ["tea.json"]


# --- bad files -------------------------------------------------------------------------------


@pytest.fixture
def copy148(tmp_path: Path) -> Path:
    """A writable copy of the 148 rulebook; returns its directory."""
    target = tmp_path / "148-2023"
    shutil.copytree(DEFAULT_DIR / "148-2023", target)
    return target


def _edit(file: Path, change: Callable[[Any], None]) -> None:
    data = json.loads(file.read_text(encoding="utf-8"))
    change(data)
    file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _criterion(data: dict, part: str, section: int, index: int) -> dict:
    return data["parts"][part][section]["criteria"][index]


def _more_points(data: dict) -> None:  # 2.1 idea: 3 -> 4 points
    _criterion(data, "A", 1, 0)["options"][-1]["points"] = 4


def _no_options(data: dict) -> None:  # 7.1 uniqueness
    _criterion(data, "C", 1, 0)["options"] = []


def _knock_out_with_points(data: dict) -> None:  # 1.1 raw material: its eliminate option
    _criterion(data, "A", 0, 0)["options"][-1]["points"] = 1


def _unknown_mandatory(data: dict) -> None:
    data["mandatory"]["3"][0]["criterion"] = 9999


def _drop_product_set(data: dict) -> None:
    data["product_sets"].remove("honey")


def _unknown_field(data: dict) -> None:
    _criterion(data, "B", 0, 1)["weight"] = 2


BAD_SHEETS = [
    ("part maxima", _more_points, "parts.A", "part A adds up to 41 points; rulebook 148/2023 "
                                             "sets 40"),
    ("no options", _no_options, "parts.C[1].criteria[0].options", "no options and no child"),
    ("knock-out worth points", _knock_out_with_points, "parts.A[0].criteria[0].options[4].points",
     "knock-out option (eliminate) is worth 1 points"),
    ("unknown mandatory", _unknown_mandatory, "mandatory[3][0].criterion",
     "criterion 9999 is not on this sheet"),
    ("unknown field", _unknown_field, "parts.B[0].criteria[1].weight",
     "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("change", "path", "reason"), [b[1:] for b in BAD_SHEETS],
                         ids=[b[0] for b in BAD_SHEETS])
def test_a_bad_sheet_is_refused(copy148: Path, change, path: str, reason: str) -> None:
    sheet = copy148 / "sheets" / "food.json"
    _edit(sheet, change)
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    error = caught.value
    assert error.file == sheet
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(f"{sheet}: {path}: ")


def test_a_missing_product_set_is_refused(copy148: Path) -> None:
    _edit(copy148 / "sheets" / "food.json", _drop_product_set)
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    assert caught.value.file == copy148 / "rulebook.json"
    assert caught.value.path == "sheets"
    assert caught.value.reason == "no sheet for product set(s) honey"


def test_a_product_set_on_two_sheets_is_refused(copy148: Path) -> None:
    _edit(copy148 / "sheets" / "beverages.json", lambda d: d["product_sets"].append("honey"))
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    assert caught.value.file == copy148 / "sheets" / "beverages.json"
    assert caught.value.path == "product_sets[3]"
    assert "'honey' is also on sheet 'food'" in caught.value.reason


def test_an_unknown_product_set_is_refused(copy148: Path) -> None:
    _edit(copy148 / "sheets" / "food.json", lambda d: d["product_sets"].append("honney"))
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    assert caught.value.path == "product_sets[11]"
    assert caught.value.reason.startswith("unknown product set 'honney'; did you mean honey")


def test_invalid_json_names_line_and_column(copy148: Path) -> None:
    sheet = copy148 / "sheets" / "tourism.json"
    sheet.write_text('{\n  "sheet_id": "tourism",\n  "title": oops\n}\n', encoding="utf-8")
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    assert caught.value.file == sheet
    assert caught.value.path == "line 3 column 12"
    assert caught.value.reason.startswith("invalid JSON: Expecting value")


def test_a_bad_rulebook_file_is_refused(copy148: Path) -> None:
    rulebook = copy148 / "rulebook.json"
    _edit(rulebook, lambda d: d["levels"][0].update(forwards_to="region"))
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(rulebook)
    assert caught.value.file == rulebook
    assert caught.value.path == "levels[0].forwards_to"
    assert "Input should be 'district', 'province' or 'central'" in caught.value.reason


def test_rulebook_level_checks(copy148: Path) -> None:
    rulebook = copy148 / "rulebook.json"

    def change(d: dict) -> None:
        d["entry_level"] = "central"
        d["levels"] = d["levels"][:2]
        d["star_bands"] = d["star_bands"][:-1]
    _edit(rulebook, change)
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(rulebook)
    found = {(path, reason.split(":")[0]) for _, path, reason in caught.value.problems}
    assert ("star_bands", "no band starts at 0 points") in found
    assert any(path == "entry_level" for path, _ in found)
    assert any(path == "levels[1].forwards_to" for path, _ in found)


def test_a_missing_sheet_file_is_refused(copy148: Path) -> None:
    (copy148 / "sheets" / "herbal.json").unlink()
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    assert caught.value.file == copy148 / "rulebook.json"
    assert caught.value.path == "sheets[2]"


def test_a_heading_without_children_and_a_bad_parent(copy148: Path) -> None:
    def change(d: dict) -> None:
        heading = _criterion(d, "C", 0, 0)
        for child in d["parts"]["C"][0]["criteria"][1:]:
            child["parent"] = 1  # no criterion 1 on the food sheet
        assert heading["options"] == []
    sheet = copy148 / "sheets" / "food.json"
    _edit(sheet, change)
    with pytest.raises(RulebookFileError) as caught:
        load_rulebook(copy148 / "rulebook.json")
    paths = [path for _, path, _ in caught.value.problems]
    assert "parts.C[0].criteria[1].parent" in paths
    assert "parts.C[0].criteria[0].options" in paths


def test_load_rulebooks_refuses_two_files_with_one_id(tmp_path: Path, copy148: Path) -> None:
    shutil.copytree(copy148, tmp_path / "again")
    with pytest.raises(RulebookFileError) as caught:
        load_rulebooks(tmp_path)
    assert caught.value.path == "id"
    assert "148/2023 is also defined in" in caught.value.reason


def test_load_rulebooks_refuses_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(RulebookFileError) as caught:
        load_rulebooks(tmp_path / "nothing")
    assert "no rulebook" in caught.value.reason


def test_the_service_refuses_to_start_on_a_bad_rulebook(copy148: Path) -> None:
    _edit(copy148 / "sheets" / "food.json", _more_points)
    env = {**os.environ, "OCOP_JWT_SECRET": "x" * 40,
           "OCOP_EVALUATION_RULEBOOKS_DIR": str(copy148.parent)}
    shutil.copytree(DEFAULT_DIR / "1489-2025", copy148.parent / "1489-2025")
    started = subprocess.run([sys.executable, "-m", "ocop_evaluation", "serve"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 2
    assert started.stderr.startswith("cannot start: rulebooks: ")
    assert f"{copy148 / 'sheets' / 'food.json'}: parts.A: part A adds up to 41" in started.stderr
