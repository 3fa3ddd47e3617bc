"""The notifications service: tells producers what happened to their products."""

__version__ = "0.1.0"
