"""The AsyncAPI document committed beside each service is what its contracts generate now:
a contract change without its document updated fails here. Regenerate with
`.venv/bin/ocop-<service> asyncapi --output services/<service>/asyncapi.yaml`."""

from pathlib import Path

import pytest
import yaml

from ocop_shared.contracts import SERVICES
from ocop_shared.messaging.asyncapi import render

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = {"registry": "ocop_registry", "evaluation": "ocop_evaluation",
            "promotion": "ocop_promotion", "notifications": "ocop_notifications"}


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_matches_the_contracts(service: str) -> None:
    version = __import__(VERSIONS[service]).__version__
    committed = (ROOT / "services" / service / "asyncapi.yaml").read_text(encoding="utf-8")
    generated = render(service, version)
    assert committed == generated, (
        f"services/{service}/asyncapi.yaml is stale: run "
        f"`.venv/bin/ocop-{service} asyncapi --output services/{service}/asyncapi.yaml`"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_document_lists_every_published_subject(service: str) -> None:
    from ocop_shared.contracts import Event

    doc = yaml.safe_load((ROOT / "services" / service / "asyncapi.yaml").read_text("utf-8"))
    addresses = {channel["address"] for channel in doc["channels"].values()}
    own = {c.subject() for c in Event.catalogue.values()
           if c.contract_service == service and c.__module__.startswith("ocop_shared.contracts")}
    assert own <= addresses


def test_event_catalogue_doc_lists_every_contract() -> None:
    from ocop_shared.contracts import Event

    doc = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    missing = [c.subject() for c in Event.catalogue.values()
               if c.__module__.startswith("ocop_shared.contracts") and c.subject() not in doc]
    assert not missing, f"docs/events.md does not list {missing}"
