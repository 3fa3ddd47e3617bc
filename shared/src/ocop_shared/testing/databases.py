"""Fresh, migrated databases for each test, cloned from a per-run template (fast: CREATE
DATABASE ... TEMPLATE copies files instead of replaying migrations)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg

from ..embedded.postgres import create_database, database_url, drop_database, quote_ident
from ..migrations import upgrade


class DatabaseFactory:
    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._templates: dict[Path, str] = {}
        self._created: list[str] = []

    async def template(self, name: str, migrations_dir: Path) -> str:
        """A database migrated to head, created once per test run."""
        if migrations_dir not in self._templates:
            template = f"tmpl_{name}_{uuid.uuid4().hex[:8]}"
            await create_database(self.server_url, template)
            await asyncio.to_thread(
                upgrade, migrations_dir, database_url(self.server_url, template)
            )
            self._templates[migrations_dir] = template
            self._created.append(template)
        return self._templates[migrations_dir]

    async def fresh(self, name: str, migrations_dir: Path) -> str:
        """The URL of a new database holding the service's schema and no rows."""
        template = await self.template(name, migrations_dir)
        database = f"t_{name}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(database_url(self.server_url, "postgres"))
        try:
            await conn.execute(
                f"CREATE DATABASE {quote_ident(database)} TEMPLATE {quote_ident(template)}"
            )
        finally:
            await conn.close()
        self._created.append(database)
        return database_url(self.server_url, database)

    async def drop_all(self) -> None:
        for database in reversed(self._created):
            await drop_database(self.server_url, database)
        self._created.clear()
        self._templates.clear()
