"""Rendering shared by the commands: Rich console, JSON output, time options."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console

console = Console()
err_console = Console(stderr=True)

_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time (UTC when no offset is given) or a duration back from now: 30m, 6h, 2d."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a time: {value!r} (use ISO 8601, or 30m / 6h / 2d)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False)


def print_json(data: Any) -> None:
    """Machine-readable output: plain stdout, no Rich markup or wrapping."""
    print(to_json(data), flush=True)


def first_line(text: str | None, width: int = 100) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"
