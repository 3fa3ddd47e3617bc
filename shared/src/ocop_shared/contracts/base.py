"""The base of every integration event: its name, subject and version are class-level facts.

Subjects follow `ocop.<service>.<entity>.<event>.v<N>`; the CloudEvents `type` is
`ocop.<service>.<EventName>.v<N>`. A breaking change is a new class with a higher version,
published beside the old one for a while.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

SERVICES = ("registry", "evaluation", "promotion", "notifications")

ENTITY_ID_FIELDS = (
    "product_id", "ceremony_id", "producer_id", "evaluation_id", "delivery_id", "fair_id",
    "outlet_id", "buyer_id", "id",
)
"""Payload fields that name the entity an event is about, most specific first."""

_TOKEN = re.compile(r"^[a-z][a-z0-9-]*$")


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


class Event(BaseModel):
    """An integration event payload. Subclasses declare where they belong:

    class ProductRegistered(Event, service="registry", entity="product"): ...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Class-level facts; prefixed so they never collide with payload fields such as `name`.
    contract_service: ClassVar[str]
    contract_entity: ClassVar[str]
    contract_version: ClassVar[int]
    event_name: ClassVar[str]
    catalogue: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(
        cls, *, service: str, entity: str, version: int = 1, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if service not in SERVICES:
            raise ValueError(f"{cls.__name__}: unknown service {service!r}")
        if not _TOKEN.match(entity):
            raise ValueError(f"{cls.__name__}: entity {entity!r} must be lower-case kebab")
        if version < 1:
            raise ValueError(f"{cls.__name__}: version must be >= 1")
        cls.contract_service, cls.contract_entity = service, entity
        cls.contract_version, cls.event_name = version, cls.__name__
        event_type = cls.event_type()
        if event_type in Event.catalogue:
            raise ValueError(f"event type {event_type} declared twice")
        Event.catalogue[event_type] = cls

    @classmethod
    def subject(cls) -> str:
        """The NATS subject, e.g. ocop.registry.product.submitted-for-evaluation.v1."""
        action = _kebab(cls.event_name)
        prefix = cls.contract_entity + "-"
        if action.startswith(prefix):
            action = action[len(prefix) :]
        return f"ocop.{cls.contract_service}.{cls.contract_entity}.{action}.v{cls.contract_version}"

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents `type` attribute, e.g. ocop.registry.ProductRegistered.v1."""
        return f"ocop.{cls.contract_service}.{cls.event_name}.v{cls.contract_version}"

    def entity_id(self) -> str | None:
        """The CloudEvents `subject`: the id of the entity this event is about."""
        fields = type(self).model_fields
        for field in ENTITY_ID_FIELDS:
            if field in fields and (value := getattr(self, field)) is not None:
                return str(value)
        return None


def event_class(event_type: str) -> type[Event]:
    """The payload class for a CloudEvents type; KeyError names the unknown type."""
    try:
        return Event.catalogue[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
