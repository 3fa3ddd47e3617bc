"""The CloudEvents envelope, carried in NATS headers (binary content mode).

`id` is the outbox row id, the `Nats-Msg-Id` JetStream deduplicates on, and the consumers'
inbox key. Correlation and causation ids are CloudEvents extension attributes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

SPEC_VERSION = "1.0"
MSG_ID_HEADER = "Nats-Msg-Id"
_HEADERS = {
    "id": "ce-id",
    "source": "ce-source",
    "type": "ce-type",
    "time": "ce-time",
    "subject": "ce-subject",
    "specversion": "ce-specversion",
    "correlation_id": "ce-correlationid",
    "causation_id": "ce-causationid",
}


class EnvelopeError(ValueError):
    """A message whose headers are not a valid CloudEvents envelope."""


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    source: str
    type: str
    time: datetime
    subject: str | None = None
    specversion: str = SPEC_VERSION
    correlation_id: str
    causation_id: str | None = None
    datacontenttype: str = "application/json"

    @classmethod
    def new(
        cls,
        *,
        source: str,
        type: str,
        subject: str | None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        id: uuid.UUID | None = None,
        time: datetime | None = None,
    ) -> Envelope:
        event_id = id or uuid.uuid4()
        return cls(
            id=event_id,
            source=source,
            type=type,
            time=time or datetime.now(UTC),
            subject=subject,
            correlation_id=correlation_id or event_id.hex,
            causation_id=causation_id,
        )

    def structured(self, data: object) -> dict:
        """The event in CloudEvents' structured JSON mode (what a webhook receives): the
        attributes and `data`; the extensions as `correlationid` and `causationid`."""
        event = {"specversion": self.specversion, "id": str(self.id), "source": self.source,
                 "type": self.type, "time": self.time.isoformat(),
                 "datacontenttype": self.datacontenttype, "correlationid": self.correlation_id,
                 "data": data}
        if self.subject is not None:
            event["subject"] = self.subject
        if self.causation_id is not None:
            event["causationid"] = self.causation_id
        return event

    def to_headers(self) -> dict[str, str]:
        headers = {MSG_ID_HEADER: str(self.id), "content-type": self.datacontenttype}
        for attr, header in _HEADERS.items():
            value = getattr(self, attr)
            if value is None:
                continue
            headers[header] = value.isoformat() if isinstance(value, datetime) else str(value)
        return headers

    @classmethod
    def from_headers(cls, headers: dict[str, str] | None) -> Envelope:
        headers = headers or {}
        values = {attr: headers.get(h) for attr, h in _HEADERS.items() if headers.get(h)}
        missing = [_HEADERS[a] for a in ("id", "source", "type", "time") if a not in values]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        values.setdefault("correlation_id", values["id"])
        if "content-type" in headers:
            values["datacontenttype"] = headers["content-type"]
        try:
            return cls.model_validate(values)
        except ValueError as exc:
            raise EnvelopeError(f"invalid CloudEvents headers: {exc}") from exc


__all__ = ["Envelope", "EnvelopeError", "MSG_ID_HEADER", "SPEC_VERSION"]
