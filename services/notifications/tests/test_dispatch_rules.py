"""The dispatcher's decisions after an attempt: delivered, retry with growing delays, failed at
the cap; an endpoint's pause after consecutive failures."""

from __future__ import annotations

import random
from datetime import timedelta

from ocop_notifications.domain.dispatch import Outcome, after_attempt, endpoint_after

RULES = {"max_attempts": 4, "base_seconds": 10.0, "cap_seconds": 60.0}


def test_success_delivers_at_any_attempt() -> None:
    for attempt in (1, 3, 4):
        decision = after_attempt(attempt, True, **RULES)
        assert decision.outcome is Outcome.DELIVERED
        assert decision.attempt == attempt
        assert decision.retry_in is None


def test_failures_retry_with_exponential_jittered_capped_delays() -> None:
    rng = random.Random(7)
    delays = [after_attempt(n, False, rng=rng, **RULES).retry_in for n in (1, 2, 3)]
    for n, delay in zip((1, 2, 3), delays, strict=True):
        ceiling = min(60.0, 10.0 * 2 ** (n - 1))
        assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)
    # the ceilings double (10, 20, 40), so even with jitter each window starts above the last
    assert delays[2] > delays[0]
    capped = after_attempt(3, False, max_attempts=10, base_seconds=10, cap_seconds=15,
                           rng=rng).retry_in
    assert capped <= timedelta(seconds=15)


def test_the_last_attempt_fails_for_good() -> None:
    assert after_attempt(3, False, **RULES).outcome is Outcome.RETRY
    decision = after_attempt(4, False, **RULES)
    assert decision.outcome is Outcome.FAILED
    assert decision.retry_in is None
    assert after_attempt(1, False, max_attempts=1, base_seconds=1,
                         cap_seconds=1).outcome is Outcome.FAILED


def test_an_endpoint_rests_after_n_consecutive_failures_and_a_success_clears_it() -> None:
    rules = {"pause_after": 3, "pause_seconds": 900.0}
    first = endpoint_after(0, False, **rules)
    second = endpoint_after(first.consecutive_failures, False, **rules)
    third = endpoint_after(second.consecutive_failures, False, **rules)
    assert (first.consecutive_failures, first.pause_for) == (1, None)
    assert (second.consecutive_failures, second.pause_for) == (2, None)
    assert (third.consecutive_failures, third.pause_for) == (3, timedelta(seconds=900))
    # after the rest, one more failure pauses it again; a success resets everything
    assert endpoint_after(3, False, **rules).pause_for == timedelta(seconds=900)
    assert endpoint_after(3, True, **rules) == endpoint_after(0, True, **rules)
    assert endpoint_after(3, True, **rules).consecutive_failures == 0
