"""A little demo data, loaded over the services' HTTP APIs so the whole flow runs once:
two producers in Hà Nội, three products submitted, three final scores recorded (92, 78, 61),
then recognition, referral to the Ministry, a ceremony and notifications follow by events.

Progress is kept in `<data_dir>/demo.json`, written after every step, so an interrupted
load resumes where it stopped and a finished one (`"complete": true`) is not repeated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..auth import dev_tokens

MARKER_FILE = "demo.json"
PROVINCE = "01"  # Hà Nội


@dataclass(frozen=True)
class DemoProducer:
    key: str
    name: str
    kind: str
    tax_code: str
    legal_representative: str
    commune_code: str  # a current ward of province 01 (vietnam-provinces)
    commune_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class DemoProduct:
    key: str
    producer: str
    name: str
    product_set: str
    self_score: float
    final_score: float


PRODUCERS = (
    DemoProducer("ba-dinh", "HTX Nông sản sạch Ba Đình", "cooperative", "0108000001",
                 "Nguyễn Thị Lan", "00004", "Phường Ba Đình", "htx.badinh@example.vn",
                 "0912000001"),
    DemoProducer("ngoc-ha", "Công ty TNHH Trà Ngọc Hà", "enterprise", "0108000002",
                 "Trần Văn Minh", "00008", "Phường Ngọc Hà", "tra.ngocha@example.vn", "0912000002"),
)

PRODUCTS = (
    DemoProduct("tra-sen", "ngoc-ha", "Trà sen Tây Hồ", "tea", 90, 92),
    DemoProduct("mat-ong", "ba-dinh", "Mật ong hoa nhãn", "honey", 80, 78),
    DemoProduct("banh-com", "ba-dinh", "Bánh cốm làng Vòng", "confectionery", 65, 61),
)
"""92: referred to the Ministry (90+); 78 and 61: recognised by the province."""


class DemoError(RuntimeError):
    """A demo step failed; the message names the step and the service's answer."""


class _State:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            self.data = {}
        for key in ("producers", "products", "evaluations"):
            self.data.setdefault(key, {})
        for key in ("submitted", "scored"):
            self.data.setdefault(key, [])
        self.data.setdefault("complete", False)

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(self.path)


def demo_loaded(data_dir: Path) -> bool:
    """True when a previous run finished loading the demo data into this data folder."""
    try:
        return bool(json.loads((data_dir / MARKER_FILE).read_text("utf-8")).get("complete"))
    except (FileNotFoundError, ValueError):
        return False


def demo_producer_id(data_dir: Path) -> str | None:
    """The id of the demo's first producer, once registered (for the producer dev token)."""
    try:
        producers = json.loads((data_dir / MARKER_FILE).read_text("utf-8")).get("producers", {})
    except (FileNotFoundError, ValueError):
        return None
    return next(iter(producers.values()), None)


def _check(response: httpx.Response, what: str, expected: int) -> dict[str, Any]:
    if response.status_code != expected:
        raise DemoError(
            f"{what}: {response.request.method} {response.request.url} answered "
            f"HTTP {response.status_code}: {response.text[:500]}"
        )
    return response.json()


def _complete_dossier(http: httpx.Client, product_url: str, headers: dict[str, str]) -> None:
    """Upload a placeholder file for each mandatory dossier item the product lacks."""
    for item in _check(http.get(f"{product_url}/dossier", headers=headers),
                       "read the dossier", 200)["missing"]:
        _check(http.post(f"{product_url}/documents", headers=headers,
                         data={"type": item["code"], "title": item["name"]},
                         files={"file": (f"{item['code']}.pdf", b"%PDF demo", "application/pdf")}),
               f"upload {item['code']}", 201)


