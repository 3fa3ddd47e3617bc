"""Who may call what in the registry's HTTP API: the role requirements and the checks of a
caller's reach over producers and their products, shared by every router of the service."""

from __future__ import annotations

import uuid

from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.errors import Forbidden
from sqlalchemy.ext.asyncio import AsyncConnection

from ..service_layer import commands

officials = require(Role.operator, Role.provincial_official)
readers = require(Role.operator, Role.provincial_official, Role.council_member, Role.integration,
                  Role.producer)
producers_or_officials = require(Role.operator, Role.provincial_official, Role.producer)
officials_and_readers = require(Role.operator, Role.provincial_official, Role.council_member,
                                Role.integration)


def scoped_province(principal: Principal, asked: str | None) -> str | None:
    """The province a listing is limited to: officials and council members get their own
    (asking for another is 403; a token without a province sees nothing)."""
    if principal.role in (Role.provincial_official, Role.council_member):
        if asked not in (None, principal.province_code):
            check_province(principal, asked)
        return principal.province_code or "-"
    return asked


def check_producer_access(principal: Principal, producer: dict) -> None:
    check_province(principal, producer["province_code"])
    if principal.role is Role.producer and principal.producer_id != str(producer["id"]):
        raise Forbidden("forbidden", "a producer may only act on its own products")


async def producer_for(session: AsyncConnection, principal: Principal,
                        producer_id: uuid.UUID) -> dict:
    """The producer, when the caller may act for it (a producer itself, an official its
    province); 403/404 otherwise."""
    producer = await commands.get_producer(session, producer_id)
    check_producer_access(principal, producer)
    return producer


async def product_for(session: AsyncConnection, principal: Principal,
                       product_id: uuid.UUID) -> dict:
    """The product, when the caller may act on it; 403/404 otherwise."""
    product = await commands.get_product(session, product_id)
    await producer_for(session, principal, product["producer_id"])
    return product
