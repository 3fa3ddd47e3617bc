"""Registry commands: each runs in one transaction with the events it causes (outbox)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.classification import group_of
from ocop_shared.contracts.classification import product_set as product_set_named
from ocop_shared.contracts.evaluation import ProductRecognized
from ocop_shared.contracts.registry import (
    CertificateExpired,
    CertificateExpiringSoon,
    CertificateIssued,
    CertificateRevoked,
    CertificateStarsChanged,
    ProducerDeactivated,
    ProducerRegistered,
    ProducerUpdated,
    ProductRegistered,
    ProductSubmittedForEvaluation,
)
from ocop_shared.errors import Conflict, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.tables import (
    certificate_reminders,
    certificates,
    dossier_documents,
    producers,
    product_standards,
    products,
)
from ..domain.certificates import (
    CertificateRules,
    CertificateStatus,
    NotActive,
    check_active,
    check_downgrade,
    days_left,
    is_expiry,
    reminder_outdated,
    reminder_schedule,
    valid_until,
)
from ..domain.dossiers import DocumentType, describe, missing_items
from ..domain.products import (
    IllegalTransition,
    NotEditable,
    ProductStatus,
    can_become,
    check_editable,
    submission_reason,
    transition,
)
from ..domain.search import search_text

_EVENT_FIELDS = (
    "name", "kind", "province_code", "commune_code", "email", "phone", "registration_type",
    "registration_number", "legal_representative", "female_owned", "ethnic_minority_owned",
)


async def _refuse_duplicate_registration(
    session: AsyncConnection, data: dict, *, other_than: uuid.UUID | None = None
) -> None:
    query = select(producers.c.id, producers.c.name).where(
        producers.c.registration_type == data["registration_type"],
        producers.c.registration_number == data["registration_number"],
    )
    if other_than is not None:
        query = query.where(producers.c.id != other_than)
    existing = (await session.execute(query)).first()
    if existing is not None:
        raise Conflict(
            "duplicate_registration",
            f"{data['registration_type']} {data['registration_number']} is already registered "
            f"to producer {existing.name} ({existing.id})",
            field="registration_number",
        )


def _searchable(data: dict) -> str:
    return search_text(data["name"], data.get("registration_number"),
                       data.get("legal_representative"))


async def register_producer(session: AsyncConnection, outbox: Outbox, data: dict) -> dict:
    await _refuse_duplicate_registration(session, data)
    row = {"id": uuid.uuid4(), **data, "search_text": _searchable(data)}
    created = (await session.execute(insert(producers).values(row).returning(producers))).one()
    await outbox.add(session, ProducerRegistered(
        producer_id=row["id"], **{k: data.get(k) for k in _EVENT_FIELDS}))
    return created._asdict()


async def get_producer(
    session: AsyncConnection, producer_id: uuid.UUID, *, lock: bool = False
) -> dict:
    query = select(producers).where(producers.c.id == producer_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("producer_not_found", f"no producer {producer_id}", field="producer_id")
    return row._asdict()


def _require_active(producer: dict) -> None:
    if not producer["active"]:
        raise Conflict("producer_inactive",
                       f"producer {producer['name']} was deactivated: "
                       f"{producer['deactivation_reason']}", field="producer_id")


async def update_producer(
    session: AsyncConnection, outbox: Outbox, producer_id: uuid.UUID, merged: dict,
    changed: list[str],
) -> dict:
    """Store `merged` (the current record with the validated changes) and announce it."""
    current = await get_producer(session, producer_id, lock=True)
    _require_active(current)
    if not changed:
        return current
    if {"registration_type", "registration_number"} & set(changed):
        await _refuse_duplicate_registration(session, merged, other_than=producer_id)
    values = {k: merged[k] for k in changed}
    updated = (
        await session.execute(
            update(producers).where(producers.c.id == producer_id)
            .values(**values, search_text=_searchable(merged), updated_at=func.now())
            .returning(producers)
        )
    ).one()._asdict()
    await outbox.add(session, ProducerUpdated(
        producer_id=producer_id, changed=sorted(changed),
        **{k: updated[k] for k in _EVENT_FIELDS}))
    return updated


async def deactivate_producer(
    session: AsyncConnection, outbox: Outbox, producer_id: uuid.UUID, reason: str
) -> dict:
    current = await get_producer(session, producer_id, lock=True)
    _require_active(current)
    updated = (
        await session.execute(
            update(producers).where(producers.c.id == producer_id)
            .values(active=False, deactivation_reason=reason, updated_at=func.now())
            .returning(producers)
        )
    ).one()._asdict()
    await outbox.add(session, ProducerDeactivated(producer_id=producer_id, reason=reason))
    return updated


def _new_product_code(province_code: str) -> str:
    """Stable, unguessable public code, e.g. OCOP-01-7F3A9C2D (what the QR code carries)."""
    return f"OCOP-{province_code}-{secrets.token_hex(4).upper()}"


def _derived(fields: dict) -> dict:
    """The columns a product's fields decide: its group (from the product set) and the folded
    text it is searched by."""
    return {"product_group": group_of(fields["product_set"]).code,
            "search_text": search_text(fields["name"])}


async def _store_standards(
    session: AsyncConnection, product_id: uuid.UUID, standards: list[dict]
) -> None:
    """Replace the product's standards by `standards`, kept in the order given."""
    await session.execute(
        delete(product_standards).where(product_standards.c.product_id == product_id))
    if standards:
        await session.execute(insert(product_standards), [
            {"product_id": product_id, "position": i, **s} for i, s in enumerate(standards)])


