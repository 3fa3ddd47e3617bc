"""Migration 0003 on real PostgreSQL: existing products get the group of a known product set
(NULL for an unknown one) and their folded search text; the migrated schema is what the
tables module declares; the revision can be undone."""

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from ocop_registry.adapters.tables import metadata
from ocop_registry.bootstrap import MIGRATIONS
from ocop_shared.db import async_url
from ocop_shared.migrations import alembic_config, upgrade


async def test_0003_derives_groups_folds_names_and_matches_the_tables(postgres_server) -> None:
    name = f"mig_registry_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0002")
        producer = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO producers (id, name, kind, registration_type, registration_number,"
                " province_code) VALUES (:id, 'HTX A', 'cooperative', 'tax_code', '0101234567',"
                " '01')"), {"id": producer})
            for code, product, product_set in (("C1", "Chè Shan Tuyết", "tea"),
                                               ("C2", "Đường phèn", "food")):
                await conn.execute(text(
                    "INSERT INTO products (id, code, producer_id, name, product_set, status)"
                    " VALUES (:id, :code, :producer, :name, :set, 'draft')"),
                    {"id": uuid.uuid4(), "code": code, "producer": producer, "name": product,
                     "set": product_set})

        await asyncio.to_thread(upgrade, MIGRATIONS, url)

        async with engine.begin() as conn:
            rows = (await conn.execute(text(
                "SELECT code, product_group, search_text FROM products ORDER BY code"))).all()
            assert [tuple(r) for r in rows] == [("C1", "I", "che shan tuyet"),
                                                ("C2", None, "duong phen")]
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
            assert differences == []

        await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), "0002")
        async with engine.begin() as conn:
            columns = (await conn.execute(text(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'products' AND column_name = 'product_group'"))).all()
            assert columns == []
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)
