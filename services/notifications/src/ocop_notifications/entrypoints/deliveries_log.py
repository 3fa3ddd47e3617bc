"""The delivery log over HTTP: one delivery with every attempt (when, outcome, detail), and an
operator's resume of a paused webhook endpoint."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from ocop_shared.auth import Principal, Role, check_province, require
from ocop_shared.errors import Forbidden
from ocop_shared.runtime import unit_of_work
from pydantic import BaseModel

from ..service_layer import dispatcher

router = APIRouter()

overseers = require(Role.operator, Role.provincial_official, Role.integration,
                    action="read the delivery log")
operators = require(Role.operator, action="resume a webhook endpoint")


class AttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    outcome: str
    detail: str | None
    duration_ms: int | None


class DeliveryLogOut(BaseModel):
    """What was sent, to whom, through which channel, when, and how each attempt went."""

    id: uuid.UUID
    source_event_id: uuid.UUID
    source_event_type: str
    recipient_id: str
    province_code: str | None
    channel: str
    status: str
    language: str
    address: str | None
    subscription_id: uuid.UUID | None
    subject_line: str
    body: str
    created_at: datetime
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    failed_at: datetime | None
    attempts: list[AttemptOut]


class SubscriptionStateOut(BaseModel):
    id: uuid.UUID
    recipient_id: str
    url: str
    active: bool
    consecutive_failures: int
    paused_until: datetime | None


@router.get("/deliveries/{delivery_id}", response_model=DeliveryLogOut, tags=["deliveries"])
async def get_delivery(delivery_id: uuid.UUID, request: Request,
                       principal: Principal = Depends(overseers)) -> dict:
    """One delivery and its attempts, oldest first; a provincial official sees only their
    province's."""
    async with unit_of_work(request) as session:
        found = await dispatcher.delivery_with_attempts(session, delivery_id)
    if principal.role is Role.provincial_official:
        if found["province_code"] is None:
            raise Forbidden("forbidden", "this delivery belongs to no province",
                            field="delivery_id")
        check_province(principal, found["province_code"])
    return found


@router.post("/webhook-subscriptions/{subscription_id}/resume",
             response_model=SubscriptionStateOut, tags=["webhooks"])
async def resume(subscription_id: uuid.UUID, request: Request,
                 principal: Principal = Depends(operators)) -> dict:
    """Lift the pause of an endpoint that kept failing (its failure count starts again)."""
    async with unit_of_work(request) as session:
        return await dispatcher.resume_subscription(session, subscription_id)
