"""Migration 0002 on real PostgreSQL: the thin flow's evaluations keep their results (pending
ones wait for a round, completed ones count as decided), the migrated schema is what the tables
module declares, and the revision can be undone."""

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from ocop_evaluation.adapters.tables import metadata
from ocop_evaluation.bootstrap import MIGRATIONS
from ocop_shared.db import async_url
from ocop_shared.migrations import alembic_config, upgrade

INSERT = text(
    "INSERT INTO evaluations (id, submission_event_id, product_id, producer_id, product_name,"
    " product_code, province_code, product_set, submitted_on, status, rulebook, level, score,"
    " stars, recognised) VALUES (:id, :id, :id, :id, :name, 'HN-1', '01', 'tea', '2026-11-01',"
    " :status, '1489/QĐ-TTg', 'province', :score, :stars, :recognised)")


async def test_0002_keeps_thin_flow_results_and_matches_the_tables(postgres_server) -> None:
    name = f"mig_evaluation_{uuid.uuid4().hex[:8]}"
    await postgres_server.create_database(name)
    url = postgres_server.url(name)
    engine = create_async_engine(async_url(url), poolclass=pool.NullPool)
    try:
        await asyncio.to_thread(upgrade, MIGRATIONS, url, "0001")
        async with engine.begin() as conn:
            await conn.execute(INSERT, {"id": uuid.uuid4(), "name": "Chờ", "status": "pending",
                                        "score": None, "stars": None, "recognised": None})
            await conn.execute(INSERT, {"id": uuid.uuid4(), "name": "Xong",
                                        "status": "completed", "score": 78, "stars": 4,
                                        "recognised": True})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.begin() as conn:
            rows = (await conn.execute(text(
                "SELECT product_name, status, recognised_stars, attempt, reason"
                " FROM evaluations ORDER BY product_name"))).all()
            assert [tuple(r) for r in rows] == [("Chờ", "awaiting_round", None, 1, "first"),
                                                ("Xong", "decided", 4, 1, "first")]
            differences = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
            assert differences == []
        await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, url), "0001")
        async with engine.begin() as conn:
            statuses = (await conn.execute(text(
                "SELECT status FROM evaluations ORDER BY product_name"))).scalars().all()
            assert statuses == ["pending", "completed"]
    finally:
        await engine.dispose()
        await postgres_server.drop_database(name)
