"""Migration 0003 on real PostgreSQL: the ceremony tables it leaves are what the tables module
declares, existing products default to being displayed, and the revision can be undone."""

from __future__ import annotations

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ocop_promotion.adapters.tables import metadata
from ocop_promotion.bootstrap import MIGRATIONS
from ocop_shared.db import async_url
from ocop_shared.migrations import alembic_config, upgrade
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

CEREMONY_TABLES = {"ceremonies", "ceremony_products", "ceremony_sessions"}


def _table_of(diff: object) -> str | None:
    """The table name a compare_metadata difference is about."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if isinstance(name, str) and name in CEREMONY_TABLES:
            return name
    return None


async def test_0003_matches_the_ceremony_tables_and_can_be_undone(postgres_server) -> None:
    name = f"mig_promotion_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0002")
        ceremony_id = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO ceremonies (id, authority, province_code, ceremony_date, venue,"
                " capacity) VALUES (:id, 'UBND tỉnh 01', '01', '2027-03-15', 'Hội trường', 30)"),
                {"id": ceremony_id})
            await conn.execute(text(
                "INSERT INTO ceremony_products (ceremony_id, product_id, producer_id,"
                " product_name, stars, decision_number) VALUES (:id, :p, :p, 'Chè', 4, '1/QĐ')"),
                {"id": ceremony_id, "p": uuid.uuid4()})
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0003")
        async with engine.begin() as conn:
            row = (await conn.execute(text(
                "SELECT c.level, p.displayed FROM ceremonies c JOIN ceremony_products p"
                " ON p.ceremony_id = c.id"))).one()
            assert tuple(row) == ("province", True)
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
            mine = [d for d in differences if _table_of(d) in CEREMONY_TABLES]
            assert mine == []
        await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), "0002")
        async with engine.begin() as conn:
            columns = (await conn.execute(text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'ceremony_products'"))).scalars().all()
            assert "displayed" not in columns
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)
