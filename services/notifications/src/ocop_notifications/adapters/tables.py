"""The notifications service's tables (its own database).

- recipients: who can be notified and how to reach them, kept in step with the registry's
  ProducerRegistered (officials and integrations come with email/webhooks).
- deliveries: one row per (source event, recipient, channel), whatever the redeliveries. For now
  the only channel is the in-app inbox, where a delivery is delivered the moment it is written.
  `recipient_id` is not a foreign key: events from different streams arrive in any order, so a
  delivery may be written before its recipient is known.
"""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

recipients = Table(
    "recipients",
    metadata,
    Column("id", String(120), primary_key=True),  # e.g. "producer:<producer id>"
    Column("kind", String(20), nullable=False),  # producer | official | integration
    Column("name", String(300), nullable=False),
    Column("email", String(254)),
    Column("province_code", String(4), index=True),
    Column("language", String(8), nullable=False, server_default=text("'vi'")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           onupdate=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    Column("source_event_type", String(255), nullable=False, index=True),
    Column("recipient_id", String(120), nullable=False),
    Column("province_code", String(4), index=True),  # the source event's, for officials' scope
    Column("channel", String(20), nullable=False),  # inbox (email, webhook later)
    Column("status", String(20), nullable=False),  # delivered (pending, failed later)
    Column("subject_line", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("source_event_id", "recipient_id", "channel",
                     name="uq_deliveries_event_recipient_channel"),
)
Index("ix_deliveries_recipient_created", deliveries.c.recipient_id, deliveries.c.created_at)

messaging = MessagingTables(*messaging_tables(metadata))
