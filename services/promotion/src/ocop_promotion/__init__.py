"""The promotion service: what happens after recognition (announcement ceremonies first)."""

__version__ = "0.1.0"
