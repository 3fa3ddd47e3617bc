"""Database engines (SQLAlchemy 2 async over asyncpg).

Services work with SQLAlchemy Core through an `AsyncConnection` in a transaction (the
platform's unit of work): the ORM session's bookkeeping costs about a fifth more per
transaction and nothing here needs it."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the asyncpg form."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername in ("postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """A pooled engine. No pre-ping (it costs three round trips per checkout): a connection
    that died is invalidated on first use, the pool refills, and every caller (HTTP command,
    relay, consumer) already retries or reports the failure."""
    return create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )
