"""What the dispatcher decides after each attempt (pure: no I/O).

- A delivery: delivered on success; otherwise retried after `retry_delay` (exponential with
  jitter) until attempt `max_attempts`, which fails it for good (NotificationFailed).
- A webhook endpoint: its consecutive failures reset on any success; once they reach
  `pause_after_failures` the endpoint rests for `pause_seconds` (its deliveries are not
  attempted meanwhile). After the rest one more failure pauses it again, a success clears it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from .deliveries import retry_delay


class SendFailed(Exception):
    """A channel refused or could not take a message; `detail` is short and safe to log and
    store, e.g. "HTTP 503", "SMTP 550 mailbox unavailable", "timeout after 10 s"."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    attempt: int
    """The number of the attempt just made (1, 2, ...): the delivery's new `attempts`."""
    retry_in: timedelta | None = None
    """When `outcome` is RETRY: how long until the next attempt."""


def after_attempt(attempt: int, succeeded: bool, *, max_attempts: int, base_seconds: float,
                  cap_seconds: float, rng: random.Random | None = None) -> Decision:
    """The delivery's fate after attempt number `attempt`."""
    if succeeded:
        return Decision(Outcome.DELIVERED, attempt)
    if attempt >= max_attempts:
        return Decision(Outcome.FAILED, attempt)
    return Decision(Outcome.RETRY, attempt,
                    retry_delay(attempt, base_seconds, cap_seconds, rng))


@dataclass(frozen=True)
class EndpointState:
    consecutive_failures: int
    pause_for: timedelta | None = None
    """Set when this attempt pauses the endpoint (for that long, from now)."""


def endpoint_after(consecutive_failures: int, succeeded: bool, *, pause_after: int,
                   pause_seconds: float) -> EndpointState:
    """An endpoint's failure count after an attempt, and whether it must now rest."""
    if succeeded:
        return EndpointState(0)
    failures = consecutive_failures + 1
    if failures >= pause_after:
        return EndpointState(failures, timedelta(seconds=pause_seconds))
    return EndpointState(failures)