def load_demo(
    service_urls: dict[str, str],
    secret: str,
    data_dir: Path,
    *,
    report: Callable[[str], None] = lambda _line: None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Load the demo data unless `<data_dir>/demo.json` says it is complete.

    Returns the state (producer, product and evaluation ids). Raises DemoError when a
    service refuses a step or the evaluations do not appear within `timeout` seconds.
    """
    state = _State(data_dir / MARKER_FILE)
    if state.data["complete"]:
        report("demo data already loaded (delete demo.json in the data folder to load it again)")
        return state.data
    tokens = dev_tokens(secret)
    official = {"Authorization": f"Bearer {tokens['provincial_official']}"}
    council = {"Authorization": f"Bearer {tokens['council_member']}"}
    with httpx.Client(timeout=10.0, trust_env=False) as http:
        registry, evaluation = service_urls["registry"], service_urls["evaluation"]
        for p in PRODUCERS:
            if p.key in state.data["producers"]:
                continue
            body = _check(http.post(f"{registry}/producers", headers=official, json={
                "name": p.name, "kind": p.kind, "registration_number": p.tax_code,
                "legal_representative": p.legal_representative, "province_code": PROVINCE,
                "commune_code": p.commune_code, "email": p.email, "phone": p.phone,
            }), f"register producer {p.name}", 201)
            state.data["producers"][p.key] = body["id"]
            state.save()
            report(f"registered producer {p.name} ({p.commune_name}, Hà Nội)")
        for product in PRODUCTS:
            if product.key not in state.data["products"]:
                body = _check(http.post(f"{registry}/products", headers=official, json={
                    "producer_id": state.data["producers"][product.producer],
                    "name": product.name, "product_set": product.product_set,
                }), f"register product {product.name}", 201)
                state.data["products"][product.key] = body["id"]
                state.save()
            if product.key not in state.data["submitted"]:
                product_id = state.data["products"][product.key]
                _complete_dossier(http, f"{registry}/products/{product_id}", official)
                _check(http.post(f"{registry}/products/{product_id}/submit", headers=official,
                                 json={"self_score": product.self_score}),
                       f"submit {product.name} for evaluation", 200)
                state.data["submitted"].append(product.key)
                state.save()
                report(f"submitted {product.name} for evaluation")

        deadline = time.monotonic() + timeout
        while len(state.data["evaluations"]) < len(PRODUCTS):
            for product in PRODUCTS:
                if product.key in state.data["evaluations"]:
                    continue
                page = _check(http.get(f"{evaluation}/evaluations", headers=council, params={
                    "product_id": state.data["products"][product.key],
                }), "list evaluations", 200)
                if page["items"]:
                    state.data["evaluations"][product.key] = page["items"][0]["id"]
                    state.save()
            if len(state.data["evaluations"]) == len(PRODUCTS):
                break
            if time.monotonic() >= deadline:
                missing = [p.name for p in PRODUCTS if p.key not in state.data["evaluations"]]
                raise DemoError(
                    f"no evaluation opened within {timeout:.0f}s for {', '.join(missing)} "
                    f"(GET {evaluation}/evaluations); see the registry and evaluation logs"
                )
            time.sleep(0.3)
        report(f"{len(PRODUCTS)} evaluations opened by the evaluation service")

        for product in PRODUCTS:
            if product.key in state.data["scored"]:
                continue
            evaluation_id = state.data["evaluations"][product.key]
            current = _check(http.get(f"{evaluation}/evaluations/{evaluation_id}",
                                      headers=council), f"read evaluation of {product.name}", 200)
            if current["status"] != "completed":
                current = _check(http.post(
                    f"{evaluation}/evaluations/{evaluation_id}/final-score", headers=council,
                    json={"score": product.final_score},
                ), f"record the final score of {product.name}", 200)
            state.data["scored"].append(product.key)
            state.save()
            referred = ", referred to the Ministry" if current.get("referred_to_ministry") else ""
            report(f"final score {product.final_score:g} for {product.name}: "
                   f"{current.get('stars')} stars{referred}")
    state.data["complete"] = True
    state.save()
    return state.data


def flow_summary(
    service_urls: dict[str, str], secret: str, data_dir: Path, *, wait: float = 0.0
) -> dict[str, Any]:
    """Where the demo products stand in each service; with `wait` > 0, poll up to that many
    seconds until the event-driven part has caught up (registry statuses, a ceremony with
    the recognised products, notifications).

    Returns {"products": [...], "ceremonies": n, "deliveries": n, "caught_up": bool}.
    """
    state = _State(data_dir / MARKER_FILE).data
    operator = {"Authorization": f"Bearer {dev_tokens(secret)['operator']}"}
    deadline = time.monotonic() + wait
    summary: dict[str, Any] = {}
    with httpx.Client(timeout=10.0, trust_env=False) as http:
        while True:
            products = []
            for product in PRODUCTS:
                product_id = state["products"].get(product.key)
                if product_id is None:
                    continue
                response = http.get(f"{service_urls['registry']}/products/{product_id}",
                                    headers=operator)
                if response.status_code == 200:
                    products.append(response.json())
            ceremonies = http.get(f"{service_urls['promotion']}/ceremonies", headers=operator)
            deliveries = http.get(f"{service_urls['notifications']}/deliveries", headers=operator)
            summary = {
                "products": products,
                "ceremonies": ceremonies.json().get("total", 0) if ceremonies.is_success else 0,
                "deliveries": deliveries.json().get("total", 0) if deliveries.is_success else 0,
            }
            summary["caught_up"] = (
                len(products) == len(PRODUCTS)
                and all(p["status"] in ("certified", "not_recognised") for p in products)
                and summary["ceremonies"] > 0
                and summary["deliveries"] > 0
            )
            if summary["caught_up"] or time.monotonic() >= deadline:
                return summary
            time.sleep(0.5)
