"""The directory of recipients over HTTP: register, read, change and deactivate officials,
council members, Ministry contacts and integrations, and the integrations' webhooks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from ocop_shared.auth import Principal, Role, require
from ocop_shared.pagination import Page, PageParams, page_params, paginate
from ocop_shared.runtime import runtime_of, unit_of_work
from sqlalchemy import select

from ..adapters.tables import recipients
from ..service_layer import recipients as commands
from .recipient_schemas import RecipientIn, RecipientOut, RecipientPatch, WebhookIn, WebhookOut

router = APIRouter(tags=["recipients"])

managers = require(Role.operator, Role.provincial_official, Role.ministry_official,
                   action="manage recipients")
operators = require(Role.operator, action="manage integrations")


@router.post("/recipients", response_model=RecipientOut, status_code=201)
async def register_recipient(body: RecipientIn, request: Request,
                             principal: Principal = Depends(managers)) -> dict:
    """Register an official or council member (operator; provincial official: its province),
    a Ministry contact (operator, Ministry official) or an integration (operator)."""
    async with unit_of_work(request) as session:
        return await commands.register(session, principal, body.model_dump())


@router.get("/recipients", response_model=Page[RecipientOut])
async def list_recipients(
    request: Request, kind: str | None = None, province_code: str | None = None,
    council_id: str | None = None, active: bool | None = None,
    page: PageParams = Depends(page_params), principal: Principal = Depends(managers),
) -> dict:
    """The directory by id; a provincial official sees its province's entries only."""
    query = select(recipients)
    if principal.role is Role.provincial_official:
        province_code = principal.province_code or ""
    for column, value in ((recipients.c.kind, kind), (recipients.c.province_code, province_code),
                          (recipients.c.council_id, council_id),
                          (recipients.c.active, active)):
        if value is not None:
            query = query.where(column == value)
    async with unit_of_work(request) as session:
        return await paginate(session, query.order_by(recipients.c.id), page)


@router.get("/recipients/{recipient_id}", response_model=RecipientOut)
async def get_recipient(recipient_id: str, request: Request,
                        principal: Principal = Depends(managers)) -> dict:
    async with unit_of_work(request) as session:
        return await commands.get(session, principal, recipient_id)


@router.patch("/recipients/{recipient_id}", response_model=RecipientOut)
async def change_recipient(recipient_id: str, body: RecipientPatch, request: Request,
                           principal: Principal = Depends(managers)) -> dict:
    """Change name, email, language, channels, council role or active (same rights as
    registering; a producer's language and channels: the operator)."""
    async with unit_of_work(request) as session:
        return await commands.change(session, principal, recipient_id,
                                     body.model_dump(exclude_unset=True))


@router.post("/recipients/{recipient_id}/deactivate", response_model=RecipientOut)
async def deactivate_recipient(recipient_id: str, request: Request,
                               principal: Principal = Depends(managers)) -> dict:
    """Stop telling this recipient anything (its past deliveries stay)."""
    async with unit_of_work(request) as session:
        return await commands.change(session, principal, recipient_id, {"active": False})


@router.post("/recipients/{recipient_id}/webhooks", response_model=WebhookOut,
             status_code=201, tags=["webhooks"])
async def subscribe(recipient_id: str, body: WebhookIn, request: Request,
                    principal: Principal = Depends(operators)) -> dict:
    """Subscribe an integration's endpoint to event types (operator)."""
    async with unit_of_work(request) as session:
        return await commands.subscribe(session, principal, recipient_id, body.model_dump())


@router.get("/recipients/{recipient_id}/webhooks", response_model=list[WebhookOut],
            tags=["webhooks"])
async def list_webhooks(recipient_id: str, request: Request,
                        principal: Principal = Depends(operators)) -> list[dict]:
    async with unit_of_work(request) as session:
        return await commands.webhooks_of(session, principal, recipient_id)


@router.post("/recipients/{recipient_id}/webhooks/{subscription_id}/deactivate",
             response_model=WebhookOut, tags=["webhooks"])
async def unsubscribe(recipient_id: str, subscription_id: uuid.UUID, request: Request,
                      principal: Principal = Depends(operators)) -> dict:
    async with unit_of_work(request) as session:
        return await commands.unsubscribe(session, runtime_of(request).outbox, principal,
                                          recipient_id, subscription_id)
