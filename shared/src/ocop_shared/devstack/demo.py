"""A little demo data, loaded over the services' HTTP APIs so the whole flow runs once:
two producers in Hà Nội, three products submitted, the city's OCOP council (seven members)
scores them in a round (92, 78, 61 points on the rulebook's sheets), the chair closes the round
and UBND thành phố records its decision (with the sample shipment of the 92-point product);
recognition, referral to the Ministry, a ceremony and notifications follow by events.

Progress is kept in `<data_dir>/demo.json`, written after every step, so an interrupted
load resumes where it stopped and a finished one (`"complete": true`) is not repeated.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from ..auth import Principal, Role, dev_tokens, issue_token
from .sheets import choices_for

MARKER_FILE = "demo.json"
PROVINCE = "01"  # Hà Nội
COUNCIL_NAME = "Hội đồng đánh giá, phân hạng sản phẩm OCOP thành phố Hà Nội"
COUNCIL_ROLES = ("chair", "vice_chair", "secretary", "member", "member", "member", "member")
"""Seven members, as on a provincial council."""
DECISION_NUMBER = "2026/QĐ-UBND"


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
    final_score: int  # what every council member scores (the sheets' totals are whole points)


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
        for key in ("council", "round", "decision"):
            self.data.setdefault(key, None)
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
                page = _check(http.get(f"{evaluation}/evaluations", headers=official, params={
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

        members = _council(http, evaluation, official, secret, state, report)
        round_id = _round(http, evaluation, official, state, report, timeout)
        results = _score(http, evaluation, official, members, state, report)
        _close_round(http, evaluation, members, round_id, report)
        _decide(http, evaluation, official, state, results, report)
    state.data["complete"] = True
    state.save()
    return state.data


def _evaluation(http: httpx.Client, url: str, headers: dict[str, str], evaluation_id: str,
                what: str) -> dict[str, Any]:
    return _check(http.get(f"{url}/evaluations/{evaluation_id}", headers=headers),
                  f"read the evaluation of {what}", 200)


def _council(http: httpx.Client, url: str, official: dict[str, str], secret: str,
             state: _State, report: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """The Hà Nội council with its seven members (created once, found again on resume):
    subject -> {"role", "id", "headers"}."""
    council_id = state.data["council"]
    if council_id is None:
        page = _check(http.get(f"{url}/councils", headers=official, params={
            "level": "province", "province_code": PROVINCE, "limit": 200}),
            "list the councils", 200)
        found = [c for c in page["items"] if c["name"] == COUNCIL_NAME]
        if found:
            council_id = found[0]["id"]
        else:
            council_id = _check(http.post(f"{url}/councils", headers=official, json={
                "name": COUNCIL_NAME, "level": "province", "province_code": PROVINCE,
            }), "create the Hà Nội OCOP council", 201)["id"]
        state.data["council"] = council_id
        state.save()
    detail = _check(http.get(f"{url}/councils/{council_id}", headers=official),
                    "read the council", 200)
    present = {m["subject"]: m for m in detail["members"]}
    term_start = date(date.today().year, 1, 1).isoformat()
    members: dict[str, dict[str, Any]] = {}
    added = 0
    for n, role in enumerate(COUNCIL_ROLES, 1):
        subject = f"demo-council-{n}"
        if subject not in present:
            present[subject] = _check(http.post(
                f"{url}/councils/{council_id}/members", headers=official, json={
                    "subject": subject, "name": f"Thành viên hội đồng {n}", "role": role,
                    "term_start": term_start,
                }), f"add council member {n}", 201)
            added += 1
        token = issue_token(Principal(
            subject=subject, role=Role.council_member, province_code=PROVINCE,
            council_id=str(council_id), name=f"Thành viên hội đồng {n}"), secret)
        members[subject] = {"role": role, "id": str(present[subject]["id"]),
                            "headers": {"Authorization": f"Bearer {token}"}}
    if added:
        report(f"council {COUNCIL_NAME!r} with {len(COUNCIL_ROLES)} members")
    return members


def _round(http: httpx.Client, url: str, official: dict[str, str], state: _State,
           report: Callable[[str], None], timeout: float) -> str:
    """The council's round (its open one is reused); returns once the demo's evaluations
    are in it."""
    council_id = state.data["council"]
    round_id = state.data["round"]
    if round_id is None:  # on resume: the council's round the demo's evaluations are in
        taken = {_evaluation(http, url, official, state.data["evaluations"][p.key],
                             p.name)["round_id"] for p in PRODUCTS}
        if len(taken) == 1 and None not in taken:
            found = _check(http.get(f"{url}/rounds/{next(iter(taken))}", headers=official),
                           "read the demo's round", 200)
            round_id = found["id"] if found["council_id"] == council_id else None
    if round_id is None:  # else the council's open round, or a new one
        page = _check(http.get(f"{url}/rounds", headers=official, params={
            "council_id": council_id, "status": "open"}), "list the council's rounds", 200)
        if page["items"]:
            round_id = page["items"][0]["id"]
        else:
            opened = _check(http.post(f"{url}/councils/{council_id}/rounds", headers=official,
                                      json={"name": f"Đợt 1 năm {date.today().year}"}),
                            "open a round of the council", 201)
            round_id = opened["id"]
            report(f"round {opened['name']!r} opened: "
                   f"{sum(opened['evaluations'].values())} evaluations taken in")
    if state.data["round"] != round_id:
        state.data["round"] = round_id
        state.save()
    deadline = time.monotonic() + timeout
    while True:
        elsewhere = [p.name for p in PRODUCTS if _evaluation(
            http, url, official, state.data["evaluations"][p.key], p.name)["round_id"]
            != round_id]
        if not elsewhere:
            return str(round_id)
        if time.monotonic() >= deadline:
            raise DemoError(f"{', '.join(elsewhere)} not in round {round_id} within "
                            f"{timeout:.0f}s; see the evaluation logs")
        time.sleep(0.3)


def _score(http: httpx.Client, url: str, official: dict[str, str],
           members: dict[str, dict[str, Any]], state: _State,
           report: Callable[[str], None]) -> dict[str, dict[str, Any]]:
    """Every member scores each product at its final_score (members who already sent a
    sheet are skipped on resume). Returns each product's evaluation."""
    results = {}
    for product in PRODUCTS:
        evaluation_id = state.data["evaluations"][product.key]
        current = _evaluation(http, url, official, evaluation_id, product.name)
        if product.key not in state.data["scored"] and current["status"] == "in_round":
            sheet = _check(http.get(f"{url}/scoring-sheets", headers=official, params={
                "rulebook": current["rulebook"], "product_set": current["product_set"]}),
                f"read the scoring sheet of {product.name}", 200)
            choices, total = choices_for(sheet, product.final_score)
            sent = {s["member_id"] for s in _check(
                http.get(f"{url}/evaluations/{evaluation_id}/sheets", headers=official),
                f"list the sheets of {product.name}", 200) if s["attempt"] == current["attempt"]}
            for subject, member in members.items():
                if member["id"] in sent:
                    continue
                _check(http.post(f"{url}/evaluations/{evaluation_id}/sheets",
                                 headers=member["headers"], json={"choices": choices}),
                       f"{subject}'s score sheet for {product.name}", 201)
            current = _evaluation(http, url, official, evaluation_id, product.name)
            if current["status"] != "scored":
                raise DemoError(f"{product.name} is {current['status']} after every member's "
                                f"sheet (total {total:g})")
        if product.key not in state.data["scored"]:
            state.data["scored"].append(product.key)
            state.save()
            potential = ", potential 5 stars" if current.get("potential_five_stars") else ""
            report(f"council score {current['score']:g} for {product.name}: "
                   f"{current['stars']} stars{potential}")
        results[product.key] = current
    return results


