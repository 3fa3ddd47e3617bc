"""What each event tells whom (pure: no I/O).

`recipients_for(event)` names the producers an event concerns; `message_for(event, recipient)`
writes the Vietnamese subject line and body that producer receives. Plain f-strings for now;
Jinja2 templates (and other languages) come with email delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_shared.contracts.evaluation import EvaluationCompleted, ProductReferredToMinistry
from ocop_shared.contracts.promotion import (
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)

from .deliveries import producer_recipient_id

NotifiableEvent = (
    EvaluationCompleted | ProductReferredToMinistry | CeremonyScheduled | ProductAddedToCeremony
    | CeremonyRescheduled | CeremonyCancelled | ProductRemovedFromCeremony
)
"""The events that produce deliveries (ProducerRegistered only keeps the recipients in step)."""

MIN_RECOGNISED_STARS = 3
"""A product needs 3 stars (50 points) or more to be recognised as an OCOP product."""

_REMOVED = {
    "moved": "được chuyển sang một lễ công bố khác; quý đơn vị sẽ nhận được thông báo về "
             "thời gian, địa điểm của lễ công bố mới",
    "certificate_revoked": "không còn được công bố do giấy chứng nhận sản phẩm OCOP đã bị "
                           "thu hồi",
    "certificate_expired": "không còn được công bố do giấy chứng nhận sản phẩm OCOP đã hết "
                           "hiệu lực",
}

_LEVELS = {"district": "cấp huyện", "province": "cấp tỉnh", "central": "cấp trung ương"}


@dataclass(frozen=True)
class Message:
    subject_line: str
    body: str


def _points(score: float) -> str:
    """A score the Vietnamese way: 85.5 -> "85,5", 90.0 -> "90"."""
    return f"{score:g}".replace(".", ",")


def _day(day: date) -> str:
    """A date the Vietnamese way: 15/03/2026."""
    return f"{day:%d/%m/%Y}"


CeremonyEvent = (
    CeremonyScheduled | ProductAddedToCeremony | CeremonyRescheduled | CeremonyCancelled
    | ProductRemovedFromCeremony
)


def _ceremony_products(event: CeremonyEvent) -> list[CeremonyProduct]:
    if isinstance(event, ProductAddedToCeremony | ProductRemovedFromCeremony):
        return [event.product]
    return list(event.products)


def recipients_for(event: NotifiableEvent) -> list[str]:
    """The producer recipient ids `event` concerns, each once, in the event's order
    (for a ceremony: the producer of every product announced)."""
    match event:
        case EvaluationCompleted() | ProductReferredToMinistry():
            return [producer_recipient_id(event.producer_id)]
        case (CeremonyScheduled() | ProductAddedToCeremony() | CeremonyRescheduled()
              | CeremonyCancelled() | ProductRemovedFromCeremony()):
            ids = (producer_recipient_id(p.producer_id) for p in _ceremony_products(event))
            return list(dict.fromkeys(ids))
    raise TypeError(f"no message for {type(event).__name__}")


def message_for(event: NotifiableEvent, recipient_id: str) -> Message:
    """The subject line and body `recipient_id` receives about `event`; ValueError if the event
    does not concern that recipient."""
    if recipient_id not in recipients_for(event):
        raise ValueError(f"{type(event).__name__} does not concern {recipient_id}")
    match event:
        case EvaluationCompleted():
            return _evaluation_completed(event)
        case ProductReferredToMinistry():
            return _referred_to_ministry(event)
    products = [p for p in _ceremony_products(event)
                if producer_recipient_id(p.producer_id) == recipient_id]
    match event:
        case CeremonyScheduled() | ProductAddedToCeremony():
            return _ceremony(event, products)
        case CeremonyRescheduled():
            return _rescheduled(event, products)
        case CeremonyCancelled():
            return _cancelled(event, products)
        case ProductRemovedFromCeremony():
            return _removed(event)
    raise TypeError(f"no message for {type(event).__name__}")  # pragma: no cover


def _evaluation_completed(event: EvaluationCompleted) -> Message:
    level = _LEVELS.get(event.level, event.level)
    rating = f"đạt hạng {event.stars} sao"
    if event.knocked_out:
        rating = "không được xếp hạng do vi phạm tiêu chí loại trực tiếp"
    if event.stars >= MIN_RECOGNISED_STARS:
        outcome = "Kết quả sẽ được trình cấp có thẩm quyền xem xét, ra quyết định công nhận."
    else:
        outcome = (f"Sản phẩm cần đạt từ {MIN_RECOGNISED_STARS} sao (50 điểm) trở lên để được "
                   "công nhận là sản phẩm OCOP.")
    return Message(
        subject_line=f"Kết quả đánh giá sản phẩm OCOP: {event.product_name}",
        body=(
            f"Sản phẩm {event.product_name} đã được Hội đồng đánh giá, phân hạng sản phẩm OCOP "
            f"{level} chấm {_points(event.score)}/100 điểm, {rating}. {outcome}"
        ),
    )


def _referred_to_ministry(event: ProductReferredToMinistry) -> Message:
    return Message(
        subject_line=f"Sản phẩm {event.product_name} được đề nghị xét công nhận OCOP 5 sao",
        body=(
            f"Sản phẩm {event.product_name} đạt {_points(event.score)}/100 điểm tại Hội đồng "
            f"cấp tỉnh. Theo Quyết định số {event.decision_number} ngày "
            f"{_day(event.decision_date)}, hồ sơ (mã {event.dossier_reference}) và mẫu sản phẩm "
            "được gửi lên Hội đồng cấp trung ương để đánh giá, xét công nhận sản phẩm OCOP 5 sao."
        ),
    )


def _ceremony(
    event: CeremonyScheduled | ProductAddedToCeremony, products: list[CeremonyProduct]
) -> Message:
    named = ", ".join(f"{p.product_name} ({p.stars} sao)" for p in products)
    when = _day(event.ceremony_date)
    if isinstance(event, ProductAddedToCeremony):
        subject_line = f"Sản phẩm {event.product.product_name} được bổ sung vào lễ công bố OCOP"
    else:
        subject_line = f"Lễ công bố sản phẩm OCOP ngày {when}"
    return Message(
        subject_line=subject_line,
        body=(
            f"Sản phẩm {named} của quý đơn vị sẽ được công bố tại lễ công bố sản phẩm OCOP do "
            f"{event.authority} tổ chức vào ngày {when} tại {event.venue}. "
            "Kính mời quý đơn vị đến dự."
        ),
    )


def _named(products: list[CeremonyProduct]) -> str:
    return ", ".join(f"{p.product_name} ({p.stars} sao)" for p in products)


def _rescheduled(event: CeremonyRescheduled, products: list[CeremonyProduct]) -> Message:
    when = _day(event.ceremony_date)
    return Message(
        subject_line=f"Lễ công bố sản phẩm OCOP được dời sang ngày {when}",
        body=(
            f"Lễ công bố sản phẩm OCOP do {event.authority} tổ chức, dự kiến ngày "
            f"{_day(event.previous_date)}, được dời sang ngày {when} tại {event.venue}. "
            f"Lý do: {event.reason}. Sản phẩm {_named(products)} của quý đơn vị vẫn được công "
            "bố tại lễ này. Kính mời quý đơn vị đến dự."
        ),
    )


def _cancelled(event: CeremonyCancelled, products: list[CeremonyProduct]) -> Message:
    when = _day(event.ceremony_date)
    return Message(
        subject_line=f"Hủy lễ công bố sản phẩm OCOP ngày {when}",
        body=(
            f"Lễ công bố sản phẩm OCOP do {event.authority} tổ chức ngày {when} đã bị hủy. "
            f"Lý do: {event.reason}. Sản phẩm {_named(products)} của quý đơn vị sẽ được xếp "
            "vào lễ công bố khác; quý đơn vị sẽ nhận được thông báo về thời gian, địa điểm."
        ),
    )


def _removed(event: ProductRemovedFromCeremony) -> Message:
    name = event.product.product_name
    return Message(
        subject_line=f"Sản phẩm {name} không còn trong lễ công bố OCOP ngày "
                     f"{_day(event.ceremony_date)}",
        body=(
            f"Sản phẩm {name} ({event.product.stars} sao) của quý đơn vị, dự kiến công bố tại "
            f"lễ công bố sản phẩm OCOP ngày {_day(event.ceremony_date)}, "
            f"{_REMOVED[event.reason]}."
        ),
    )
