"""Training courses, participants and attendance; awareness items."""

from .metadata import metadata  # noqa: F401
