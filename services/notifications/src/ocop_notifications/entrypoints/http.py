"""The notifications HTTP API: officials look at deliveries, producers read their inbox."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from ocop_shared.auth import Principal, Role, require
from ocop_shared.errors import Forbidden
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import unit_of_work
from sqlalchemy import Select, select

from ..adapters.tables import deliveries
from ..domain.deliveries import Channel, RecipientKind, producer_recipient_id
from ..service_layer import commands
from .schemas import DeliveryOut

router = APIRouter()

overseers = require(Role.operator, Role.provincial_official, Role.integration,
                    action="list deliveries")
producers = require(Role.producer, Role.provincial_official, Role.council_member,
                    Role.ministry_official, action="read an inbox")

_INBOX_KINDS = {Role.provincial_official: RecipientKind.OFFICIAL,
                Role.council_member: RecipientKind.COUNCIL_MEMBER,
                Role.ministry_official: RecipientKind.MINISTRY}
"""People registered as recipients have the id `<kind>:<their token's sub>`."""


def _own_recipient_id(principal: Principal) -> str:
    """The caller's inbox key: a producer's by its producer id (a producer token without one
    reaches no inbox), a registered person's by kind and token subject."""
    if principal.role is Role.producer:
        if not principal.producer_id:
            raise Forbidden("forbidden",
                            f"{principal.subject} carries no producer id, so it has no inbox")
        return producer_recipient_id(principal.producer_id)
    return f"{_INBOX_KINDS[principal.role]}:{principal.subject}"


async def _page(request: Request, query: Select, page: PageParams) -> dict:
    """One page of `query`, newest first."""
    async with unit_of_work(request) as session:
        return await paginate(
            session, query.order_by(deliveries.c.created_at.desc(), deliveries.c.id), page
        )


@router.get("/deliveries", response_model=Page[DeliveryOut], tags=["deliveries"])
async def list_deliveries(
    request: Request,
    source_event_type: str | None = Query(
        None, description="CloudEvents type, e.g. ocop.evaluation.EvaluationCompleted.v1"),
    recipient_id: str | None = Query(None, description='e.g. "producer:<producer id>"'),
    province_code: str | None = None,
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(overseers),
) -> dict:
    """Every delivery, newest first; a provincial official sees their province's only."""
    query = select(deliveries)
    if principal.role is Role.provincial_official:
        province_code = principal.province_code or ""
    if province_code:
        query = query.where(deliveries.c.province_code == province_code)
    if source_event_type:
        query = query.where(deliveries.c.source_event_type == source_event_type)
    if recipient_id:
        query = query.where(deliveries.c.recipient_id == recipient_id)
    return await _page(request, query, page)


@router.get("/inbox", response_model=Page[DeliveryOut], tags=["inbox"])
async def read_inbox(
    request: Request,
    unread: bool | None = Query(None, description="true: unread only; false: read only"),
    page: PageParams = Depends(page_params),
    principal: Principal = Depends(producers),
) -> dict:
    """The caller's notifications (a producer's, or a registered official's, council
    member's or Ministry contact's), newest first."""
    query = select(deliveries).where(deliveries.c.recipient_id == _own_recipient_id(principal),
                                     deliveries.c.channel == Channel.INBOX.value)
    if unread is True:
        query = query.where(deliveries.c.read_at.is_(None))
    elif unread is False:
        query = query.where(deliveries.c.read_at.is_not(None))
    return await _page(request, query, page)


@router.post("/inbox/{delivery_id}/read", response_model=DeliveryOut, tags=["inbox"])
async def mark_read(
    delivery_id: uuid.UUID, request: Request, principal: Principal = Depends(producers)
) -> dict:
    """Mark one of the caller's notifications read (again: no change); 404 if not theirs."""
    recipient_id = _own_recipient_id(principal)
    async with unit_of_work(request) as session:
        return await commands.mark_read(session, delivery_id, recipient_id)
