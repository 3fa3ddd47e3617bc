"""OCOP outlets (điểm giới thiệu và bán sản phẩm OCOP): commands and reactions."""

from __future__ import annotations

from ocop_shared.messaging.outbox import Outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from .certificates import CertificateLost, CertificateLostReaction


def on_certificate_lost(outbox: Outbox) -> CertificateLostReaction:
    """What a revoked or expired certificate changes here."""

    async def react(session: AsyncConnection, lost: CertificateLost) -> None:
        return None

    return react
