"""Helpers for tests and demos that drive the registry over HTTP."""

from __future__ import annotations

from typing import Any


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
