"""Councils, members, rounds, rulebooks and the audit trail over HTTP, on real PostgreSQL:
who may organise what, the validation of members and terms, listings by jurisdiction."""

from __future__ import annotations

import asyncio

import pytest

from ocop_evaluation.bootstrap import MIGRATIONS, build_definition
from ocop_evaluation.settings import EvaluationSettings
from ocop_shared.auth import Role
from ocop_shared.testing.services import auth_header, running, settings_for_test

HANOI = auth_header(Role.provincial_official, province_code="01")
HCM = auth_header(Role.provincial_official, province_code="79")
MINISTRY = auth_header(Role.ministry_official)
MEMBER = auth_header(Role.council_member, province_code="01")
PRODUCER = auth_header(Role.producer, province_code="01", producer_id="p-1")


@pytest.fixture
async def http(databases, jetstream):
    url = await databases.fresh("evaluation", MIGRATIONS)
    settings = settings_for_test(url, jetstream, cls=EvaluationSettings)
    async with running(build_definition(settings), settings) as svc:
        yield svc.http


async def council(http, headers, **body) -> dict:  # noqa: ANN001
    created = await http.post("/councils", headers=headers, json={"name": "Hội đồng OCOP",
                                                                  **body})
    assert created.status_code == 201, created.text
    return created.json()


async def test_who_organises_which_council_and_who_sees_it(http) -> None:  # noqa: ANN001
    hanoi = await council(http, HANOI, level="province", province_code="01")
    await council(http, HCM, level="province", province_code="79")
    central = await council(http, MINISTRY, level="central")

    refused = await http.post("/councils", headers=HANOI, json={
        "name": "Hội đồng khác", "level": "province", "province_code": "79"})
    assert refused.status_code == 403
    refused = await http.post("/councils", headers=HANOI, json={
        "name": "Hội đồng TW", "level": "central"})
    assert refused.status_code == 403
    refused = await http.post("/councils", headers=MINISTRY, json={
        "name": "Hội đồng TW", "level": "central", "province_code": "01"})
    assert refused.status_code == 422 and refused.json()["field"] == "province_code"
    refused = await http.post("/councils", headers=MEMBER, json={
        "name": "Hội đồng", "level": "province", "province_code": "01"})
    assert refused.status_code == 403

    listed = await http.get("/councils", headers=HANOI)
    assert {c["id"] for c in listed.json()["items"]} == {hanoi["id"], central["id"]}
    assert listed.json()["total"] == 2
    assert (await http.get("/councils", headers=MINISTRY)).json()["total"] == 3
    assert (await http.get("/councils", headers=PRODUCER)).status_code == 403
    assert (await http.get(f"/councils/{hanoi['id']}", headers=HCM)).status_code == 403

    rounds = [await http.post(f"/councils/{c}/rounds", headers=h, json={"name": "Đợt 1"})
              for c, h in ((hanoi["id"], HANOI), (central["id"], MINISTRY))]
    assert [r.status_code for r in rounds] == [201, 201]
    assert (await http.post(f"/councils/{central['id']}/rounds", headers=HANOI,
                            json={"name": "Đợt 2"})).status_code == 403
    seen = await http.get("/rounds", headers=HCM, params={"status": "open"})
    assert [r["council_id"] for r in seen.json()["items"]] == [central["id"]]


async def test_members_roles_terms_and_conflicts(http) -> None:  # noqa: ANN001
    hanoi = await council(http, HANOI, level="province", province_code="01")
    url = f"/councils/{hanoi['id']}/members"

    async def add(subject: str, role: str, **extra) -> object:  # noqa: ANN003
        return await http.post(url, headers=HANOI, json={
            "subject": subject, "name": f"Ông {subject}", "role": role,
            "term_start": "2026-01-01", **extra})

    chair = await add("chair-1", "chair", term_end="2026-06-30")
    assert chair.status_code == 201, chair.text
    second_chair = await add("chair-2", "chair")
    assert second_chair.status_code == 409 and second_chair.json()["field"] == "role"
    later_chair = await add("chair-3", "chair", term_start="2026-07-01")
    assert later_chair.status_code == 201, later_chair.text
    assert (await add("chair-1", "member")).status_code == 409
    backwards = await add("m-1", "member", term_end="2025-12-31")
    assert backwards.status_code == 422 and backwards.json()["field"] == "term_end"
    bad_role = await add("m-2", "president")
    assert bad_role.status_code == 422 and "role" in bad_role.text

    member = await add("m-3", "member")
    patched = await http.patch(f"{url}/{member.json()['id']}", headers=HANOI, json={
        "conflicts": ["5f0b8a34-6c1e-4b8e-9a63-2f7d0c9b1e11"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["conflicts"] == ["5f0b8a34-6c1e-4b8e-9a63-2f7d0c9b1e11"]
    shown = (await http.get(f"/councils/{hanoi['id']}", headers=MEMBER)).json()
    assert [m["subject"] for m in shown["members"]] == ["chair-1", "chair-3", "m-3"]

    trail = await http.get("/audit", headers=HANOI, params={"entity_id": hanoi["id"]})
    assert [a["action"] for a in trail.json()["items"]] == [
        "member.updated", "member.added", "member.added", "member.added", "council.created"]
    assert (await http.get("/audit", headers=MEMBER)).status_code == 403


async def test_rulebooks_and_sheets_are_readable(http) -> None:  # noqa: ANN001
    books = (await http.get("/rulebooks", headers=PRODUCER)).json()
    assert [b["id"] for b in books] == ["1048/2019", "148/2023", "1489/2025"]
    assert [b["default"] for b in books] == [False, False, True]
    tea = await http.get("/scoring-sheets", headers=HANOI,
                         params={"rulebook": "1048/2019", "product_set": "tea"})
    assert tea.status_code == 200 and tea.json()["status"] == "official"
    missing = await http.get("/scoring-sheets", headers=HANOI,
                             params={"rulebook": "1489/2025", "product_set": "spaceships"})
    assert missing.status_code == 404 and missing.json()["field"] == "product_set"
    unknown = await http.get("/scoring-sheets", headers=HANOI,
                             params={"rulebook": "999/2030", "product_set": "tea"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "rulebook"


async def test_racing_requests_for_one_member_get_one_201_and_409s(http) -> None:  # noqa: ANN001
    hanoi = await council(http, HANOI, level="province", province_code="01")
    body = {"subject": "same-person", "name": "Bà Lan", "role": "member",
            "term_start": "2026-01-01"}
    answers = await asyncio.gather(*(
        http.post(f"/councils/{hanoi['id']}/members", headers=HANOI, json=body)
        for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409]
    assert {a.json()["error"] for a in answers if a.status_code == 409} <= {
        "member_exists", "already_exists"}