async def with_standards(session: AsyncConnection, rows: list[dict]) -> list[dict]:
    """The product rows, each with its `standards` list (one query for all of them)."""
    held: dict[uuid.UUID, list[dict]] = {row["id"]: [] for row in rows}
    if held:
        query = (select(product_standards)
                 .where(product_standards.c.product_id.in_(list(held)))
                 .order_by(product_standards.c.product_id, product_standards.c.position))
        for standard in (await session.execute(query)).all():
            held[standard.product_id].append(standard._asdict())
    return [{**row, "standards": held[row["id"]]} for row in rows]


async def register_product(session: AsyncConnection, outbox: Outbox, data: dict) -> dict:
    """Register a draft product; `data` holds the product's fields and its standards."""
    producer = await get_producer(session, data["producer_id"])
    _require_active(producer)
    fields = {k: v for k, v in data.items() if k != "standards"}
    row = {
        "id": uuid.uuid4(),
        "code": _new_product_code(producer["province_code"]),
        "status": ProductStatus.DRAFT.value,
        **fields,
        **_derived(fields),
    }
    created = (await session.execute(insert(products).values(row).returning(products))).one()
    await _store_standards(session, row["id"], data.get("standards", []))
    await outbox.add(session, ProductRegistered(
        product_id=row["id"], product_code=row["code"], producer_id=producer["id"],
        name=row["name"], product_set=row["product_set"], province_code=producer["province_code"],
    ))
    return created._asdict()


