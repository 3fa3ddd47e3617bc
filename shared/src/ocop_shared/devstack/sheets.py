"""Filling in a scoring sheet (the JSON of evaluation's `GET /scoring-sheets`) to reach a
wanted total: what the demo data and the tests send as a council member's sheet."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def choices_for(sheet: Mapping[str, Any], target: float) -> tuple[dict[str, int], float]:
    """Options (criterion id -> number from 1) whose points add up to `target` as closely as
    the sheet allows: each mandatory minimum met first, never a knock-out option, then
    raised greedily. Returns the choices and their total."""

    def options(criterion: Mapping[str, Any]) -> list[tuple[int, float]]:
        return [(n, o["points"]) for n, o in enumerate(criterion["options"], 1)
                if not o.get("knock_out")]

    criteria = [c for sections in sheet["parts"].values() for s in sections
                for c in s["criteria"] if c["options"]]
    required: dict[int, float] = {}
    for minima in sheet.get("mandatory", {}).values():
        for m in minima:
            required[m["criterion"]] = max(required.get(m["criterion"], 0.0), m["min_points"])
    picks: dict[str, tuple[int, float]] = {}
    for c in criteria:
        fitting = [o for o in options(c) if o[1] >= required.get(c["id"], 0.0)] or options(c)
        picks[str(c["id"])] = min(fitting, key=lambda o: o[1])
    total = sum(p for _, p in picks.values())
    for c in criteria:
        current = picks[str(c["id"])][1]
        better = [o for o in options(c) if current < o[1] <= current + target - total + 1e-9]
        if better:
            picks[str(c["id"])] = max(better, key=lambda o: o[1])
            total += picks[str(c["id"])][1] - current
    return {k: n for k, (n, _) in picks.items()}, round(total, 2)
