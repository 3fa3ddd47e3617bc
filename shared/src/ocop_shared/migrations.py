"""Alembic, run programmatically: each service keeps its own `migrations/` folder whose env.py
calls `run_env(metadata)`; `upgrade(folder, url)` brings a database to head."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from .db import async_url


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Run the service's migrations up to `revision` (blocking; call via asyncio.to_thread)."""
    command.upgrade(alembic_config(migrations_dir, url), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run())


def create_messaging_tables_v1() -> None:
    """Migration step every service's first revision runs: outbox, inbox and dead_letter as
    `messaging_tables` declares them today, and the NOTIFY trigger. Frozen: a later change to
    these tables gets its own `..._v2` step, so old revisions keep meaning what they meant."""
    from alembic import op

    from .messaging.tables import NOTIFY_TRIGGER_SQL, messaging_tables

    metadata = MetaData()
    for table in messaging_tables(metadata):
        table.create(op.get_bind())
    for statement in NOTIFY_TRIGGER_SQL:
        op.execute(statement)


def drop_messaging_tables_v1() -> None:
    from alembic import op

    op.execute("DROP TABLE IF EXISTS outbox, inbox, dead_letter CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
