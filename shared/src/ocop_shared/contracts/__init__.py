"""Integration event contracts: payload models, the CloudEvents envelope, subjects."""

from . import evaluation, notifications, promotion, registry
from .base import SERVICES, Event, event_class
from .envelope import MSG_ID_HEADER, Envelope, EnvelopeError

__all__ = [
    "SERVICES",
    "MSG_ID_HEADER",
    "Envelope",
    "EnvelopeError",
    "Event",
    "event_class",
    "evaluation",
    "notifications",
    "promotion",
    "registry",
]
