"""Dossier rules (pure: no I/O): the document types a product's dossier (hồ sơ) holds and
which are mandatory for a product set (domain.md section 6, Decision 1048 / rulebook 148).

    >>> from ocop_shared.contracts.classification import product_set
    >>> [t.value for t in missing_items(product_set("community-tourism"), {"registration_form"})]
    ['business_plan', 'organisation_introduction', 'business_registration']
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from ocop_shared.contracts.classification import ProductSet


class DocumentType(StrEnum):
    """A kind of document in a dossier; `name_vi` is how forms and letters name it."""

    name_vi: str

    def __new__(cls, code: str, name_vi: str) -> DocumentType:
        member = str.__new__(cls, code)
        member._value_ = code
        member.name_vi = name_vi
        return member

    REGISTRATION_FORM = ("registration_form", "Phiếu đăng ký sản phẩm OCOP")
    BUSINESS_PLAN = ("business_plan", "Phương án/kế hoạch kinh doanh")
    ORGANISATION_INTRODUCTION = ("organisation_introduction",
                                 "Bản giới thiệu tổ chức, cá nhân đăng ký")
    BUSINESS_REGISTRATION = ("business_registration",
                             "Giấy chứng nhận đăng ký kinh doanh (bản sao công chứng)")
    PRODUCT_SAMPLES = ("product_samples", "Mẫu sản phẩm (05 mẫu)")
    FOOD_SAFETY_CERTIFICATE = ("food_safety_certificate",
                               "Giấy chứng nhận đủ điều kiện sản xuất / an toàn thực phẩm")
    QUALITY_DECLARATION = ("quality_declaration",
                           "Bản công bố chất lượng và kết quả kiểm nghiệm")
    BARCODE_QR = ("barcode_qr", "Mã số mã vạch / mã QR truy xuất nguồn gốc")
    INTELLECTUAL_PROPERTY = ("intellectual_property",
                             "Sở hữu trí tuệ / chỉ dẫn địa lý")
    RAW_MATERIAL_CONTRACTS = ("raw_material_contracts", "Hợp đồng liên kết nguyên liệu")
    ENVIRONMENTAL_PAPERS = ("environmental_papers", "Hồ sơ về môi trường")
    QUALITY_MANAGEMENT = ("quality_management",
                          "Chứng nhận hệ thống quản lý chất lượng (ISO 22000, HACCP, GMP, "
                          "VietGAP, GlobalGAP, hữu cơ)")
    ACCOUNTING = ("accounting", "Hồ sơ kế toán")
    MARKET_EVIDENCE = ("market_evidence", "Minh chứng thị trường, phân phối sản phẩm")
    PRODUCT_STORY = ("product_story", "Câu chuyện sản phẩm")
    AWARDS = ("awards", "Giải thưởng, bằng khen")


BASE_MANDATORY: tuple[DocumentType, ...] = (
    DocumentType.REGISTRATION_FORM,
    DocumentType.BUSINESS_PLAN,
    DocumentType.ORGANISATION_INTRODUCTION,
    DocumentType.BUSINESS_REGISTRATION,
)
"""Mandatory for every product set."""

FOOD_SAFETY_GROUPS: frozenset[str] = frozenset({"I", "II", "III"})
"""The groups whose products need a production / food-safety certificate: food, beverages,
herbal products. The rulebook says "where the product set requires it" without a list, so
this is decided by group here; it is a rule worth making configuration (per product set)
once provinces confirm it."""


def mandatory_items(product_set: ProductSet) -> list[DocumentType]:
    """The mandatory documents for a product of `product_set`, in the rulebook's order:
    the four papers, 5 samples unless the set needs none (tourism services), and the
    food-safety certificate for groups in FOOD_SAFETY_GROUPS."""
    items = list(BASE_MANDATORY)
    if product_set.needs_samples:
        items.append(DocumentType.PRODUCT_SAMPLES)
    if product_set.group in FOOD_SAFETY_GROUPS:
        items.append(DocumentType.FOOD_SAFETY_CERTIFICATE)
    return items


def missing_items(product_set: ProductSet, present_types: Iterable[str]) -> list[DocumentType]:
    """The mandatory documents of `product_set` not among `present_types` (codes), in order."""
    present = {str(t) for t in present_types}
    return [t for t in mandatory_items(product_set) if t.value not in present]


def describe(items: Iterable[DocumentType]) -> str:
    """'code (name), ...' for a message."""
    return "; ".join(f"{t.value} ({t.name_vi})" for t in items)
