"""Reports and bulk import over HTTP: product counts by province, commune, group, stars or
status; a CSV export of products; the upload of a CSV/XLSX file of producers or products."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from enum import StrEnum

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from ocop_shared.auth import Principal, Role
from ocop_shared.errors import InvalidInput
from ocop_shared.runtime import runtime_of, unit_of_work
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from ..adapters.tables import producers, products
from ..domain.products import ProductStatus
from ..service_layer.importing import ImportKind, import_file
from .access import officials, officials_and_readers, scoped_province
from .dossiers import _read_limited
from .schemas import GroupCode

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class CountBy(StrEnum):
    province = "province"
    commune = "commune"
    group = "group"
    stars = "stars"
    status = "status"


_COUNT_COLUMNS = {
    CountBy.province: producers.c.province_code,
    CountBy.commune: producers.c.commune_code,
    CountBy.group: products.c.product_group,
    CountBy.stars: products.c.stars,
    CountBy.status: products.c.status,
}

EXPORT_COLUMNS = (
    products.c.code, products.c.name, products.c.product_set, products.c.product_group,
    products.c.status, products.c.stars, products.c.level, products.c.decision_number,
    products.c.decision_date, products.c.description,
    producers.c.name.label("producer_name"),
    producers.c.registration_type.label("producer_registration_type"),
    producers.c.registration_number.label("producer_registration_number"),
    producers.c.province_code, producers.c.commune_code,
)


class Count(BaseModel):
    key: str | None = Field(description="The province, commune, group, stars or status; "
                                        "null for products without one (e.g. no stars yet)")
    count: int


class Counts(BaseModel):
    by: CountBy
    province_code: str | None = Field(description="The province counted, null for all")
    total: int
    counts: list[Count]


class ImportError_(BaseModel):
    row: int = Field(description="As numbered in the file, the header being row 1")
    column: str | None
    reason: str
    code: str = Field(description="invalid, invalid_file, duplicate_in_file, "
                                  "unknown_producer, conflict or forbidden")


class ImportSummaryOut(BaseModel):
    kind: ImportKind
    total: int = Field(description="Data rows in the file")
    created: int
    unchanged: int = Field(description="Rows matching a record already registered")
    rejected: int = Field(description="Rows skipped for the errors listed")
    errors: list[ImportError_]


def _filtered(query, province_code: str | None, status: ProductStatus | None,  # noqa: ANN001, ANN202
              group: str | None):
    if province_code:
        query = query.where(producers.c.province_code == province_code)
    if status:
        query = query.where(products.c.status == status.value)
    if group:
        query = query.where(products.c.product_group == group)
    return query


def build_reports_router(*, max_upload_bytes: int = MAX_IMPORT_BYTES) -> APIRouter:
    router = APIRouter(tags=["reports"])

    @router.get("/reports/counts", response_model=Counts)
    async def counts(
        request: Request,
        by: CountBy = Query(description="What the products are counted by"),
        province_code: str | None = None,
        status: ProductStatus | None = None,
        group: GroupCode | None = Query(None, description="I to VI"),
        principal: Principal = Depends(officials_and_readers),
    ) -> dict:
        """Products counted by province, commune, group, stars or status; officials and
        council members count their own province only."""
        province_code = scoped_province(principal, province_code)
        column = _COUNT_COLUMNS[by]
        query = _filtered(
            select(column.label("key"), func.count().label("count"))
            .select_from(products.join(producers, producers.c.id == products.c.producer_id)),
            province_code, status, group).group_by(column).order_by(column.nulls_last())
        async with unit_of_work(request) as session:
            rows = (await session.execute(query)).all()
        found = [{"key": None if r.key is None else str(r.key), "count": r.count}
                 for r in rows]
        return {"by": by, "province_code": province_code,
                "total": sum(r["count"] for r in found), "counts": found}

    @router.get("/reports/products.csv", response_class=StreamingResponse,
                responses={200: {"content": {"text/csv": {}}}})
    async def export_products(
        request: Request,
        province_code: str | None = None,
        status: ProductStatus | None = None,
        group: GroupCode | None = Query(None, description="I to VI"),
        principal: Principal = Depends(officials_and_readers),
    ) -> StreamingResponse:
        """The products (UTF-8 CSV with a byte order mark, so Excel shows Vietnamese
        correctly), oldest first; officials see their own province only."""
        province_code = scoped_province(principal, province_code)
        query = _filtered(
            select(*EXPORT_COLUMNS)
            .select_from(products.join(producers, producers.c.id == products.c.producer_id)),
            province_code, status, group).order_by(products.c.created_at, products.c.id)
        engine = runtime_of(request).engine

        async def lines() -> AsyncIterator[bytes]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow([c.name for c in EXPORT_COLUMNS])
            yield ("\ufeff" + buffer.getvalue()).encode()
            async with engine.connect() as session:
                result = await session.stream(query.execution_options(yield_per=1000))
                async for chunk in result.partitions(1000):
                    buffer.seek(0)
                    buffer.truncate()
                    writer.writerows(["" if v is None else v for v in row] for row in chunk)
                    yield buffer.getvalue().encode()

        return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": 'attachment; filename="products.csv"'})

    @router.post("/imports/{kind}", response_model=ImportSummaryOut, tags=["imports"])
    async def import_upload(
        kind: ImportKind,
        request: Request,
        file: UploadFile = File(description="A CSV (UTF-8) or XLSX file; header row first, "
                                            "columns as the fields of POST /producers or "
                                            "POST /products"),
        principal: Principal = Depends(officials),
    ) -> dict:
        """Import producers or products from a file: valid rows are registered (with the
        same events as POST /producers and /products), invalid ones skipped and reported by
        row, column and reason. Re-sending the same file changes nothing. A provincial
        official imports for their own province only."""
        data = await _read_limited(file, max_upload_bytes)
        if not data:
            raise InvalidInput("empty_file", "the file is empty", field="file")
        only = ((principal.province_code or "-")
                if principal.role is Role.provincial_official else None)
        runtime = runtime_of(request)
        summary = await import_file(runtime.engine, runtime.outbox, kind, data, file.filename,
                                    only_province=only)
        return summary.as_dict()

    return router
