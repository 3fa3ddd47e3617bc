"""Helpers for tests, benchmarks and demos that drive the evaluation service over HTTP: a
council with members, choices that reach a wanted total on a sheet (`choices_for`, shared
with the demo data), and a whole round."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ocop_shared.auth import Principal, Role, issue_token
from ocop_shared.devstack.sheets import choices_for

ROLES = ("chair", "vice_chair", "secretary", "member", "member", "member", "member")
"""Seven members, as on a provincial council."""


def bearer(principal: Principal, secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, secret)}"}


@dataclass
class Council:
    """A council created over HTTP with one login (headers) per member."""

    id: str
    level: str
    members: dict[str, dict] = field(default_factory=dict)  # subject -> member row
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # subject -> headers

    def subject_with(self, role: str) -> str:
        return next(s for s, m in self.members.items() if m["role"] == role)

    def member_id(self, subject: str) -> str:
        return str(self.members[subject]["id"])


async def create_council(
    http: Any, organiser: Mapping[str, str], secret: str, *, level: str = "province",
    province_code: str | None = "01", name: str | None = None, prefix: str = "",
    roles: Iterable[str] = ROLES, term_start: date = date(2026, 1, 1),
    conflicts: Mapping[int, list[str]] | None = None, communes: Iterable[str] = (),
) -> Council:
    """A council with members `<level>-<province>-<n>` in `roles`; `conflicts` maps a member's
    position to the producers it is linked to."""
    body: dict[str, Any] = {"name": name or f"Hội đồng OCOP {level} {province_code or ''}",
                            "level": level}
    if level != "central":
        body["province_code"] = province_code
    if communes:
        body["communes"] = list(communes)
    created = await http.post(f"{prefix}/councils", headers=dict(organiser), json=body)
    assert created.status_code == 201, created.text
    council = Council(created.json()["id"], level)
    for n, role in enumerate(roles):
        subject = f"{level}-{province_code or 'vn'}-{n}-{council.id[:8]}"
        member = await http.post(
            f"{prefix}/councils/{council.id}/members", headers=dict(organiser), json={
                "subject": subject, "name": f"Thành viên {n + 1}", "role": role,
                "term_start": term_start.isoformat(),
                "conflicts": (conflicts or {}).get(n, []),
            })
        assert member.status_code == 201, member.text
        council.members[subject] = member.json()
        council.headers[subject] = bearer(Principal(
            subject=subject, role=Role.council_member, province_code=province_code,
            council_id=council.id, name=f"Thành viên {n + 1}"), secret)
    return council


def knock_out_choices(sheet: Mapping[str, Any]) -> dict[str, int]:
    """A sheet that picks the first knock-out option it finds (and nothing else)."""
    for sections in sheet["parts"].values():
        for s in sections:
            for c in s["criteria"]:
                for n, o in enumerate(c["options"], 1):
                    if o.get("knock_out"):
                        return {str(c["id"]): n}
    raise ValueError(f"sheet {sheet['sheet_id']} has no knock-out option")


async def submit_sheet(http: Any, council: Council, subject: str, evaluation_id: str,
                       choices: Mapping[str, int], prefix: str = "") -> dict:
    sent = await http.post(f"{prefix}/evaluations/{evaluation_id}/sheets",
                           headers=council.headers[subject], json={"choices": dict(choices)})
    assert sent.status_code == 201, sent.text
    return sent.json()


async def score_evaluation(http: Any, council: Council, evaluation: Mapping[str, Any],
                           sheet: Mapping[str, Any], target: float, prefix: str = "") -> str:
    """Every member scores `target` points; the evaluation's status after the last sheet."""
    choices, _ = choices_for(sheet, target)
    status = ""
    for subject in council.members:
        status = (await submit_sheet(http, council, subject, evaluation["id"], choices,
                                     prefix))["evaluation_status"]
    return status
