"""The pure domain: who each event concerns and what they are told, in Vietnamese."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from ocop_notifications.domain.deliveries import producer_recipient_id
from ocop_notifications.domain.messages import message_for, recipients_for
from ocop_shared.contracts.evaluation import EvaluationCompleted, ProductReferredToMinistry
from ocop_shared.contracts.promotion import (
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)

PRODUCER = uuid.uuid4()
OTHER_PRODUCER = uuid.uuid4()
ME = f"producer:{PRODUCER}"


def evaluation(score: float = 85.5, stars: int = 4) -> EvaluationCompleted:
    return EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè Shan tuyết Suối Giàng", province_code="15", level="province",
        score=score, stars=stars, rulebook="QĐ 148/QĐ-TTg",
    )


def referral() -> ProductReferredToMinistry:
    return ProductReferredToMinistry(
        product_id=uuid.uuid4(), producer_id=PRODUCER, product_name="Nước mắm Phú Quốc",
        province_code="91", score=92.0, decision_number="1234/QĐ-UBND",
        decision_date=date(2026, 3, 15), dossier_reference="HS-91-0042",
        rulebook="QĐ 148/QĐ-TTg",
    )


def product(name: str, producer: uuid.UUID, stars: int = 4) -> CeremonyProduct:
    return CeremonyProduct(product_id=uuid.uuid4(), producer_id=producer, product_name=name,
                           stars=stars)


def ceremony(*products: CeremonyProduct) -> CeremonyScheduled:
    return CeremonyScheduled(
        ceremony_id=uuid.uuid4(), authority="UBND tỉnh Lào Cai", province_code="15",
        ceremony_date=date(2026, 4, 2), venue="Nhà văn hóa tỉnh Lào Cai",
        products=list(products),
    )


def added(item: CeremonyProduct) -> ProductAddedToCeremony:
    return ProductAddedToCeremony(
        ceremony_id=uuid.uuid4(), authority="UBND tỉnh Lào Cai", province_code="15",
        ceremony_date=date(2026, 4, 2), venue="Nhà văn hóa tỉnh Lào Cai", product=item,
    )


# --------------------------------------------------------------------------- recipients


def test_a_producer_recipient_is_keyed_by_its_producer_id() -> None:
    assert producer_recipient_id(PRODUCER) == ME


@pytest.mark.parametrize("event", [evaluation(), referral(), added(product("Mật ong", PRODUCER))])
def test_a_single_product_event_concerns_its_producer(event: object) -> None:
    assert recipients_for(event) == [ME]


def test_a_ceremony_concerns_every_products_producer_once_in_order() -> None:
    event = ceremony(product("Chè", PRODUCER), product("Gạo ST25", OTHER_PRODUCER),
                     product("Mật ong", PRODUCER))
    assert recipients_for(event) == [ME, f"producer:{OTHER_PRODUCER}"]


def test_a_ceremony_without_products_concerns_nobody() -> None:
    assert recipients_for(ceremony()) == []


def test_no_message_for_someone_the_event_does_not_concern() -> None:
    with pytest.raises(ValueError, match="does not concern"):
        message_for(evaluation(), f"producer:{OTHER_PRODUCER}")


# --------------------------------------------------------------------------- messages


def test_evaluation_completed_names_product_score_and_stars() -> None:
    message = message_for(evaluation(score=85.5, stars=4), ME)
    assert "Chè Shan tuyết Suối Giàng" in message.subject_line
    assert "Kết quả đánh giá" in message.subject_line
    assert "Chè Shan tuyết Suối Giàng" in message.body
    assert "85,5/100 điểm" in message.body  # Vietnamese decimal comma
    assert "4 sao" in message.body
    assert "cấp tỉnh" in message.body
    assert "công nhận" in message.body


def test_a_whole_score_has_no_decimals() -> None:
    assert "70/100 điểm" in message_for(evaluation(score=70.0, stars=4), ME).body


def test_below_three_stars_says_the_product_is_not_recognised_yet() -> None:
    body = message_for(evaluation(score=42.0, stars=2), ME).body
    assert "2 sao" in body
    assert "từ 3 sao (50 điểm) trở lên" in body


def test_a_knock_out_says_so_instead_of_zero_stars() -> None:
    knocked = evaluation(12.0, 0).model_copy(update={"knocked_out": [61]})
    body = message_for(knocked, ME).body
    assert "tiêu chí loại trực tiếp" in body and "0 sao" not in body


def test_referral_names_product_score_and_decision() -> None:
    message = message_for(referral(), ME)
    assert "Nước mắm Phú Quốc" in message.subject_line
    assert "5 sao" in message.subject_line
    assert "92/100 điểm" in message.body
    assert "Quyết định số 1234/QĐ-UBND ngày 15/03/2026" in message.body
    assert "HS-91-0042" in message.body
    assert "trung ương" in message.body


def test_ceremony_tells_each_producer_about_its_own_products_date_and_venue() -> None:
    event = ceremony(product("Chè", PRODUCER, 4), product("Gạo ST25", OTHER_PRODUCER, 5),
                     product("Mật ong", PRODUCER, 3))
    mine = message_for(event, ME)
    assert mine.subject_line == "Lễ công bố sản phẩm OCOP ngày 02/04/2026"
    assert "Chè (4 sao), Mật ong (3 sao)" in mine.body
    assert "Gạo ST25" not in mine.body
    assert "02/04/2026" in mine.body
    assert "Nhà văn hóa tỉnh Lào Cai" in mine.body
    assert "UBND tỉnh Lào Cai" in mine.body
    theirs = message_for(event, f"producer:{OTHER_PRODUCER}")
    assert "Gạo ST25 (5 sao)" in theirs.body
    assert "Chè" not in theirs.body


def test_product_added_to_ceremony_names_product_date_and_venue() -> None:
    message = message_for(added(product("Mật ong bạc hà", PRODUCER, 4)), ME)
    assert "Mật ong bạc hà" in message.subject_line
    assert "lễ công bố" in message.subject_line
    assert "Mật ong bạc hà (4 sao)" in message.body
    assert "02/04/2026" in message.body
    assert "Nhà văn hóa tỉnh Lào Cai" in message.body


def rescheduled(*products: CeremonyProduct) -> CeremonyRescheduled:
    return CeremonyRescheduled(
        ceremony_id=uuid.uuid4(), authority="UBND tỉnh Lào Cai", province_code="15",
        previous_date=date(2026, 4, 2), ceremony_date=date(2026, 4, 9),
        venue="Hội trường UBND tỉnh Lào Cai", products=list(products), reason="Trùng lịch họp",
    )


def cancelled(*products: CeremonyProduct) -> CeremonyCancelled:
    return CeremonyCancelled(
        ceremony_id=uuid.uuid4(), authority="UBND tỉnh Lào Cai", province_code="15",
        ceremony_date=date(2026, 4, 2), products=list(products), reason="Mưa bão",
    )


def removed(item: CeremonyProduct, reason: str, moved_to: uuid.UUID | None = None
            ) -> ProductRemovedFromCeremony:
    return ProductRemovedFromCeremony(
        ceremony_id=uuid.uuid4(), province_code="15", ceremony_date=date(2026, 4, 2),
        product=item, reason=reason, moved_to=moved_to,
    )


def test_a_ceremony_change_concerns_every_products_producer_once() -> None:
    items = (product("Chè", PRODUCER), product("Gạo ST25", OTHER_PRODUCER),
             product("Mật ong", PRODUCER))
    both = [ME, f"producer:{OTHER_PRODUCER}"]
    assert recipients_for(rescheduled(*items)) == both
    assert recipients_for(cancelled(*items)) == both
    assert recipients_for(cancelled()) == []  # emptied by revocations: nobody left to tell
    assert recipients_for(removed(product("Chè", OTHER_PRODUCER), "moved")) == both[1:]


def test_rescheduled_gives_old_and_new_date_venue_reason_and_own_products() -> None:
    event = rescheduled(product("Chè", PRODUCER, 4), product("Gạo ST25", OTHER_PRODUCER, 5))
    mine = message_for(event, ME)
    assert mine.subject_line == "Lễ công bố sản phẩm OCOP được dời sang ngày 09/04/2026"
    for text in ("02/04/2026", "09/04/2026", "Hội trường UBND tỉnh Lào Cai", "Trùng lịch họp",
                 "Chè (4 sao)", "UBND tỉnh Lào Cai"):
        assert text in mine.body
    assert "Gạo ST25" not in mine.body


def test_cancelled_gives_date_reason_and_says_a_new_ceremony_follows() -> None:
    event = cancelled(product("Chè", PRODUCER, 4), product("Gạo ST25", OTHER_PRODUCER, 5))
    theirs = message_for(event, f"producer:{OTHER_PRODUCER}")
    assert theirs.subject_line == "Hủy lễ công bố sản phẩm OCOP ngày 02/04/2026"
    assert "Mưa bão" in theirs.body and "Gạo ST25 (5 sao)" in theirs.body
    assert "lễ công bố khác" in theirs.body and "Chè" not in theirs.body


@pytest.mark.parametrize(("reason", "says"), [
    ("moved", "chuyển sang một lễ công bố khác"),
    ("certificate_revoked", "bị thu hồi"),
    ("certificate_expired", "hết hiệu lực"),
])
def test_removed_says_why(reason: str, says: str) -> None:
    moved_to = uuid.uuid4() if reason == "moved" else None
    message = message_for(removed(product("Mật ong", PRODUCER, 3), reason, moved_to), ME)
    assert "Mật ong" in message.subject_line and "02/04/2026" in message.subject_line
    assert "Mật ong (3 sao)" in message.body and says in message.body


@pytest.mark.parametrize("event", [
    evaluation(), referral(), ceremony(product("Chè", PRODUCER)), added(product("Chè", PRODUCER)),
    rescheduled(product("Chè", PRODUCER)), cancelled(product("Chè", PRODUCER)),
    removed(product("Chè", PRODUCER), "certificate_revoked"),
])
def test_every_message_is_vietnamese_and_complete(event: object) -> None:
    message = message_for(event, ME)
    assert message.subject_line and message.body
    assert "sản phẩm" in (message.subject_line + message.body).lower()
    assert "{" not in message.body and "None" not in message.body  # no template leftovers
