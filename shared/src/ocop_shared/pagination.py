"""Offset pagination shared by every list endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    limit: int = Query(50, ge=1, le=200, description="Items per page (1-200)"),
    offset: int = Query(0, ge=0, description="Items to skip"),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


async def paginate(session: AsyncConnection, query: Select, page: PageParams) -> dict:
    """One page of `query` (already ordered) with the total number of matching rows, in the
    shape of `Page`."""
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar()
    rows = (await session.execute(query.limit(page.limit).offset(page.offset))).all()
    return {"items": [row._asdict() for row in rows], "total": total, "limit": page.limit,
            "offset": page.offset}
