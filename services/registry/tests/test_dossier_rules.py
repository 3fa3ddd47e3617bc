"""The dossier's mandatory items by product set (pure rules) and the local file store."""

import hashlib

import pytest
from ocop_registry.adapters.file_store import LocalFileStore, StoredFileMissing
from ocop_registry.domain.dossiers import DocumentType, mandatory_items, missing_items
from ocop_shared.contracts.classification import product_set

PAPERS = ["registration_form", "business_plan", "organisation_introduction",
          "business_registration"]


def codes(items: list[DocumentType]) -> list[str]:
    return [t.value for t in items]


def test_tourism_needs_no_samples_nor_food_safety() -> None:
    assert codes(missing_items(product_set("community-tourism"), [])) == PAPERS
    assert missing_items(product_set("eco-tourism"), PAPERS) == []


def test_food_needs_samples_and_the_food_safety_certificate() -> None:
    assert codes(missing_items(product_set("tea"), PAPERS)) == [
        "product_samples", "food_safety_certificate"]
    assert codes(missing_items(product_set("processed-food"),
                               [*PAPERS, "product_samples", "awards"])) == [
        "food_safety_certificate"]
    assert missing_items(product_set("honey"),
                         [*PAPERS, "product_samples", "food_safety_certificate"]) == []


def test_handicrafts_need_samples_but_no_food_safety_certificate() -> None:
    assert codes(mandatory_items(product_set("textiles"))) == [*PAPERS, "product_samples"]


def test_every_type_has_a_vietnamese_name() -> None:
    assert len(DocumentType) == 16
    assert all(t.name_vi for t in DocumentType)
    assert DocumentType("product_samples").name_vi == "Mẫu sản phẩm (05 mẫu)"


def test_local_file_store_is_content_addressed(tmp_path) -> None:  # noqa: ANN001
    store = LocalFileStore(tmp_path / "files")
    digest, size = store.put(b"hello")
    assert digest == hashlib.sha256(b"hello").hexdigest() and size == 5
    assert (tmp_path / "files" / digest[:2] / digest).read_bytes() == b"hello"
    assert store.put(b"hello") == (digest, 5)
    assert store.open(digest) == b"hello"
    assert [p.name for p in (tmp_path / "files" / digest[:2]).iterdir()] == [digest]
    with pytest.raises(StoredFileMissing):
        store.open("0" * 64)
