"""Convert the published 1048 scoring sheets (verbatim transcription) into rulebook sheets.

    python -m ocop_evaluation.rulebooks.convert_1048          # write 1048-2019/sheets/*.json
    python -m ocop_evaluation.rulebooks.convert_1048 --check  # exit 1 if they differ

The source, `1048-2019/source/scoring-sheets-1048.json`, is a verbatim copy of the sheets for
fresh/processed tea and cosmetics published under 1048/QĐ-TTg. The converter keeps texts, ids,
points, parents and section names as they are and applies only these corrections, each recorded
in the sheet's `corrections`:

(a) criteria listed in `DROPPED` (cosmetics 407 and 408: empty duplicates of 32 and 33, with no
    options and no children) are dropped;
(b) a knock-out note becomes a knock-out option worth 0 points, appended to the criterion the
    note belongs to (to its first child when the note is on a heading): "Bị loại nếu ..." ->
    `eliminate`; "Không đánh giá các bước tiếp theo nếu ..." and "Nếu có các tạp chất không
    chấp nhận được ... sẽ không đánh giá các bước tiếp theo" -> `stop`; the note itself stays;
(c) the literal string "NULL" in a note becomes null.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from ocop_shared.contracts.classification import set_named

from ..domain.rulebooks import KnockOut, Sheet

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "1048-2019" / "source" / "scoring-sheets-1048.json"
SHEETS_DIR = HERE / "1048-2019" / "sheets"

DROPPED: dict[str, dict[int, str]] = {
    "cosmetics": {
        407: "an empty duplicate of criterion 32 '1.1. Nguồn nguyên liệu' (same text and note, "
             "no options, no children)",
        408: "an empty duplicate of criterion 33 '1.2. Gia tăng giá trị' (same text, no "
             "options, no children)",
    },
}
"""Product set -> criterion id -> why it is dropped."""

KNOCK_OUT_NOTES: tuple[tuple[re.Pattern[str], KnockOut, str], ...] = (
    (re.compile(r"Bị loại nếu (?P<condition>.+?)\s*$"), KnockOut.ELIMINATE, ""),
    (re.compile(r"Không đánh giá các bước tiếp theo nếu (?P<condition>.+?)\s*$"),
     KnockOut.STOP, ""),
    (re.compile(r"Nếu có (?P<condition>các tạp chất không chấp nhận được.+?)\s*sẽ không đánh "
                r"giá các bước tiếp theo"), KnockOut.STOP, "Có "),
)
"""Note pattern -> what the knock-out does, and the prefix that makes the condition a sentence."""

SOURCE_NAME = ("1048/QĐ-TTg (2019), phiếu đánh giá sản phẩm '{name}'; transcribed from a public "
               "project's seed data, kept verbatim in 1048-2019/source/scoring-sheets-1048.json "
               "and converted by ocop_evaluation.rulebooks.convert_1048")


def _sentence(prefix: str, condition: str) -> str:
    text = prefix + condition if prefix else condition
    return text[0].upper() + text[1:]


def _note(value: str | None) -> str | None:
    return None if value == "NULL" else value


def convert_sheet(source: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """One published sheet -> (product set code, Sheet as a JSON-ready dict)."""
    code = set_named(source["product_set"]).code
    corrections: list[str] = []
    dropped = DROPPED.get(code, {})
    for criterion_id, why in dropped.items():
        corrections.append(f"Criterion {criterion_id} dropped: {why}.")

    parts: dict[str, list[dict[str, Any]]] = {}
    nulls = 0
    for part, sections in source["parts"].items():
        out_sections = []
        for section in sections:
            criteria = []
            for criterion in section["criteria"]:
                if criterion["id"] in dropped:
                    continue
                if criterion["note"] == "NULL":
                    nulls += 1
                criteria.append({
                    "id": criterion["id"],
                    "criterion": criterion["criterion"],
                    "note": _note(criterion["note"]),
                    "parent": criterion["parent"],
                    "options": [{"text": o["text"], "points": o["points"]}
                                for o in criterion["options"]],
                })
            if section["note"] == "NULL":
                nulls += 1
            out_sections.append({"section": section["section"], "note": _note(section["note"]),
                                 "criteria": criteria})
        parts[part] = out_sections

    missing = set(dropped) - {c["id"] for secs in source["parts"].values() for s in secs
                              for c in s["criteria"]}
    if missing:
        raise ValueError(f"{code}: criteria to drop are not in the source: {sorted(missing)}")

    everything = [c for secs in parts.values() for s in secs for c in s["criteria"]]
    for criterion in everything:
        note = criterion["note"] or ""
        for pattern, knock_out, prefix in KNOCK_OUT_NOTES:
            found = pattern.search(note)
            if not found:
                continue
            target = criterion
            if not criterion["options"]:
                children = [c for c in everything if c["parent"] == criterion["id"]]
                if not children:
                    raise ValueError(f"{code}: knock-out note on heading {criterion['id']} "
                                     "without children")
                target = children[0]
            text = _sentence(prefix, found["condition"])
            target["options"].append({"text": text, "points": 0, "knock_out": str(knock_out)})
            where = (f"criterion {criterion['id']}" if target is criterion else
                     f"the first child of heading {criterion['id']} "
                     f"'{criterion['criterion']}', criterion {target['id']} "
                     f"'{target['criterion']}' (a heading has no options to pick)")
            corrections.append(f"Knock-out note of criterion {criterion['id']} ({note!r}) "
                               f"became a 0-point option '{text}' with knock_out "
                               f"'{knock_out}', appended to {where}; the note is kept.")
            break
        else:
            if re.search(r"bị loại|các bước tiếp theo", note, re.IGNORECASE):
                raise ValueError(f"{code}: criterion {criterion['id']} has a knock-out note "
                                 f"the converter does not know: {note!r}")
    if nulls:
        corrections.append(f"The literal string 'NULL' in {nulls} note(s) became null.")

    sheet = {
        "sheet_id": code,
        "title": f"Phiếu đánh giá sản phẩm: {source['product_set']} (1048/QĐ-TTg)",
        "status": "official",
        "source": SOURCE_NAME.format(name=source["product_set"]),
        "product_sets": [code],
        "corrections": corrections,
        "mandatory": {},
        "parts": parts,
    }
    Sheet.model_validate(sheet)  # the converted sheet must be a valid Sheet
    return code, sheet


def render(sheet: dict[str, Any]) -> str:
    return json.dumps(sheet, ensure_ascii=False, indent=1) + "\n"


def convert(source_file: Path = SOURCE) -> dict[str, str]:
    """Sheet file name -> its text, as the converter produces it."""
    source = json.loads(source_file.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for published in source:
        code, sheet = convert_sheet(published)
        out[f"{code}.json"] = render(sheet)
    return out


def check(source_file: Path = SOURCE, sheets_dir: Path = SHEETS_DIR) -> list[str]:
    """Names of the committed sheet files that differ from the converter's output (or are
    missing); empty when they match."""
    differ = []
    for name, text in convert(source_file).items():
        file = sheets_dir / name
        if not file.is_file() or file.read_text(encoding="utf-8") != text:
            differ.append(name)
    return differ


def write(source_file: Path = SOURCE, sheets_dir: Path = SHEETS_DIR) -> list[Path]:
    sheets_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in convert(source_file).items():
        (sheets_dir / name).write_text(text, encoding="utf-8")
        written.append(sheets_dir / name)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ocop_evaluation.rulebooks.convert_1048",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the committed sheets differ from the converter's output")
    args = parser.parse_args(argv)
    if args.check:
        differ = check()
        for name in differ:
            print(f"{SHEETS_DIR / name}: differs from the converter's output", file=sys.stderr)
        return 1 if differ else 0
    for file in write():
        print(f"wrote {file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
