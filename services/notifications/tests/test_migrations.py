"""Migration 0002 on real PostgreSQL: an inbox delivery of the first schema stays delivered,
the migrated schema is what the tables module declares, and the revision can be undone."""

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from ocop_notifications.adapters.tables import metadata
from ocop_notifications.bootstrap import MIGRATIONS
from ocop_shared.db import async_url
from ocop_shared.migrations import alembic_config, upgrade


async def test_0002_keeps_inbox_deliveries_and_matches_the_tables(postgres_server) -> None:
    name = f"mig_notifications_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0001")
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO deliveries (id, source_event_id, source_event_type, recipient_id,"
                " channel, status, subject_line, body) VALUES (:id, :id, 't', 'producer:1',"
                " 'inbox', 'delivered', 's', 'b')"), {"id": uuid.uuid4()})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.begin() as conn:
            row = (await conn.execute(text(
                "SELECT status, language, attempts FROM deliveries"))).one()
            assert tuple(row) == ("delivered", "vi", 0)
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
            assert differences == []
        await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), "0001")
        async with engine.begin() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM deliveries"))).scalar()
            assert count == 1
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)
