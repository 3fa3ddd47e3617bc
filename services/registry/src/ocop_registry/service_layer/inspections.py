"""Inspection commands and queries: each command runs in one transaction with the event it
causes (outbox)."""

from __future__ import annotations

import uuid
from datetime import date

from ocop_shared.clock import today_in_vietnam
from ocop_shared.contracts.registry import InspectionRecorded
from ocop_shared.errors import Conflict, InvalidInput, NotFound
from ocop_shared.messaging.outbox import Outbox
from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.inspection_tables import inspection_items, inspection_products, inspections
from ..adapters.tables import producers, products
from ..domain.inspections import (
    AlreadyRecorded,
    CheckedItem,
    ChecklistItem,
    InspectionStatus,
    InvalidInspection,
    ItemResult,
    Outcome,
    check_dates,
    check_outcome,
    check_recordable,
    check_results,
    failed,
    findings_summary,
)
from ..domain.products import ProductStatus
from .commands import get_producer


def inspection_query() -> Select:
    """Inspections with their producer's name and province."""
    return select(
        inspections, producers.c.name.label("producer_name"), producers.c.province_code,
    ).join(producers, producers.c.id == inspections.c.producer_id)


def _invalid(exc: InvalidInspection) -> InvalidInput:
    return InvalidInput(exc.code, exc.message, field=exc.field)


async def with_details(session: AsyncConnection, found: list[dict]) -> list[dict]:
    """The inspections with their products and checklist results."""
    if not found:
        return found
    ids = [i["id"] for i in found]
    covered: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    for row in (await session.execute(
            select(inspection_products).where(inspection_products.c.inspection_id.in_(ids))
            .order_by(inspection_products.c.product_id))).all():
        covered[row.inspection_id].append(row.product_id)
    items: dict[uuid.UUID, list[dict]] = {i: [] for i in ids}
    for row in (await session.execute(
            select(inspection_items).where(inspection_items.c.inspection_id.in_(ids))
            .order_by(inspection_items.c.inspection_id, inspection_items.c.position))).all():
        items[row.inspection_id].append({
            "item": row.item, "name_vi": ChecklistItem(row.item).name_vi,
            "product_id": row.product_id, "result": row.result, "note": row.note})
    return [{**i, "product_ids": covered[i["id"]], "items": items[i["id"]]} for i in found]


async def get_inspection(session: AsyncConnection, inspection_id: uuid.UUID, *,
                         lock: bool = False) -> dict:
    query = inspection_query().where(inspections.c.id == inspection_id)
    if lock:
        query = query.with_for_update(of=inspections)
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound("inspection_not_found", f"no inspection {inspection_id}",
                       field="inspection_id")
    return (await with_details(session, [row._asdict()]))[0]



async def plan_inspection(session: AsyncConnection, data: dict, planned_by: str) -> dict:
    """Plan an inspection of a producer's facility covering some of its certified products
    (422 for an unknown product or another producer's, 409 for one not certified)."""
    producer = await get_producer(session, data["producer_id"])
    if not producer["active"]:
        raise Conflict("producer_inactive",
                       f"producer {producer['id']} has left the programme",
                       field="producer_id")
    product_ids = list(dict.fromkeys(data["product_ids"]))
    if not product_ids:
        raise InvalidInput("no_products", "an inspection covers at least one certified product",
                           field="product_ids")
    found = {row.id: row for row in (await session.execute(
        select(products.c.id, products.c.producer_id, products.c.status)
        .where(products.c.id.in_(product_ids)))).all()}
    for index, product_id in enumerate(product_ids):
        row = found.get(product_id)
        if row is None:
            raise InvalidInput("product_not_found", f"no product {product_id}",
                               field=f"product_ids.{index}")
        if row.producer_id != producer["id"]:
            raise InvalidInput("product_of_another_producer",
                               f"product {product_id} is not a product of producer "
                               f"{producer['id']}", field=f"product_ids.{index}")
        if row.status != ProductStatus.CERTIFIED.value:
            raise Conflict("product_not_certified",
                           f"product {product_id} is {row.status}: only certified products "
                           f"are inspected", field=f"product_ids.{index}")
    inspection_id = uuid.uuid4()
    await session.execute(insert(inspections).values(
        id=inspection_id, producer_id=producer["id"], planned_on=data["planned_on"],
        inspectors=data.get("inspectors") or [], status=InspectionStatus.PLANNED.value,
        planned_by=planned_by))
    await session.execute(insert(inspection_products), [
        {"inspection_id": inspection_id, "product_id": p} for p in product_ids])
    return await get_inspection(session, inspection_id)


async def record_inspection(session: AsyncConnection, outbox: Outbox,
                            inspection_id: uuid.UUID, data: dict, recorded_by: str,
                            *, today: date | None = None) -> dict:
    """Record what the inspection found, once (409 the second time), and publish
    InspectionRecorded with its outcome in the same transaction."""
    current = await get_inspection(session, inspection_id, lock=True)
    try:
        check_recordable(InspectionStatus(current["status"]))
    except AlreadyRecorded:
        raise Conflict("inspection_already_recorded",
                       f"inspection {inspection_id} was recorded on {current['inspected_on']}",
                       field="inspection_id") from None
    covered = {str(p) for p in current["product_ids"]}
    results = []
    for index, item in enumerate(data["items"]):
        product_id = str(item["product_id"]) if item.get("product_id") else None
        if product_id is not None and product_id not in covered:
            raise InvalidInput("product_not_inspected",
                               f"product {product_id} is not covered by this inspection",
                               field=f"items.{index}.product_id")
        results.append(CheckedItem(ChecklistItem(item["item"]), ItemResult(item["result"]),
                                   item.get("note"), product_id))
    outcome, deadline = Outcome(data["outcome"]), data.get("deadline")
    try:
        check_dates(data["inspected_on"], today or today_in_vietnam())
        check_results(results)
        check_outcome(results, outcome, deadline, data["inspected_on"])
    except InvalidInspection as exc:
        raise _invalid(exc) from None
    await session.execute(update(inspections).where(inspections.c.id == inspection_id).values(
        status=InspectionStatus.RECORDED.value, inspected_on=data["inspected_on"],
        inspectors=data.get("inspectors") or current["inspectors"], outcome=outcome.value,
        deadline=deadline, findings=data.get("findings"),
        products_under_development=data.get("products_under_development") or [],
        star_raising_plans=data.get("star_raising_plans") or [],
        recorded_by=recorded_by, recorded_at=func.now()))
    await session.execute(insert(inspection_items), [
        {"inspection_id": inspection_id, "position": i, "product_id": r.product_id,
         "item": r.item.value, "result": r.result.value, "note": r.note}
        for i, r in enumerate(results)])
    await outbox.add(session, InspectionRecorded(
        inspection_id=inspection_id, producer_id=current["producer_id"],
        province_code=current["province_code"], product_ids=current["product_ids"],
        inspected_on=data["inspected_on"], outcome=outcome.value, deadline=deadline,
        failed_items=list(dict.fromkeys(r.item.value for r in failed(results))),
        findings=findings_summary(data.get("findings"), results)))
    return await get_inspection(session, inspection_id)
