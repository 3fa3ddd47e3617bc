"""The registry service: the province's book of record for producers and products."""

__version__ = "0.1.0"
