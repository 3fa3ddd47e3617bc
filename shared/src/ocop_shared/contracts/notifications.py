"""Events the notifications service publishes (stream OCOP_NOTIFICATIONS)."""

from __future__ import annotations

import uuid

from .base import Event


class NotificationDelivered(Event, service="notifications", entity="notification"):
    delivery_id: uuid.UUID
    source_event_id: uuid.UUID
    source_event_type: str
    recipient_id: str
    channel: str


class NotificationFailed(Event, service="notifications", entity="notification"):
    delivery_id: uuid.UUID
    source_event_id: uuid.UUID
    source_event_type: str
    recipient_id: str
    channel: str
    error: str
