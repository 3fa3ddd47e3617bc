"""Inspection rules (pure: no I/O): the post-certification check (kiểm tra, hậu kiểm) of a
producer's facility for its certified products (domain.md section 7).

An inspection checks a fixed list of items, each passing, failing or not applicable with a
note; it ends in an outcome. A failed inspection can lead to a deadline to fix, a
re-evaluation or a revocation; "compliant" needs every checked item to pass."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class ChecklistItem(StrEnum):
    """What the inspection checks at the facility, each with its Vietnamese name."""

    PRODUCTION_ACTIVITY = "production_activity"
    RAW_MATERIALS = "raw_materials"
    LABOUR = "labour"
    SCALE = "scale"
    REVENUE = "revenue"
    ENVIRONMENT = "environment"
    MARKETS = "markets"
    QUALITY_MANAGEMENT = "quality_management"
    TRACEABILITY = "traceability"
    TRADEMARK = "trademark"
    LABELS_PACKAGING = "labels_packaging"
    FOOD_SAFETY_CERTIFICATES = "food_safety_certificates"
    MEETS_CRITERIA = "meets_criteria"

    @property
    def name_vi(self) -> str:
        return ITEM_NAMES_VI[self]


ITEM_NAMES_VI: dict[ChecklistItem, str] = {
    ChecklistItem.PRODUCTION_ACTIVITY: "Tình hình hoạt động sản xuất, kinh doanh",
    ChecklistItem.RAW_MATERIALS: "Nguồn nguyên liệu",
    ChecklistItem.LABOUR: "Lao động",
    ChecklistItem.SCALE: "Quy mô sản xuất",
    ChecklistItem.REVENUE: "Doanh thu",
    ChecklistItem.ENVIRONMENT: "Môi trường",
    ChecklistItem.MARKETS: "Thị trường",
    ChecklistItem.QUALITY_MANAGEMENT: "Quản lý chất lượng và hồ sơ công bố chất lượng",
    ChecklistItem.TRACEABILITY: "Truy xuất nguồn gốc (mã vạch, mã QR)",
    ChecklistItem.TRADEMARK: "Nhãn hiệu",
    ChecklistItem.LABELS_PACKAGING: "Nhãn mác, bao bì",
    ChecklistItem.FOOD_SAFETY_CERTIFICATES: "Hiệu lực giấy chứng nhận an toàn thực phẩm",
    ChecklistItem.MEETS_CRITERIA: "Sản phẩm còn đáp ứng tiêu chí OCOP",
}


class ItemResult(StrEnum):
    PASS = "pass"  # noqa: S105
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


class Outcome(StrEnum):
    COMPLIANT = "compliant"
    FIX_BY_DEADLINE = "fix_by_deadline"
    RECOMMEND_REEVALUATION = "recommend_reevaluation"
    RECOMMEND_REVOCATION = "recommend_revocation"

    @property
    def name_vi(self) -> str:
        return OUTCOME_NAMES_VI[self]


OUTCOME_NAMES_VI: dict[Outcome, str] = {
    Outcome.COMPLIANT: "Đạt yêu cầu",
    Outcome.FIX_BY_DEADLINE: "Khắc phục trong thời hạn",
    Outcome.RECOMMEND_REEVALUATION: "Đề nghị đánh giá lại",
    Outcome.RECOMMEND_REVOCATION: "Đề nghị thu hồi",
}


class InspectionStatus(StrEnum):
    PLANNED = "planned"
    RECORDED = "recorded"


STAR_RAISING_PROCESSES = ("iso", "haccp", "vietgap", "globalgap", "organic", "other")
"""The processes a producer may plan to raise its stars through (free text allowed too)."""


@dataclass(frozen=True)
class CheckedItem:
    """One item's result (for one product, or the facility as a whole when None)."""

    item: ChecklistItem
    result: ItemResult
    note: str | None = None
    product_id: str | None = None


class InvalidInspection(Exception):
    """An inspection record that breaks a rule; `field` names the input at fault."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class AlreadyRecorded(Exception):
    """An inspection is recorded once."""


def failed(results: Iterable[CheckedItem]) -> list[CheckedItem]:
    return [r for r in results if r.result is ItemResult.FAIL]


def check_results(results: Iterable[CheckedItem]) -> None:
    """At least one item checked; an item at most once per product; a failure explained."""
    results = list(results)
    if not results:
        raise InvalidInspection("no_items", "an inspection records at least one item",
                                "items")
    seen: set[tuple[ChecklistItem, str | None]] = set()
    for index, r in enumerate(results):
        key = (r.item, r.product_id)
        if key in seen:
            raise InvalidInspection(
                "duplicate_item", f"item {r.item.value} is recorded twice"
                + (f" for product {r.product_id}" if r.product_id else ""), f"items.{index}")
        seen.add(key)
        if r.result is ItemResult.FAIL and not (r.note or "").strip():
            raise InvalidInspection(
                "note_required", f"a failed item ({r.item.value}) needs a note saying why",
                f"items.{index}.note")


def check_outcome(results: Iterable[CheckedItem], outcome: Outcome, deadline: date | None,
                  inspected_on: date | None = None) -> None:
    """Refuse an outcome the results do not support: "compliant" with a failed item (or
    with nothing passing), "fix_by_deadline" without a deadline after the inspection date
    or with nothing failed, a deadline for another outcome."""
    results = list(results)
    bad = failed(results)
    if outcome is Outcome.COMPLIANT:
        if bad:
            raise InvalidInspection(
                "compliant_with_failures",
                "an inspection with failed items ("
                + ", ".join(sorted({r.item.value for r in bad})) + ") cannot be compliant",
                "outcome")
        if not any(r.result is ItemResult.PASS for r in results):
            raise InvalidInspection("nothing_passed",
                                    "a compliant inspection needs at least one passed item",
                                    "outcome")
    if outcome is Outcome.FIX_BY_DEADLINE:
        if deadline is None:
            raise InvalidInspection("deadline_required",
                                    "fix_by_deadline needs a deadline", "deadline")
        if inspected_on is not None and deadline <= inspected_on:
            raise InvalidInspection(
                "deadline_too_early",
                f"the deadline ({deadline}) must be after the inspection ({inspected_on})",
                "deadline")
        if not bad:
            raise InvalidInspection("nothing_to_fix",
                                    "fix_by_deadline needs at least one failed item", "outcome")
    elif deadline is not None:
        raise InvalidInspection("deadline_not_allowed",
                                f"a deadline is only set with fix_by_deadline, not {outcome}",
                                "deadline")


def check_dates(inspected_on: date, today: date) -> None:
    """An inspection is recorded after it happened (not in the future)."""
    if inspected_on > today:
        raise InvalidInspection("inspected_in_future",
                                f"inspected_on ({inspected_on}) is in the future",
                                "inspected_on")


def check_recordable(status: InspectionStatus) -> None:
    if status is not InspectionStatus.PLANNED:
        raise AlreadyRecorded("the inspection is already recorded")


def findings_summary(findings: str | None, results: Iterable[CheckedItem],
                     limit: int = 500) -> str:
    """A short summary for the event: the failed items by name, then the findings text."""
    bad = failed(results)
    parts = []
    if bad:
        parts.append("Không đạt: " + "; ".join(dict.fromkeys(r.item.name_vi for r in bad)))
    if findings and findings.strip():
        parts.append(findings.strip())
    text = ". ".join(parts) or "Không có phát hiện"
    return text if len(text) <= limit else text[: limit - 1] + "…"