async def get_product(session: AsyncConnection, product_id: uuid.UUID, *, lock: bool = False) -> dict:
    query = select(products).where(products.c.id == product_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("product_not_found", f"no product {product_id}", field="product_id")
    return row._asdict()


async def submit_product(
    session: AsyncConnection, outbox: Outbox, product_id: uuid.UUID, self_score: float | None
) -> dict:
    product = await get_product(session, product_id, lock=True)
    producer = await get_producer(session, product["producer_id"])
    _require_active(producer)
    try:
        status = transition(ProductStatus(product["status"]), ProductStatus.SUBMITTED)
    except IllegalTransition as exc:
        raise Conflict("illegal_transition", str(exc), field="status") from exc
    present = await document_types(session, product_id)
    missing = missing_items(product_set_named(product["product_set"]), present)
    if missing:
        raise Conflict("dossier_incomplete",
                       f"product {product['code']}: the dossier lacks mandatory items: "
                       f"{describe(missing)}", field="dossier")
    updated = (
        await session.execute(
            update(products)
            .where(products.c.id == product_id)
            .values(status=status.value, self_score=self_score, updated_at=func.now())
            .returning(products)
        )
    ).one()
    await outbox.add(session, ProductSubmittedForEvaluation(
        product_id=product["id"], product_code=product["code"], producer_id=producer["id"],
        product_name=product["name"], province_code=producer["province_code"],
        commune_code=producer["commune_code"], product_set=product["product_set"],
        self_score=self_score, submitted_on=today_in_vietnam(), dossier_items=present,
        reason=submission_reason(ProductStatus(product["status"])),
        current_stars=product["stars"] if product["status"] == ProductStatus.CERTIFIED else None,
    ))
    return updated._asdict()


async def _editable_product(
    session: AsyncConnection, product_id: uuid.UUID, fields: list[str]
) -> dict:
    """The product, locked, when its producer is active and its status lets `fields` change;
    Conflict saying why not otherwise."""
    product = await get_product(session, product_id, lock=True)
    _require_active(await get_producer(session, product["producer_id"]))
    try:
        check_editable(ProductStatus(product["status"]), fields)
    except NotEditable as exc:
        raise Conflict("product_not_editable", f"product {product['code']}: {exc}",
                       field="status") from exc
    return product


async def update_product(
    session: AsyncConnection, product_id: uuid.UUID, merged: dict, changed: list[str]
) -> dict:
    """Store `merged` (the product's name, description and product set with the validated
    changes) when its status allows the `changed` fields to change.

    No event: the registry's contracts have no ProductUpdated yet; evaluation reads the
    product set from ProductSubmittedForEvaluation, which carries the edited value."""
    if not changed:
        return await get_product(session, product_id)
    await _editable_product(session, product_id, changed)
    updated = (
        await session.execute(
            update(products).where(products.c.id == product_id)
            .values(**{k: merged[k] for k in changed}, **_derived(merged), updated_at=func.now())
            .returning(products)
        )
    ).one()
    return updated._asdict()


async def replace_standards(
    session: AsyncConnection, product_id: uuid.UUID, standards: list[dict]
) -> dict:
    """Replace the standards a product holds (not while it is under evaluation)."""
    await _editable_product(session, product_id, ["standards"])
    await _store_standards(session, product_id, standards)
    updated = (
        await session.execute(
            update(products).where(products.c.id == product_id)
            .values(updated_at=func.now()).returning(products)
        )
    ).one()
    return updated._asdict()


# ---------------------------------------------------------------------------------------
# The certificate register
# ---------------------------------------------------------------------------------------

async def issue_certificate(
    session: AsyncConnection, outbox: Outbox, rules: CertificateRules, event: ProductRecognized,
) -> dict:
    """A certificate for a recognition decision (the product row is already locked and set
    certified by the caller): the product's active certificate, if any, is superseded; the
    reminders are scheduled; CertificateIssued is announced."""
    product = await get_product(session, event.product_id)
    await session.execute(
        update(certificates)
        .where(certificates.c.product_id == event.product_id,
               certificates.c.status == CertificateStatus.ACTIVE.value)
        .values(status=CertificateStatus.SUPERSEDED.value, updated_at=func.now())
    )
    until = valid_until(event.decision_date, rules.validity_months)
    row = {
        "id": uuid.uuid4(), "product_id": event.product_id, "stars": event.stars,
        "level": event.level, "decision_number": event.decision_number,
        "decision_date": event.decision_date, "authority": event.authority,
        "valid_until": until, "status": CertificateStatus.ACTIVE.value,
    }
    created = (await session.execute(
        insert(certificates).values(row).returning(certificates))).one()._asdict()
    await session.execute(insert(certificate_reminders), [
        {"certificate_id": row["id"], "kind": r.kind, "due_on": r.due_on}
        for r in reminder_schedule(until, rules.lead_days)])
    producer = await get_producer(session, product["producer_id"])
    await outbox.add(session, CertificateIssued(
        certificate_id=row["id"], product_id=event.product_id, producer_id=product["producer_id"],
        product_code=product["code"], stars=event.stars, level=event.level,
        decision_number=event.decision_number, decision_date=event.decision_date,
        valid_until=until, authority=event.authority, product_name=product["name"],
        product_set=product["product_set"], province_code=producer["province_code"],
        commune_code=producer["commune_code"],
    ))
    return created


CERTIFICATE_COLUMNS = (
    *certificates.c,
    products.c.code.label("product_code"), products.c.name.label("product_name"),
    products.c.producer_id, producers.c.province_code,
)


def certificate_query():  # noqa: ANN201 - a select the listing filters further
    return (select(*CERTIFICATE_COLUMNS)
            .join(products, products.c.id == certificates.c.product_id)
            .join(producers, producers.c.id == products.c.producer_id))


async def get_certificate(session: AsyncConnection, certificate_id: uuid.UUID) -> dict:
    row = (await session.execute(
        certificate_query().where(certificates.c.id == certificate_id))).first()
    if row is None:
        raise NotFound("certificate_not_found", f"no certificate {certificate_id}",
                       field="certificate_id")
    return row._asdict()


async def _active_certificate(session: AsyncConnection, certificate_id: uuid.UUID) -> dict:
    """The certificate with its product locked (product first, then certificate: the order
    the recognition handler locks them in); Conflict unless it is active."""
    found = await get_certificate(session, certificate_id)
    await get_product(session, found["product_id"], lock=True)
    await session.execute(select(certificates.c.id).where(certificates.c.id == certificate_id)
                          .with_for_update())
    current = await get_certificate(session, certificate_id)
    try:
        check_active(current["status"])
    except NotActive as exc:
        raise Conflict("certificate_not_active", f"certificate {certificate_id}: {exc}",
                       field="status") from exc
    return current


async def revoke_certificate(
    session: AsyncConnection, outbox: Outbox, certificate_id: uuid.UUID, decision: dict
) -> dict:
    """Revoke an active certificate by a decision; a certified product becomes revoked (one
    under re-evaluation keeps its status: the evaluation decides what follows)."""
    cert = await _active_certificate(session, certificate_id)
    await session.execute(
        update(certificates).where(certificates.c.id == certificate_id).values(
            status=CertificateStatus.REVOKED.value,
            change_decision_number=decision["decision_number"],
            change_decision_date=decision["decision_date"], change_reason=decision["reason"],
            updated_at=func.now()))
    product = await get_product(session, cert["product_id"])
    if can_become(ProductStatus(product["status"]), ProductStatus.REVOKED):
        await session.execute(
            update(products).where(products.c.id == cert["product_id"])
            .values(status=ProductStatus.REVOKED.value, updated_at=func.now()))
    await outbox.add(session, CertificateRevoked(
        certificate_id=certificate_id, product_id=cert["product_id"],
        producer_id=cert["producer_id"], product_code=cert["product_code"], stars=cert["stars"],
        decision_number=decision["decision_number"], decision_date=decision["decision_date"],
        reason=decision["reason"]))
    return await get_certificate(session, certificate_id)


async def downgrade_certificate(
    session: AsyncConnection, outbox: Outbox, certificate_id: uuid.UUID, decision: dict
) -> dict:
    """Lower an active certificate's stars by a decision (at least 3 stay); the product's
    stars follow; the validity is unchanged."""
    cert = await _active_certificate(session, certificate_id)
    try:
        check_downgrade(cert["stars"], decision["stars"])
    except ValueError as exc:
        raise Conflict("illegal_downgrade", str(exc), field="stars") from exc
    await session.execute(
        update(certificates).where(certificates.c.id == certificate_id).values(
            stars=decision["stars"], change_decision_number=decision["decision_number"],
            change_decision_date=decision["decision_date"], change_reason=decision["reason"],
            updated_at=func.now()))
    await session.execute(
        update(products).where(products.c.id == cert["product_id"])
        .values(stars=decision["stars"], updated_at=func.now()))
    await outbox.add(session, CertificateStarsChanged(
        certificate_id=certificate_id, product_id=cert["product_id"],
        producer_id=cert["producer_id"], product_code=cert["product_code"],
        previous_stars=cert["stars"], stars=decision["stars"],
        decision_number=decision["decision_number"], decision_date=decision["decision_date"],
        reason=decision["reason"], valid_until=cert["valid_until"]))
    return await get_certificate(session, certificate_id)


async def send_due_reminders(
    session: AsyncConnection, outbox: Outbox, today: date, *, limit: int = 500
) -> int:
    """In the caller's one transaction: take the unsent reminders due by `today` of active
    certificates (rows locked, SKIP LOCKED: a concurrent sweep takes others), write their
    events to the outbox, stamp them sent and, on expiry, set the certificate and a certified
    product expired. Commit makes all of it happen once; a rollback none of it."""
    r = certificate_reminders
    later = certificate_reminders.alias("later")
    later_one_due = (
        select(later.c.kind)
        .where(later.c.certificate_id == r.c.certificate_id, later.c.due_on > r.c.due_on,
               later.c.due_on <= today)
        .exists()
    )
    due = (await session.execute(
        select(r.c.certificate_id, r.c.kind, r.c.due_on, certificates.c.valid_until,
               certificates.c.stars, certificates.c.product_id, products.c.code,
               products.c.producer_id, products.c.status.label("product_status"),
               later_one_due.label("later_one_due"))
        .join(certificates, certificates.c.id == r.c.certificate_id)
        .join(products, products.c.id == certificates.c.product_id)
        .where(r.c.sent_at.is_(None), r.c.due_on <= today,
               certificates.c.status == CertificateStatus.ACTIVE.value)
        .order_by(r.c.due_on, r.c.certificate_id, r.c.kind)
        .limit(limit)
        .with_for_update(skip_locked=True, of=[r, certificates, products])
    )).all()
    for row in due:
        key = {"certificate_id": row.certificate_id, "product_id": row.product_id,
               "producer_id": row.producer_id, "product_code": row.code, "stars": row.stars,
               "valid_until": row.valid_until}
        skipped = reminder_outdated(row.kind, row.valid_until, today,
                                   later_one_due=row.later_one_due)
        if is_expiry(row.kind):
            await outbox.add(session, CertificateExpired(**key))
            await session.execute(
                update(certificates).where(certificates.c.id == row.certificate_id)
                .values(status=CertificateStatus.EXPIRED.value, updated_at=func.now()))
            if can_become(ProductStatus(row.product_status), ProductStatus.EXPIRED):
                await session.execute(
                    update(products).where(products.c.id == row.product_id)
                    .values(status=ProductStatus.EXPIRED.value, updated_at=func.now()))
        elif not skipped:
            await outbox.add(session, CertificateExpiringSoon(
                **key, days_left=days_left(row.valid_until, today)))
        await session.execute(
            update(r).where(r.c.certificate_id == row.certificate_id, r.c.kind == row.kind)
            .values(sent_at=func.now(), skipped=skipped))
    return len(due)


# --- Dossiers -------------------------------------------------------------------------------

DOCUMENTS_REMOVABLE = frozenset({ProductStatus.DRAFT, ProductStatus.NOT_RECOGNISED})
"""A document may be deleted only before a dossier is submitted, or after it was turned down."""


async def document_types(session: AsyncConnection, product_id: uuid.UUID) -> list[str]:
    """The codes of the document types a product's dossier holds, sorted."""
    rows = await session.execute(
        select(dossier_documents.c.type).distinct()
        .where(dossier_documents.c.product_id == product_id)
        .order_by(dossier_documents.c.type))
    return [r.type for r in rows]


async def list_documents(session: AsyncConnection, product_id: uuid.UUID) -> list[dict]:
    rows = await session.execute(
        select(dossier_documents).where(dossier_documents.c.product_id == product_id)
        .order_by(dossier_documents.c.uploaded_at, dossier_documents.c.id))
    return [r._asdict() for r in rows]


async def get_document(
    session: AsyncConnection, product_id: uuid.UUID, document_id: uuid.UUID
) -> dict:
    row = (await session.execute(
        select(dossier_documents).where(dossier_documents.c.id == document_id,
                                        dossier_documents.c.product_id == product_id))).first()
    if row is None:
        raise NotFound("document_not_found",
                       f"product {product_id} has no document {document_id}", field="doc_id")
    return row._asdict()


async def add_document(session: AsyncConnection, product_id: uuid.UUID, fields: dict) -> dict:
    """Record a stored file as a document of the product's dossier; refused (409) while the
    product is under evaluation or its producer is inactive."""
    await _editable_product(session, product_id, ["dossier"])
    row = (await session.execute(
        insert(dossier_documents)
        .values(id=uuid.uuid4(), product_id=product_id, **fields)
        .returning(dossier_documents))).one()
    return row._asdict()


async def delete_document(
    session: AsyncConnection, product_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """Remove a document (its stored file stays: others may share the same bytes); only
    while the product is draft or not recognised."""
    product = await get_product(session, product_id, lock=True)
    await get_document(session, product_id, document_id)
    if ProductStatus(product["status"]) not in DOCUMENTS_REMOVABLE:
        raise Conflict("document_not_removable",
                       f"product {product['code']} is {product['status']}: dossier documents "
                       f"can be deleted only while it is draft or not recognised",
                       field="status")
    await session.execute(delete(dossier_documents).where(dossier_documents.c.id == document_id))


async def dossier(session: AsyncConnection, product_id: uuid.UUID) -> dict:
    """The product's dossier: its documents, the types present and mandatory items missing."""
    product = await get_product(session, product_id)
    documents = await list_documents(session, product_id)
    present = sorted({d["type"] for d in documents})
    missing = missing_items(product_set_named(product["product_set"]), present)
    required = {t.value for t in missing_items(product_set_named(product["product_set"]), [])}
    return {
        "product_id": product_id, "product_set": product["product_set"],
        "complete": not missing,
        "present": [{"code": c, "name": DocumentType(c).name_vi, "mandatory": c in required}
                    for c in present],
        "missing": [{"code": t.value, "name": t.name_vi, "mandatory": True} for t in missing],
        "documents": documents,
    }
