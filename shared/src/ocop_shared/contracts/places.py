"""Province and commune/ward codes, a code list shared by the services (registry, promotion),
checked against the official list (vietnam-provinces:
34 provinces and 3,321 communes/wards since 1 July 2025)."""

from __future__ import annotations

from vietnam_provinces import Province, Ward


def province_name(code: str) -> str:
    """The province's name, or ValueError saying the code is unknown."""
    if not code.isdigit():
        raise ValueError(f"province code {code!r} must be digits, e.g. '01' for Hà Nội")
    try:
        return Province.from_code(int(code)).name
    except ValueError:
        raise ValueError(f"province code {code!r} is not one of the 34 provinces") from None


def check_commune(province_code: str, commune_code: str) -> str:
    """The commune/ward's name; ValueError when unknown or in another province."""
    if not commune_code.isdigit():
        raise ValueError(f"commune code {commune_code!r} must be digits")
    try:
        ward = Ward.from_code(int(commune_code))
    except ValueError:
        raise ValueError(f"commune code {commune_code!r} is not a current commune/ward") from None
    if int(ward.province_code) != int(province_code):
        raise ValueError(f"commune {commune_code} ({ward.name}) is not in province {province_code}")
    return ward.name
