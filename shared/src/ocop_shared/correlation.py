"""Correlation and causation ids of the work in progress (an HTTP request or a consumed event).

The outbox reads them so every event carries the id of the request that started the chain
(correlation) and of the event that caused it (causation).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("causation_id", default=None)


def current_correlation_id() -> str:
    """The correlation id in force, or a fresh one when none is set."""
    return correlation_id_var.get() or uuid.uuid4().hex
