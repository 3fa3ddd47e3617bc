"""OCOP outlets (điểm giới thiệu và bán sản phẩm OCOP) and their listings."""

from .metadata import metadata  # noqa: F401
