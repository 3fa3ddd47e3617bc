"""The reminder sweep: every few seconds, the due reminders in the database's schedule are
sent (outbox) and stamped in one transaction. Nothing lives only in memory: a restart, a
crash or a second replica neither loses nor repeats a reminder."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date

import structlog
from ocop_shared.runtime import ServiceRuntime

from ..domain.certificates import CertificateRules
from . import commands

log = structlog.get_logger("ocop.registry.reminders")


async def sweep_once(runtime: ServiceRuntime, today: date, *, limit: int = 500) -> int:
    """Send every reminder due by `today` (in batches of `limit`, one transaction each)."""
    sent = 0
    while True:
        async with runtime.engine.begin() as session:
            count = await commands.send_due_reminders(session, runtime.outbox, today, limit=limit)
        sent += count
        if count < limit:
            return sent


def reminder_sweep(
    rules: CertificateRules, today: Callable[[], date]
) -> Callable[[ServiceRuntime], Awaitable[None]]:
    """A background job for ServiceDefinition.background: sweeps every `rules.sweep_seconds`,
    asking `today` (Vietnam's date by default; injectable in tests) each time."""

    async def certificate_reminders(runtime: ServiceRuntime) -> None:
        while True:
            try:
                sent = await sweep_once(runtime, today())
                if sent:
                    log.info("reminders.sent", count=sent)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next sweep retries
                log.warning("reminders.sweep_failed", error=repr(exc))
            await asyncio.sleep(rules.sweep_seconds)

    return certificate_reminders