def _close_round(http: httpx.Client, url: str, members: dict[str, dict[str, Any]],
                 round_id: str, report: Callable[[str], None]) -> None:
    chair = next(m for m in members.values() if m["role"] == "chair")
    round_ = _check(http.get(f"{url}/rounds/{round_id}", headers=chair["headers"]),
                    "read the round", 200)
    if round_["status"] == "open":
        closed = _check(http.post(f"{url}/rounds/{round_id}/close", headers=chair["headers"],
                                  json={"proposal_number": "01/TTr-HĐ"}),
                        "close the round (the chair)", 200)
        report(f"round closed by the chair: {closed['evaluations'].get('proposed', 0)} "
               f"products proposed to UBND thành phố")


def _decide(http: httpx.Client, url: str, official: dict[str, str], state: _State,
            results: dict[str, dict[str, Any]], report: Callable[[str], None]) -> None:
    """UBND thành phố's decision on the proposed products, with the sample shipment of
    the 90+ ones (referred to the Ministry)."""
    if state.data["decision"] is not None:
        return
    today = date.today().isoformat()
    current = {p.key: _evaluation(http, url, official, state.data["evaluations"][p.key],
                                  p.name) for p in PRODUCTS}
    proposed = {k: e for k, e in current.items() if e["status"] == "proposed"}
    if proposed:
        referrals = {e["id"]: {"sample_shipment": {
            "samples": 5, "shipped_on": today, "carrier": "VNPost"}}
            for e in proposed.values() if (e["score"] or 0) >= 90}
        decided = http.post(f"{url}/decisions", headers=official, json={
            "level": "province", "province_code": PROVINCE, "number": DECISION_NUMBER,
            "decided_on": today, "signer": "Phó Chủ tịch UBND thành phố Hà Nội",
            "evaluation_ids": [e["id"] for e in proposed.values()], "referrals": referrals,
        })
        _check(decided, f"record decision {DECISION_NUMBER}", 201)
        current.update({k: _evaluation(http, url, official, e["id"], k)
                        for k, e in proposed.items()})
    state.data["decision"] = next(
        (e["decision_number"] for e in current.values() if e.get("decision_number")),
        DECISION_NUMBER)
    state.save()
    names = {p.key: p.name for p in PRODUCTS}
    for key, e in current.items():
        if e.get("decision_number"):
            referred = (", referred to the Ministry" if e.get("forwarded_to")
                        or e.get("potential_five_stars") else "")
            report(f"decision {e['decision_number']}: {names[key]} recognised "
                   f"{e.get('recognised_stars') or e.get('stars')} stars{referred}")


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
