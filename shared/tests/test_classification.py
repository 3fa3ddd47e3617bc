"""The product classification code list: the file is complete and consistent, lookups name
what is wrong, and a broken file is refused when it is loaded."""

import json
from pathlib import Path

import pytest

from ocop_shared.contracts.classification import (
    CLASSIFICATION,
    DATA_FILE,
    UnknownProductSet,
    all_groups,
    all_sets,
    group_of,
    load,
    product_set,
    set_named,
)

SCORING_SHEETS = Path("/work/shared/data/scoring-sheets-1048.json")


def test_the_six_groups_of_148_and_their_sets() -> None:
    assert [g.code for g in all_groups()] == ["I", "II", "III", "IV", "V", "VI"]
    assert group_of("tea").name_vi == "Thực phẩm"
    assert group_of("textiles").name_vi == "Thủ công mỹ nghệ"  # textiles are handicrafts
    assert 26 <= len(all_sets()) <= 32
    assert CLASSIFICATION.status.startswith("illustrative")
    assert product_set("tea").name_vi == "Chè tươi, chè chế biến"


def test_only_tourism_services_need_no_samples() -> None:
    without_samples = {s.group for s in all_sets() if not s.needs_samples}
    assert without_samples == {"VI"}
    assert all(s.needs_samples for s in all_sets() if s.group != "VI")


def test_unknown_code_is_a_key_error_naming_the_nearest() -> None:
    with pytest.raises(KeyError) as raised:
        product_set("tee")
    assert isinstance(raised.value, UnknownProductSet)
    assert str(raised.value) == "unknown product set 'tee'; did you mean tea, textiles?"
    assert raised.value.nearest[0] == "tea"
    with pytest.raises(UnknownProductSet, match="'zzz'$"):
        group_of("zzz")


@pytest.mark.skipif(not SCORING_SHEETS.exists(), reason="the real sheets are not here")
def test_the_real_scoring_sheets_name_known_sets() -> None:
    sheets = json.loads(SCORING_SHEETS.read_text(encoding="utf-8"))
    assert [set_named(s["product_set"]).code for s in sheets] == ["tea", "cosmetics"]
    with pytest.raises(KeyError, match="no product set is named"):
        set_named("Xe máy")


def _broken(tmp_path: Path, change) -> Path:  # noqa: ANN001
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "classification.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["product_sets"].append(dict(d["product_sets"][0])),
     "product set codes appear more than once: fresh-produce"),
    (lambda d: d["product_sets"][0].update(group="VII"),
     "product set 'fresh-produce' is in unknown group 'VII'"),
    (lambda d: d["product_sets"][0].update(code="Fresh Produce"), "string_pattern_mismatch|"
                                                                  "should match pattern"),
    (lambda d: d["groups"].append({"code": "VII", "name_vi": "x", "name_en": "x"}),
     "groups without a product set: VII"),
])
def test_a_broken_file_is_refused_on_load(tmp_path: Path, change, message: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=message):
        load(_broken(tmp_path, change))
