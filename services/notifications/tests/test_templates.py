"""Every event the service tells about has a template in every language, and every template
renders with a realistic event (StrictUndefined: a missing variable fails here, not as a blank
in an email)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from ocop_notifications.adapters.templates import has_template, points, render, vndate
from ocop_notifications.domain.deliveries import LANGUAGES, RecipientKind, producer_recipient_id
from ocop_notifications.domain.rules import NOTIFIABLE_EVENTS, RULES, Recipient
from ocop_shared.contracts import Event
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    NationalEvaluationCompleted,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
    RescoreMember,
    RescoreRequired,
    SampleShipment,
)
from ocop_shared.contracts.promotion import (
    BoothAllocated,
    BoothReleased,
    BoothWaitlisted,
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyRescheduled,
    CeremonyScheduled,
    ProductAddedToCeremony,
    ProductRemovedFromCeremony,
)
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateExpiringSoon,
    CertificateRevoked,
    ProducerRegistered,
    ProducerUpdated,
)
from ocop_shared.messaging.topology import TOPOLOGY
from jinja2 import UndefinedError

PRODUCER = uuid.UUID("11111111-1111-4111-8111-111111111111")
TEA = CeremonyProduct(product_id=uuid.uuid4(), producer_id=PRODUCER,
                      product_name="Chè Shan tuyết Suối Giàng", stars=4)
HONEY = CeremonyProduct(product_id=uuid.uuid4(), producer_id=uuid.uuid4(),
                        product_name="Mật ong bạc hà", stars=3)
CEREMONY = {"ceremony_id": uuid.uuid4(), "province_code": "15",
            "ceremony_date": date(2026, 4, 2)}

SAMPLES: dict[type[Event], Event] = {
    EvaluationCompleted: EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè Shan tuyết Suối Giàng", province_code="15", level="province",
        score=85.5, stars=4, rulebook="QĐ 148/QĐ-TTg", council_id="council-15-province"),
    RescoreRequired: RescoreRequired(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè Shan tuyết Suối Giàng", province_code="15",
        council_id="council-15-province", round_id="2026-1", rulebook="QĐ 148/QĐ-TTg",
        attempt=1, spread=12.5, max_spread=10.0,
        members=[RescoreMember(member_id="m1", name="Nguyễn Văn An", role="member", total=80.0),
                 RescoreMember(member_id="m2", name="Trần Thị Bình", role="member",
                               total=67.5)]),
    ProductReferredToMinistry: ProductReferredToMinistry(
        product_id=uuid.uuid4(), producer_id=PRODUCER, product_name="Nước mắm Phú Quốc",
        province_code="91", score=92.0, decision_number="1234/QĐ-UBND",
        decision_date=date(2026, 3, 15), dossier_reference="HS-91-0042",
        rulebook="QĐ 148/QĐ-TTg",
        sample_shipment=SampleShipment(samples=6, shipped_on=date(2026, 3, 20))),
    NationalEvaluationCompleted: NationalEvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Nước mắm Phú Quốc", province_code="91", score=93.5, five_stars=True,
        stars=5, rulebook="QĐ 148/QĐ-TTg", decision_number="55/QĐ-BNN",
        decision_date=date(2026, 6, 1)),
    RecognitionWithdrawn: RecognitionWithdrawn(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Miến dong Bình Liêu", province_code="22", previous_stars=3, score=41.0,
        stars=2, reason="inspection", level="province", authority="UBND tỉnh Quảng Ninh",
        decision_number="789/QĐ-UBND", decision_date=date(2026, 5, 10),
        rulebook="QĐ 148/QĐ-TTg"),
    CeremonyScheduled: CeremonyScheduled(
        **CEREMONY, authority="UBND tỉnh Lào Cai", venue="Nhà văn hóa tỉnh Lào Cai",
        products=[TEA, HONEY]),
    ProductAddedToCeremony: ProductAddedToCeremony(
        **CEREMONY, authority="UBND tỉnh Lào Cai", venue="Nhà văn hóa tỉnh Lào Cai",
        product=TEA),
    CeremonyRescheduled: CeremonyRescheduled(
        ceremony_id=uuid.uuid4(), authority="UBND tỉnh Lào Cai", province_code="15",
        previous_date=date(2026, 4, 2), ceremony_date=date(2026, 4, 9),
        venue="Hội trường UBND tỉnh Lào Cai", products=[TEA, HONEY], reason="Trùng lịch họp"),
    CeremonyCancelled: CeremonyCancelled(
        **CEREMONY, authority="UBND tỉnh Lào Cai", products=[TEA, HONEY], reason="Mưa bão"),
    ProductRemovedFromCeremony: ProductRemovedFromCeremony(
        **CEREMONY, product=TEA, reason="certificate_revoked"),
    CertificateExpiringSoon: CertificateExpiringSoon(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_code="OCOP-15-0007", stars=4, valid_until=date(2026, 9, 30), days_left=30),
    BoothAllocated: BoothAllocated(
        fair_id=uuid.uuid4(), fair_name="Hội chợ OCOP Hà Nội 2026",
        application_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè Shan tuyết Suối Giàng", stars=4, booth_number=12,
        starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 4),
        venue="Cung Văn hoá Hữu nghị"),
    CertificateExpired: CertificateExpired(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_code="OCOP-15-0007", stars=4, valid_until=date(2026, 9, 30)),
    CertificateRevoked: CertificateRevoked(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_code="OCOP-15-0007", stars=4, decision_number="321/QĐ-UBND",
        decision_date=date(2026, 7, 1), reason="Vi phạm an toàn thực phẩm"),
    BoothWaitlisted: BoothWaitlisted(
        fair_id=uuid.uuid4(), fair_name="Hội chợ OCOP Hà Nội 2026",
        application_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè Shan tuyết Suối Giàng", position=2),
    BoothReleased: BoothReleased(
        fair_id=uuid.uuid4(), application_id=uuid.uuid4(), product_id=uuid.uuid4(),
        producer_id=PRODUCER, booth_number=12, reason="certificate_revoked"),
}

VARIANTS: list[Event] = [
    SAMPLES[EvaluationCompleted].model_copy(update={"knocked_out": [61], "stars": 0}),
    SAMPLES[EvaluationCompleted].model_copy(update={"score": 42.0, "stars": 2}),
    SAMPLES[EvaluationCompleted].model_copy(update={"score": 91.0, "stars": 4,
                                                    "potential_five_stars": True}),
    SAMPLES[ProductReferredToMinistry].model_copy(update={"sample_shipment": None}),
    SAMPLES[NationalEvaluationCompleted].model_copy(
        update={"five_stars": False, "stars": 4, "decision_number": None,
                "decision_date": None}),
    SAMPLES[RecognitionWithdrawn].model_copy(update={"knocked_out": [12]}),
    SAMPLES[ProductRemovedFromCeremony].model_copy(update={"reason": "moved"}),
    SAMPLES[ProductRemovedFromCeremony].model_copy(update={"reason": "certificate_expired"}),
    SAMPLES[BoothReleased].model_copy(update={"booth_number": None, "reason": "withdrawn"}),
    SAMPLES[BoothReleased].model_copy(update={"reason": "certificate_expired"}),
]


def producer(language: str) -> Recipient:
    return Recipient(id=producer_recipient_id(PRODUCER), kind=RecipientKind.PRODUCER,
                     name="HTX Chè Suối Giàng", language=language)


def official(language: str) -> Recipient:
    return Recipient(id="official:u1", kind=RecipientKind.OFFICIAL, name="Lê Văn Cường",
                     language=language, province_code="15")


def consumed_notifiable() -> set[type[Event]]:
    consumed = {e for c in TOPOLOGY.consumers_of("notifications") for e in c.events}
    return consumed - {ProducerRegistered, ProducerUpdated}


def test_every_consumed_event_has_a_rule_a_sample_and_templates_in_every_language() -> None:
    assert consumed_notifiable() == set(NOTIFIABLE_EVENTS) == set(SAMPLES)
    missing = [f"{t.__name__}.{lang}" for t in consumed_notifiable() for lang in LANGUAGES
               if not has_template(t, lang)]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", [*SAMPLES.values(), *VARIANTS],
                         ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("who", [producer, official])
def test_every_template_renders_completely(event: Event, language: str, who) -> None:  # noqa: ANN001
    message = render(event, who(language))
    assert message.subject_line and "\n" not in message.subject_line
    assert len(message.body) > 40
    text = message.subject_line + message.body
    assert "None" not in text and "{" not in text and "}" not in text
    assert "  " not in message.subject_line
    assert ("Kính gửi" if language == "vi" else "Dear") in message.body
    if language == "en":
        assert "sao" not in text.split() and "Kính" not in text


def test_a_missing_variable_fails_instead_of_leaving_a_blank() -> None:
    from ocop_notifications.adapters.templates import environment

    template = environment().from_string("{{ event.no_such_field }}")
    with pytest.raises(UndefinedError):
        template.render(event=SAMPLES[BoothAllocated])


def test_filters_write_dates_and_points_the_vietnamese_way() -> None:
    assert vndate(date(2026, 3, 5)) == "05/03/2026"
    assert points(85.5) == "85,5" and points(90.0) == "90" and points(85.5, "en") == "85.5"


@pytest.mark.parametrize(("event_type", "facts"), [
    (EvaluationCompleted, ["Chè Shan tuyết Suối Giàng", "85,5/100 điểm", "4 sao", "cấp tỉnh",
                           "Việc cần làm"]),
    (RescoreRequired, ["council-15-province", "12,5", "10", "Nguyễn Văn An", "Trần Thị Bình",
                       "67,5", "lần 2"]),
    (ProductReferredToMinistry, ["Nước mắm Phú Quốc", "92/100 điểm",
                                 "Quyết định số 1234/QĐ-UBND ngày 15/03/2026", "HS-91-0042",
                                 "trung ương", "20/03/2026"]),
    (NationalEvaluationCompleted, ["93,5/100 điểm", "5 sao", "55/QĐ-BNN", "01/06/2026"]),
    (RecognitionWithdrawn, ["Miến dong Bình Liêu", "789/QĐ-UBND", "10/05/2026", "3 sao",
                            "41/100 điểm", "UBND tỉnh Quảng Ninh"]),
    (CeremonyScheduled, ["02/04/2026", "Nhà văn hóa tỉnh Lào Cai", "UBND tỉnh Lào Cai",
                         "Chè Shan tuyết Suối Giàng (4 sao)"]),
    (CeremonyRescheduled, ["02/04/2026", "09/04/2026", "Trùng lịch họp",
                           "Hội trường UBND tỉnh Lào Cai"]),
    (CeremonyCancelled, ["02/04/2026", "Mưa bão", "lễ công bố khác"]),
    (ProductRemovedFromCeremony, ["Chè Shan tuyết Suối Giàng (4 sao)", "bị thu hồi"]),
    (CertificateExpiringSoon, ["OCOP-15-0007", "30/09/2026", "30 ngày", "4 sao",
                               "đánh giá lại"]),
    (BoothAllocated, ["Hội chợ OCOP Hà Nội 2026", "số 12", "01/10/2026", "04/10/2026",
                      "Cung Văn hoá Hữu nghị"]),
    (CertificateExpired, ["OCOP-15-0007", "30/09/2026", "4 sao", "đánh giá lại"]),
    (CertificateRevoked, ["OCOP-15-0007", "321/QĐ-UBND", "01/07/2026",
                          "Vi phạm an toàn thực phẩm"]),
    (BoothWaitlisted, ["Hội chợ OCOP Hà Nội 2026", "số 2", "Chè Shan tuyết Suối Giàng"]),
    (BoothReleased, ["số 12", "bị thu hồi"]),
])
def test_vietnamese_messages_carry_the_facts(event_type: type[Event], facts: list[str]) -> None:
    message = render(SAMPLES[event_type], producer("vi"))
    text = message.subject_line + "\n" + message.body
    for fact in facts:
        assert fact in text, (fact, text)


def test_a_producer_sees_only_its_own_products_of_a_ceremony() -> None:
    body = render(SAMPLES[CeremonyScheduled], producer("vi")).body
    assert "Chè Shan tuyết Suối Giàng (4 sao)" in body and "Mật ong" not in body


def test_english_uses_english_words_and_points() -> None:
    message = render(SAMPLES[EvaluationCompleted], producer("en"))
    assert message.subject_line == "OCOP evaluation result: Chè Shan tuyết Suối Giàng"
    assert "85.5/100 points" in message.body and "4 stars" in message.body
    assert "provincial" in message.body


def test_an_unknown_language_falls_back_to_vietnamese() -> None:
    message = render(SAMPLES[BoothAllocated], producer("fr"))
    assert message.subject_line.startswith("Gian hàng số 12")


def test_rules_cover_only_events_with_templates() -> None:
    assert all(has_template(t, lang) for t in RULES for lang in LANGUAGES)
