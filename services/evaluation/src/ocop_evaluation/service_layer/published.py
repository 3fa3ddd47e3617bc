"""The events the evaluation service publishes, built from its rows (one place for each)."""

from __future__ import annotations

from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    NationalEvaluationCompleted,
    ProductRecognized,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
    SampleShipment,
)


def _product(evaluation: dict) -> dict:
    return {key: evaluation[key] for key in (
        "product_id", "producer_id", "product_name", "province_code", "rulebook")}


def evaluation_completed(evaluation: dict, council_id: object) -> EvaluationCompleted:
    return EvaluationCompleted(
        evaluation_id=evaluation["id"], level=evaluation["level"],
        score=float(evaluation["score"]), part_scores=evaluation["part_scores"] or {},
        stars=evaluation["stars"], potential_five_stars=bool(evaluation["potential_five_stars"]),
        council_id=str(council_id), round_id=str(evaluation["round_id"]),
        knocked_out=evaluation["knocked_out"] or [],
        capped_by={int(k): v for k, v in (evaluation["capped_by"] or {}).items()},
        forwarded_to=evaluation["forwarded_to"], **_product(evaluation),
    )


def product_recognized(evaluation: dict, decision: dict) -> ProductRecognized:
    return ProductRecognized(
        stars=evaluation["recognised_stars"], level=evaluation["level"],
        authority=decision["authority"], decision_number=decision["number"],
        decision_date=decision["decided_on"], score=float(evaluation["score"]),
        potential_five_stars=bool(evaluation["potential_five_stars"]),
        evaluation_id=evaluation["id"], reason=evaluation["reason"],
        previous_stars=evaluation["previous_stars"], **_product(evaluation),
    )


def product_referred(evaluation: dict, decision: dict, dossier_reference: str,
                     shipment: SampleShipment) -> ProductReferredToMinistry:
    return ProductReferredToMinistry(
        score=float(evaluation["score"]), decision_number=decision["number"],
        decision_date=decision["decided_on"], dossier_reference=dossier_reference,
        sample_shipment=shipment, evaluation_id=evaluation["id"], **_product(evaluation),
    )


def national_evaluation_completed(
    evaluation: dict, decision: dict | None = None
) -> NationalEvaluationCompleted:
    """The central council's outcome: 5 stars on the Ministry's decision, or the product keeps
    the stars it held when it was referred (4)."""
    five = decision is not None
    return NationalEvaluationCompleted(
        evaluation_id=evaluation["id"], score=float(evaluation["score"]), five_stars=five,
        stars=5 if five else (evaluation["previous_stars"] or 4),
        decision_number=decision["number"] if five else None,
        decision_date=decision["decided_on"] if five else None, **_product(evaluation),
    )


def recognition_withdrawn(evaluation: dict, decision: dict) -> RecognitionWithdrawn:
    return RecognitionWithdrawn(
        evaluation_id=evaluation["id"], previous_stars=evaluation["previous_stars"],
        score=float(evaluation["score"]), stars=evaluation["stars"],
        knocked_out=evaluation["knocked_out"] or [], reason=evaluation["reason"],
        level=evaluation["level"], authority=decision["authority"],
        decision_number=decision["number"], decision_date=decision["decided_on"],
        **_product(evaluation),
    )
