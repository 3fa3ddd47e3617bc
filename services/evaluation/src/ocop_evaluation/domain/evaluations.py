"""An evaluation's lifecycle (pure: no I/O).

    awaiting_round --(a round of its council opens)--> in_round
    in_round --(a quorum scored, totals within the spread)--> scored   (EvaluationCompleted)
    in_round --(totals too far apart)--> rescore_required --(named members rescore)--> in_round
    scored --(the round closes: the council proposes)--> proposed | not_recognised
    proposed --(the authority's decision)--> decided   (ProductRecognized, forwarding,
                                                        RecognitionWithdrawn)

An evaluation opened on a product's submission runs at the rulebook's entry level (district
under 148, province under 1489); one forwarded by a decision runs at the next level.
"""

from __future__ import annotations

from enum import StrEnum


class EvaluationStatus(StrEnum):
    AWAITING_ROUND = "awaiting_round"
    IN_ROUND = "in_round"
    RESCORE_REQUIRED = "rescore_required"
    SCORED = "scored"
    PROPOSED = "proposed"
    NOT_RECOGNISED = "not_recognised"
    DECIDED = "decided"


SCORING = frozenset({EvaluationStatus.IN_ROUND, EvaluationStatus.RESCORE_REQUIRED})
"""Members may submit sheets in these states."""

class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def authority_name(authority: str, level: str, province_code: str | None) -> str:
    """Who decides, as written on events: "UBND tỉnh 01"; the Ministry is named alone."""
    if level == "central" or not province_code:
        return authority
    return f"{authority} {province_code}"


def dossier_reference(product_code: str, evaluation_id: object) -> str:
    """How the dossier sent up with a referral is filed."""
    return f"ocop/{product_code}/evaluation/{evaluation_id}"


def withdraws_recognition(recognised_stars: int | None, forwarded_to: str | None,
                          previous_stars: int | None, reason: str) -> bool:
    """A re-evaluation of a product holding a recognition ended below 3 stars."""
    return (recognised_stars is None and forwarded_to is None and previous_stars is not None
            and reason != "forwarded")


def needs_decision(recognised_stars: int | None, forwarded_to: str | None,
                   previous_stars: int | None, reason: str) -> bool:
    """Whether a standing result goes to the authority when its round closes: a recognition,
    a forwarding, or a re-evaluation that takes a held recognition away."""
    return (recognised_stars is not None or forwarded_to is not None
            or withdraws_recognition(recognised_stars, forwarded_to, previous_stars, reason))
