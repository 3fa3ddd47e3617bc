"""Trade fairs and exhibitions (hội chợ, triển lãm): commands and reactions.

Every command locks the fair's row first (FOR UPDATE), then touches its applications, so
applying, allocating, withdrawing and a lost certificate never interleave on one fair."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import structlog
from ocop_shared.auth import Principal, Role
from ocop_shared.clock import VIETNAM, today_in_vietnam
from ocop_shared.contracts.promotion import (
    BoothAllocated,
    BoothReleased,
    BoothWaitlisted,
    TradeFairAnnounced,
)
from ocop_shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.fair_tables import fair_applications as apps
from ..adapters.fair_tables import trade_fairs as fairs
from ..domain.fairs import (
    ACTIVE_APPLICATIONS,
    Applicant,
    ApplicationStatus,
    FairStatus,
    allocate,
    announcement_refusal,
    closed_refusal,
    may_organise,
    move_up,
    stars_refusal,
)
from .certificates import (
    CertificateLost,
    CertificateLostReaction,
    certified_product,
    valid_certificate,
)

log = structlog.get_logger(__name__)
OFFICIALS = (Role.operator, Role.provincial_official, Role.ministry_official)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_organiser(principal: Principal, fair: dict, action: str) -> None:
    if not may_organise(principal.role.value, principal.province_code, fair["level"],
                        fair["province_code"]):
        raise Forbidden("not_organiser", f"{principal.role} {principal.subject} may not "
                        f"{action} for a {fair['level']} fair of province "
                        f"{fair['province_code']}", field="level")


async def get_fair(session: AsyncConnection, fair_id: uuid.UUID, *, lock: bool = False) -> dict:
    query = select(fairs).where(fairs.c.id == fair_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("fair_not_found", f"no trade fair {fair_id}", field="fair_id")
    return row._asdict()


async def fair_detail(session: AsyncConnection, fair_id: uuid.UUID) -> dict:
    """A fair with its allocated booths (by number), its waitlist (by position) and the
    number of applications still in it."""
    fair = await get_fair(session, fair_id)
    rows = [r._asdict() for r in (await session.execute(
        select(apps).where(apps.c.fair_id == fair_id,
                           apps.c.status.in_([s.value for s in ACTIVE_APPLICATIONS]))
        .order_by(apps.c.booth_number, apps.c.waitlist_position, apps.c.applied_at))).all()]
    return fair | {
        "applications": len(rows),
        "allocated": [r for r in rows if r["status"] == ApplicationStatus.ALLOCATED],
        "waitlist": [r for r in rows if r["status"] == ApplicationStatus.WAITLISTED],
    }


async def announce(session: AsyncConnection, outbox: Outbox, principal: Principal,
                   terms: dict, now: datetime) -> dict:
    """A new fair open for applications (TradeFairAnnounced). `terms`: name, level,
    province_code, venue, starts_on, ends_on, booths, min_stars, applications_close (a naive
    time is Vietnam's)."""
    close = terms["applications_close"]
    close = (close.replace(tzinfo=VIETNAM) if close.tzinfo is None else close).astimezone(VIETNAM)
    fair = terms | {"id": uuid.uuid4(), "applications_close": close,
                    "status": FairStatus.OPEN.value, "announced_by": principal.subject}
    _check_organiser(principal, fair, "announce a fair")
    refusal = announcement_refusal(fair["level"], fair["province_code"], fair["starts_on"],
                                   fair["ends_on"], close, now)
    if refusal is not None:
        raise InvalidInput(refusal.code, refusal.message, field=refusal.field)
    await session.execute(insert(fairs).values(fair))
    await outbox.add(session, TradeFairAnnounced(
        fair_id=fair["id"], **{k: fair[k] for k in (
            "name", "level", "province_code", "venue", "starts_on", "ends_on", "booths",
            "min_stars", "applications_close")}))
    log.info("fair.announced", fair_id=str(fair["id"]), level=fair["level"])
    return await fair_detail(session, fair["id"])


def _check_applicant(principal: Principal, cert: dict) -> None:
    """A producer applies for its own products; a provincial official for its province's."""
    if principal.role is Role.producer:
        if principal.producer_id != str(cert["producer_id"]):
            raise Forbidden("not_your_product", "the product belongs to another producer",
                            field="product_id")
    elif principal.role is Role.provincial_official:
        if principal.province_code is None or principal.province_code != cert["province_code"]:
            raise Forbidden("outside_province", "the product's producer is outside your "
                            "province", field="product_id")


async def apply(session: AsyncConnection, principal: Principal, fair_id: uuid.UUID,
                product_id: uuid.UUID, now: datetime) -> dict:
    """A certified product applies for a booth (refusals name the field and the reason)."""
    fair = await get_fair(session, fair_id, lock=True)
    closed = closed_refusal(fair["status"], fair["applications_close"], now)
    if closed is not None:
        raise Conflict(closed.code, closed.message, field=closed.field)
    cert = await certified_product(session, product_id)
    if cert is not None:
        _check_applicant(principal, cert)
    cert = await valid_certificate(session, product_id, fair["ends_on"], field="product_id")
    refusal = stars_refusal(fair["min_stars"], cert["stars"])
    if refusal is not None:
        raise Conflict(refusal.code, refusal.message, field=refusal.field)
    already = (await session.execute(select(apps.c.id).where(
        apps.c.fair_id == fair_id, apps.c.product_id == product_id))).first()
    if already is not None:
        raise Conflict("already_applied", f"the product already applied to this fair "
                       f"(application {already.id})", field="product_id")
    application = {
        "id": uuid.uuid4(), "fair_id": fair_id, "product_id": product_id,
        "producer_id": cert["producer_id"],
        "product_name": cert["product_name"] or cert["product_code"], "stars": cert["stars"],
        "province_code": cert["province_code"], "commune_code": cert["commune_code"],
        "status": ApplicationStatus.APPLIED.value, "applied_by": principal.subject,
    }
    await session.execute(insert(apps).values(application))
    log.info("fair.applied", fair_id=str(fair_id), product_id=str(product_id))
    return await get_application(session, application["id"])


async def get_application(session: AsyncConnection, application_id: uuid.UUID,
                          fair_id: uuid.UUID | None = None) -> dict:
    row = (await session.execute(select(apps).where(apps.c.id == application_id))).first()
    if row is None or (fair_id is not None and row.fair_id != fair_id):
        raise NotFound("application_not_found", f"no application {application_id}",
                       field="application_id")
    return row._asdict()


def _allocated(fair: dict, app: dict, booth: int) -> BoothAllocated:
    return BoothAllocated(
        fair_id=fair["id"], fair_name=fair["name"], application_id=app["id"],
        product_id=app["product_id"], producer_id=app["producer_id"],
        product_name=app["product_name"], stars=app["stars"], booth_number=booth,
        starts_on=fair["starts_on"], ends_on=fair["ends_on"], venue=fair["venue"])


def _waitlisted(fair: dict, app: dict, position: int) -> BoothWaitlisted:
    return BoothWaitlisted(
        fair_id=fair["id"], fair_name=fair["name"], application_id=app["id"],
        product_id=app["product_id"], producer_id=app["producer_id"],
        product_name=app["product_name"], position=position)


async def allocate_booths(session: AsyncConnection, outbox: Outbox, principal: Principal,
                          fair_id: uuid.UUID) -> dict:
    """Close applications and allocate the booths by the policy (domain.fairs): BoothAllocated
    for each booth, BoothWaitlisted for each application left waiting."""
    fair = await get_fair(session, fair_id, lock=True)
    _check_organiser(principal, fair, "allocate booths")
    if fair["status"] != FairStatus.OPEN:
        raise Conflict("already_allocated", "this fair's booths are already allocated",
                       field="fair_id")
    pending = {r.id: r._asdict() for r in (await session.execute(select(apps).where(
        apps.c.fair_id == fair_id, apps.c.status == ApplicationStatus.APPLIED.value))).all()}
    allocation = allocate([Applicant(a["id"], a["stars"], a["commune_code"], a["applied_at"])
                           for a in pending.values()], fair["booths"])
    for app_id, booth in sorted(allocation.booths.items(), key=lambda kv: kv[1]):
        await session.execute(update(apps).where(apps.c.id == app_id).values(
            status=ApplicationStatus.ALLOCATED.value, booth_number=booth))
        await outbox.add(session, _allocated(fair, pending[app_id], booth))
    for app_id, position in sorted(allocation.waitlist.items(), key=lambda kv: kv[1]):
        await session.execute(update(apps).where(apps.c.id == app_id).values(
            status=ApplicationStatus.WAITLISTED.value, waitlist_position=position))
        await outbox.add(session, _waitlisted(fair, pending[app_id], position))
    await session.execute(update(fairs).where(fairs.c.id == fair_id).values(
        status=FairStatus.ALLOCATED.value, allocated_at=func.now()))
    log.info("fair.allocated", fair_id=str(fair_id), booths=len(allocation.booths),
             waitlisted=len(allocation.waitlist))
    return await fair_detail(session, fair_id)


async def _release(session: AsyncConnection, outbox: Outbox, fair: dict, app: dict,
                   reason: str) -> None:
    """Take `app` out of `fair` (BoothReleased); a freed booth goes to the first waiting
    (BoothAllocated) and those behind move up (BoothWaitlisted with their new position)."""
    waiting = {r.id: r._asdict() for r in (await session.execute(
        select(apps).where(apps.c.fair_id == fair["id"],
                           apps.c.status == ApplicationStatus.WAITLISTED.value)
        .order_by(apps.c.waitlist_position))).all()}
    allocated = app["status"] == ApplicationStatus.ALLOCATED
    await session.execute(update(apps).where(apps.c.id == app["id"]).values(
        status=ApplicationStatus.WITHDRAWN.value, withdrawn_at=func.now(),
        withdrawal_reason=reason))
    await outbox.add(session, BoothReleased(
        fair_id=fair["id"], application_id=app["id"], product_id=app["product_id"],
        producer_id=app["producer_id"], booth_number=app["booth_number"] if allocated else None,
        reason=reason))
    move = move_up(list(waiting), app["id"] if app["id"] in waiting else None,
                   app["booth_number"] if allocated else None)
    if move.promoted is not None:
        await session.execute(update(apps).where(apps.c.id == move.promoted).values(
            status=ApplicationStatus.ALLOCATED.value, booth_number=app["booth_number"],
            waitlist_position=None))
        await outbox.add(session, _allocated(fair, waiting[move.promoted], app["booth_number"]))
    for app_id, position in sorted(move.positions.items(), key=lambda kv: kv[1]):
        await session.execute(update(apps).where(apps.c.id == app_id).values(
            waitlist_position=position))
        await outbox.add(session, _waitlisted(fair, waiting[app_id], position))
    log.info("fair.released", fair_id=str(fair["id"]), application_id=str(app["id"]),
             reason=reason, promoted=str(move.promoted) if move.promoted else None)


def _check_withdrawer(principal: Principal, fair: dict, app: dict) -> None:
    if principal.role is Role.producer:
        if principal.producer_id != str(app["producer_id"]):
            raise Forbidden("not_your_application", "the application is another producer's",
                            field="application_id")
        return
    if principal.role is Role.provincial_official and principal.province_code is not None \
            and principal.province_code == app["province_code"]:
        return
    _check_organiser(principal, fair, "withdraw an application")


async def withdraw(session: AsyncConnection, outbox: Outbox, principal: Principal,
                   fair_id: uuid.UUID, application_id: uuid.UUID, today: date) -> dict:
    """The producer (or an official) takes a product out of a fair before it ends."""
    fair = await get_fair(session, fair_id, lock=True)
    app = await get_application(session, application_id, fair_id)
    _check_withdrawer(principal, fair, app)
    if fair["ends_on"] < today:
        raise Conflict("fair_ended", f"the fair ended on {fair['ends_on']}", field="fair_id")
    if app["status"] not in ACTIVE_APPLICATIONS:
        raise Conflict("already_withdrawn", "the application was already withdrawn",
                       field="application_id")
    await _release(session, outbox, fair, app, "withdrawn")
    return await get_application(session, application_id)


def on_certificate_lost(outbox: Outbox) -> CertificateLostReaction:
    """What a revoked or expired certificate changes here: the product leaves every fair not
    yet ended (an expiry only fairs ending after the certificate's last day), freeing its
    booth for the first waiting."""

    async def react(session: AsyncConnection, lost: CertificateLost) -> None:
        query = (select(apps.c.fair_id).join(fairs, fairs.c.id == apps.c.fair_id)
                 .where(apps.c.product_id == lost.product_id,
                        apps.c.status.in_([s.value for s in ACTIVE_APPLICATIONS]),
                        fairs.c.ends_on >= today_in_vietnam()))
        if lost.reason == "certificate_expired":
            query = query.where(fairs.c.ends_on > lost.on)
        for fair_id in sorted((await session.execute(query)).scalars()):
            fair = await get_fair(session, fair_id, lock=True)
            row = (await session.execute(select(apps).where(
                apps.c.fair_id == fair_id, apps.c.product_id == lost.product_id))).first()
            if row is not None and row.status in ACTIVE_APPLICATIONS:
                await _release(session, outbox, fair, row._asdict(), lost.reason)

    return react
