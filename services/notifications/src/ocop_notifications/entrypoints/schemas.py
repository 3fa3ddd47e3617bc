"""Response bodies of the notifications HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class DeliveryOut(BaseModel):
    """One notification as delivered to one recipient on one channel."""

    id: uuid.UUID
    source_event_id: uuid.UUID
    source_event_type: str
    recipient_id: str
    province_code: str | None
    channel: str
    status: str
    subject_line: str
    body: str
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None
