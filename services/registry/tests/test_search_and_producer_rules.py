"""Pure rules: Vietnamese search folding and producers' registration papers."""

import pytest

from ocop_registry.domain.producers import (
    ProducerKind,
    RegistrationType,
    check_registration_type,
    normalise_registration_number,
)
from ocop_registry.domain.search import fold, like_pattern, search_text


@pytest.mark.parametrize(("text", "folded"), [
    ("Chè Shan Tuyết", "che shan tuyet"),
    ("Mật ong bạc hà", "mat ong bac ha"),
    ("ĐƯỜNG PHÈN Quảng Ngãi", "duong phen quang ngai"),
    ("  Nước   mắm\tPhú Quốc ", "nuoc mam phu quoc"),
])
def test_fold_removes_tones_and_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_like_pattern_matches_words_in_order_and_escapes_wildcards() -> None:
    assert like_pattern("Mat  Ong") == "%mat%ong%"
    assert like_pattern("50%_x") == "%50\\%\\_x%"
    assert search_text("HTX Chè", None, "Lò Văn A") == "htx che lo van a"


@pytest.mark.parametrize(("kind", "number", "stored"), [
    (RegistrationType.tax_code, " 0101234567 ", "0101234567"),
    (RegistrationType.tax_code, "0101234567-001", "0101234567-001"),
    (RegistrationType.household_business_certificate, "01a8-012345", "01A8-012345"),
    (RegistrationType.cooperative_group_contract, "HĐ 12/2024/THT", "HĐ 12/2024/THT"),
])
def test_registration_numbers_are_normalised(kind, number, stored) -> None:
    assert normalise_registration_number(kind, number) == stored


@pytest.mark.parametrize(("kind", "number"), [
    (RegistrationType.tax_code, "12345"),
    (RegistrationType.tax_code, "0101234567-1"),
    (RegistrationType.household_business_certificate, "x"),
])
def test_malformed_registration_numbers_say_the_format(kind, number) -> None:
    with pytest.raises(ValueError, match=kind.value):
        normalise_registration_number(kind, number)


def test_enterprises_and_cooperatives_need_a_tax_code() -> None:
    check_registration_type(ProducerKind.household_business,
                            RegistrationType.household_business_certificate)
    check_registration_type(ProducerKind.cooperative_group, RegistrationType.tax_code)
    with pytest.raises(ValueError, match="a enterprise is registered by tax_code"):
        check_registration_type(ProducerKind.enterprise,
                                RegistrationType.household_business_certificate)


def test_an_opened_evaluation_puts_a_submitted_product_under_evaluation() -> None:
    from ocop_registry.domain.products import (
        IllegalTransition,
        ProductStatus,
        status_after_opening,
        transition,
    )

    assert status_after_opening(ProductStatus.SUBMITTED) is ProductStatus.UNDER_EVALUATION
    # a late EvaluationOpened never moves a product back
    for later in (ProductStatus.EVALUATED, ProductStatus.CERTIFIED,
                  ProductStatus.NOT_RECOGNISED):
        assert status_after_opening(later) is later
    assert transition(ProductStatus.UNDER_EVALUATION,
                      ProductStatus.CERTIFIED) is ProductStatus.CERTIFIED
    with pytest.raises(IllegalTransition, match="under_evaluation cannot become draft"):
        transition(ProductStatus.UNDER_EVALUATION, ProductStatus.DRAFT)
