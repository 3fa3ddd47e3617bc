import pytest


@pytest.fixture(autouse=True)
def dossier_storage(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """Each test stores dossier files in its own folder."""
    folder = tmp_path / "dossiers"
    monkeypatch.setenv("OCOP_REGISTRY_DOSSIER_STORAGE_DIR", str(folder))
    return folder
