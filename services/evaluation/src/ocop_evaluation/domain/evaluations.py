"""An evaluation's lifecycle (pure: no I/O).

pending (the registry submitted the product) -> completed (the council's final score stands).
Councils, rounds, members' score sheets and the recognition decision workflow come in a later
issue; they will add states between these two.
"""

from __future__ import annotations

from enum import StrEnum


class EvaluationStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


PROVINCE_LEVEL = "province"
"""The level this thin flow evaluates at (the `Level` of the evaluation contracts)."""


def provincial_authority(province_code: str) -> str:
    """Who recognises 3-4 stars: the Provincial People's Committee, e.g. "UBND tỉnh 01"."""
    return f"UBND tỉnh {province_code}"


def provincial_decision_number(number: int) -> str:
    """A provincial decision's number as written on it, e.g. "12/QĐ-UBND"."""
    return f"{number}/QĐ-UBND"


def dossier_reference(product_id: object) -> str:
    """Where the dossier sent to the Ministry is filed (a placeholder until dossiers exist)."""
    return f"dossier/{product_id}"
