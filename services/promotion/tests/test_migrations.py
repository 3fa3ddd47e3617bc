"""The promotion service's migrations on real PostgreSQL: upgraded to head, the schema is what
the tables modules declare (every area's), and every revision after 0001 can be undone."""

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ocop_promotion.adapters.tables import metadata
from ocop_promotion.bootstrap import MIGRATIONS
from ocop_shared.db import async_url
from ocop_shared.migrations import alembic_config, upgrade
from sqlalchemy import inspect, pool
from sqlalchemy.ext.asyncio import create_async_engine


async def test_head_matches_the_tables_and_downgrades_to_0001(postgres_server) -> None:
    name = f"mig_promotion_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.begin() as conn:
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
            assert differences == []
        await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), "0001")
        async with engine.begin() as conn:
            tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        assert {"ceremonies", "ceremony_products"} <= tables
        assert not tables & {"certified_products", "training_courses", "awareness_items"}
        await asyncio.to_thread(upgrade, MIGRATIONS, url)  # and back up again
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)
