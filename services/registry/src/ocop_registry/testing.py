"""Helpers for tests and demos that drive the registry over HTTP."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.testing.services import publish_event


async def complete_dossier(http: Any, product_id: str, headers: dict[str, str],
                           prefix: str = "") -> list[str]:
    """Upload a small placeholder file for each mandatory item the product's dossier lacks
    (over an httpx.AsyncClient at the registry, `prefix` its base URL if the client has
    none); the codes uploaded."""
    dossier = await http.get(f"{prefix}/products/{product_id}/dossier", headers=headers)
    assert dossier.status_code == 200, dossier.text
    uploaded = []
    for item in dossier.json()["missing"]:
        created = await http.post(
            f"{prefix}/products/{product_id}/documents", headers=headers,
            data={"type": item["code"], "title": item["name"]},
            files={"file": (f"{item['code']}.pdf", f"%PDF {item['code']}".encode(),
                            "application/pdf")})
        assert created.status_code == 201, created.text
        uploaded.append(item["code"])
    return uploaded


async def submit_and_recognize(
    http: Any,
    product: dict,
    headers: dict[str, str],
    *,
    stars: int = 4,
    decision_date: date = date(2026, 11, 20),
    number: str = "12/QĐ-UBND",
) -> dict:
    """Complete the dossier, submit the product, and deliver evaluation's ProductRecognized
    for it through JetStream (as the evaluation service would); the product once the
    registry has applied that decision."""
    await complete_dossier(http, product["id"], headers)
    submitted = await http.post(f"/products/{product['id']}/submit", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.text
    event = ProductRecognized(
        product_id=product["id"], producer_id=product["producer_id"],
        product_name=product["name"], province_code="01", stars=stars, level="province",
        authority="UBND thành phố Hà Nội", decision_number=number,
        decision_date=decision_date, score=75, rulebook="1489/2025")
    await publish_event(http._transport.app.state.runtime.settings.nats_url, event)
    for _ in range(100):
        current = (await http.get(f"/products/{product['id']}", headers=headers)).json()
        if current["status"] == "certified" and current["decision_number"] == number:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"product {product['id']} was not certified by decision {number}")
