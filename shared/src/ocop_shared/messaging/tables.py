"""The messaging tables every service keeps in its own database.

- outbox: events written in the same transaction as the state change; the relay publishes them
  and stamps `published_at`. Published rows are kept for a retention period so an operator can
  republish them after a broker lost data.
- inbox: one row per (consumer, event id) processed, written in the same transaction as the
  consumer's effects: a redelivered event finds its row and changes nothing.
- dead_letter: messages that failed `max_deliver` times, with the error, for inspection and replay.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

OUTBOX_CHANNEL = "ocop_outbox"
"""PostgreSQL NOTIFY channel that wakes the relay when an outbox row commits."""


def messaging_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """Declare outbox, inbox and dead_letter in `metadata` (each service's own)."""
    outbox = Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("subject", String(255), nullable=False),
        Column("type", String(255), nullable=False),
        Column("entity_id", String(255)),
        Column("payload", JSONB, nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("causation_id", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
    )
    Index(
        "ix_outbox_unpublished",
        outbox.c.seq,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    Index("ix_outbox_published_at", outbox.c.published_at)
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("event_type", String(255), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        Column("id", BigInteger, Identity(always=True), primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("event_id", UUID(as_uuid=True)),
        Column("event_type", String(255)),
        Column("subject", String(255), nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("payload", Text, nullable=False),
        Column("error", Text, nullable=False),
        Column("deliveries", Integer, nullable=False),
        Column("stream_seq", BigInteger),
        Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("replayed_at", DateTime(timezone=True)),
    )
    return outbox, inbox, dead_letter


NOTIFY_TRIGGER_SQL = (
    f"""
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
""",
)
"""Statements a service's migration runs after creating the outbox (NOTIFY is delivered at
commit, so the relay never wakes for an uncommitted event)."""
