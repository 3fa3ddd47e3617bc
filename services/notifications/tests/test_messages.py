"""The rules (pure): who each event concerns, picked from the directory."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from ocop_notifications.domain.deliveries import RecipientKind, producer_recipient_id
from ocop_notifications.domain.messages import context_for
from ocop_notifications.domain.rules import (
    RULES,
    Audience,
    Recipient,
    province_of,
    recipients_for,
)
from ocop_shared.contracts.evaluation import (
    EvaluationCompleted,
    NationalEvaluationCompleted,
    ProductReferredToMinistry,
    RecognitionWithdrawn,
    RescoreMember,
    RescoreRequired,
)
from ocop_shared.contracts.promotion import (
    BoothAllocated,
    CeremonyCancelled,
    CeremonyProduct,
    CeremonyScheduled,
    ProductRemovedFromCeremony,
)
from ocop_shared.contracts.registry import CertificateExpiringSoon, CertificateRevoked

PRODUCER, OTHER = uuid.uuid4(), uuid.uuid4()
ME, THEM = producer_recipient_id(PRODUCER), producer_recipient_id(OTHER)
COUNCIL = "council-15-province"


def person(rid: str, kind: RecipientKind, **kw: object) -> Recipient:
    return Recipient(id=rid, kind=kind, name=rid, **kw)


DIRECTORY = [
    person(ME, RecipientKind.PRODUCER, province_code="15", email="htx@example.vn",
           channels=("inbox", "email")),
    person("official:lc-1", RecipientKind.OFFICIAL, province_code="15"),
    person("official:lc-2", RecipientKind.OFFICIAL, province_code="15", active=False),
    person("official:hn-1", RecipientKind.OFFICIAL, province_code="01"),
    person("ministry:bnn", RecipientKind.MINISTRY),
    person("council_member:chair", RecipientKind.COUNCIL_MEMBER, province_code="15",
           council_id=COUNCIL, council_role="chair"),
    person("council_member:sec", RecipientKind.COUNCIL_MEMBER, province_code="15",
           council_id=COUNCIL, council_role="secretary"),
    person("council_member:m", RecipientKind.COUNCIL_MEMBER, province_code="15",
           council_id=COUNCIL, council_role="member"),
    person("council_member:other-chair", RecipientKind.COUNCIL_MEMBER, province_code="01",
           council_id="council-01-province", council_role="chair"),
    person("integration:portal", RecipientKind.INTEGRATION, channels=("webhook",)),
]


def ids(event: object, directory: list[Recipient] = DIRECTORY) -> list[str]:
    return [r.id for r in recipients_for(event, directory)]


def evaluation() -> EvaluationCompleted:
    return EvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè", province_code="15", level="province", score=85.5, stars=4,
        rulebook="QĐ 148")


def rescore() -> RescoreRequired:
    return RescoreRequired(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè", province_code="15", council_id=COUNCIL, round_id="r1",
        rulebook="QĐ 148", attempt=1, spread=12.0, max_spread=10.0,
        members=[RescoreMember(member_id="m", name="A", role="member", total=80.0)])


def referral() -> ProductReferredToMinistry:
    return ProductReferredToMinistry(
        product_id=uuid.uuid4(), producer_id=PRODUCER, product_name="Chè", province_code="15",
        score=92.0, decision_number="1/QĐ", decision_date=date(2026, 3, 15),
        dossier_reference="HS-1", rulebook="QĐ 148")


def national() -> NationalEvaluationCompleted:
    return NationalEvaluationCompleted(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè", province_code="15", score=93.0, five_stars=True, stars=5,
        rulebook="QĐ 148")


def withdrawn() -> RecognitionWithdrawn:
    return RecognitionWithdrawn(
        evaluation_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=PRODUCER,
        product_name="Chè", province_code="15", previous_stars=3, score=40.0, stars=2,
        reason="inspection", level="province", authority="UBND", decision_number="2/QĐ",
        decision_date=date(2026, 5, 1), rulebook="QĐ 148")


def expiring(producer_id: uuid.UUID = PRODUCER) -> CertificateExpiringSoon:
    return CertificateExpiringSoon(
        certificate_id=uuid.uuid4(), product_id=uuid.uuid4(), producer_id=producer_id,
        product_code="OCOP-15-1", stars=4, valid_until=date(2026, 9, 30), days_left=30)


def booth() -> BoothAllocated:
    return BoothAllocated(
        fair_id=uuid.uuid4(), fair_name="Hội chợ", application_id=uuid.uuid4(),
        product_id=uuid.uuid4(), producer_id=PRODUCER, product_name="Chè", stars=4,
        booth_number=3, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 3), venue="HN")


def product(name: str, producer_id: uuid.UUID) -> CeremonyProduct:
    return CeremonyProduct(product_id=uuid.uuid4(), producer_id=producer_id,
                           product_name=name, stars=4)


def ceremony(*items: CeremonyProduct) -> CeremonyScheduled:
    return CeremonyScheduled(ceremony_id=uuid.uuid4(), authority="UBND", province_code="15",
                             ceremony_date=date(2026, 4, 2), venue="NVH",
                             products=list(items))


LC_OFFICIAL = "official:lc-1"
LEADS = ["council_member:chair", "council_member:sec"]


@pytest.mark.parametrize(("event", "expected"), [
    (evaluation(), [ME, LC_OFFICIAL]),
    (rescore(), LEADS),
    (referral(), [ME, "ministry:bnn"]),
    (national(), [ME, LC_OFFICIAL, "ministry:bnn"]),
    (withdrawn(), [ME, LC_OFFICIAL]),
    (expiring(), [ME, LC_OFFICIAL]),  # no province in the event: the producer's
    (booth(), [ME]),
    (CertificateRevoked(certificate_id=uuid.uuid4(), product_id=uuid.uuid4(),
                        producer_id=PRODUCER, product_code="OCOP-15-1", stars=4,
                        decision_number="3/QĐ", decision_date=date(2026, 7, 1),
                        reason="x"), [ME, LC_OFFICIAL]),
], ids=lambda v: type(v).__name__ if not isinstance(v, list) else "")
def test_each_event_reaches_the_recipients_of_its_rule(event: object,
                                                       expected: list[str]) -> None:
    assert ids(event) == expected


def test_the_rules_table_reads_as_the_issue_says() -> None:
    a = Audience
    assert RULES[EvaluationCompleted] == (a.PRODUCERS, a.PROVINCE_OFFICIALS)
    assert RULES[RescoreRequired] == (a.COUNCIL_LEADS,)
    assert RULES[ProductReferredToMinistry] == (a.PRODUCERS, a.MINISTRY)
    assert RULES[BoothAllocated] == (a.PRODUCERS,)
    assert set(RULES[NationalEvaluationCompleted]) == {a.PRODUCERS, a.MINISTRY,
                                                       a.PROVINCE_OFFICIALS}


def test_inactive_entries_integrations_and_other_provinces_are_not_told() -> None:
    everyone = {r.id for e in (evaluation(), rescore(), referral(), national(), withdrawn())
                for r in recipients_for(e, DIRECTORY)}
    assert "official:lc-2" not in everyone  # inactive
    assert "official:hn-1" not in everyone  # another province
    assert "integration:portal" not in everyone  # webhooks only
    assert "council_member:m" not in everyone and "council_member:other-chair" not in everyone


def test_an_unknown_producer_is_still_told_in_its_inbox() -> None:
    told = recipients_for(booth(), [])
    assert [r.id for r in told] == [ME]
    assert told[0].language == "vi" and told[0].wants_inbox and not told[0].wants_email


def test_a_deactivated_producer_is_not_told() -> None:
    inactive = [person(ME, RecipientKind.PRODUCER, active=False)]
    assert ids(booth(), inactive) == []


def test_an_expiry_of_an_unknown_producer_has_no_province_so_no_official() -> None:
    stranger = expiring(uuid.uuid4())
    assert province_of(stranger, DIRECTORY) is None
    assert ids(stranger) == [producer_recipient_id(stranger.producer_id)]


def test_a_ceremony_concerns_every_products_producer_once_in_order() -> None:
    event = ceremony(product("Chè", PRODUCER), product("Gạo", OTHER), product("Mật", PRODUCER))
    assert ids(event) == [ME, THEM]
    assert ids(ceremony()) == []
    cancelled = CeremonyCancelled(ceremony_id=uuid.uuid4(), authority="UBND",
                                  province_code="15", ceremony_date=date(2026, 4, 2),
                                  products=[product("Gạo", OTHER)], reason="Mưa")
    assert ids(cancelled) == [THEM]
    removed = ProductRemovedFromCeremony(ceremony_id=uuid.uuid4(), province_code="15",
                                         ceremony_date=date(2026, 4, 2),
                                         product=product("Gạo", OTHER), reason="moved",
                                         moved_to=uuid.uuid4())
    assert ids(removed) == [THEM]


def test_a_producer_hears_of_its_own_ceremony_products_only() -> None:
    event = ceremony(product("Chè", PRODUCER), product("Gạo", OTHER))
    mine = context_for(event, DIRECTORY[0])
    assert [p.product_name for p in mine["products"]] == ["Chè"] and mine["for_producer"]


def test_channels_inbox_always_for_producers_email_with_an_address() -> None:
    producer = DIRECTORY[0]
    assert producer.wants_inbox and producer.wants_email
    no_address = person("official:x", RecipientKind.OFFICIAL, channels=("inbox", "email"))
    assert no_address.wants_inbox and not no_address.wants_email
    email_only = person("official:y", RecipientKind.OFFICIAL, channels=("email",),
                        email="y@example.vn")
    assert not email_only.wants_inbox and email_only.wants_email
    assert person(ME, RecipientKind.PRODUCER, channels=()).wants_inbox
