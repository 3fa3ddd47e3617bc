"""What a recipient is told about an event (pure: no I/O).

`context_for(event, recipient)` gathers the facts a template receives; the wording lives in the
Jinja2 templates (`ocop_notifications/templates/<EventName>.<language>.txt`, rendered by
`adapters.templates`). Template variables:

- `event`: the event itself (its fields: product_name, score, stars, decision_number, ...);
- `recipient`: the Recipient (name, kind, language, ...); `for_producer`: whether it is the
  producer concerned (else an official, Ministry contact or council member);
- `products`: for ceremonies, the products of this producer (all of them for others);
- `min_recognised_stars`: 3 (50 points) for a product to be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocop_shared.contracts import Event

from .deliveries import RecipientKind, producer_recipient_id
from .rules import Recipient, ceremony_products

MIN_RECOGNISED_STARS = 3
"""A product needs 3 stars (50 points) or more to be recognised as an OCOP product."""


@dataclass(frozen=True)
class Message:
    subject_line: str
    body: str


def context_for(event: Event, recipient: Recipient) -> dict[str, Any]:
    """The variables of `event`'s template for `recipient`."""
    for_producer = recipient.kind is RecipientKind.PRODUCER
    products = ceremony_products(event)
    if for_producer:
        products = [p for p in products if producer_recipient_id(p.producer_id) == recipient.id]
    return {
        "event": event,
        "recipient": recipient,
        "for_producer": for_producer,
        "products": products,
        "min_recognised_stars": MIN_RECOGNISED_STARS,
    }
