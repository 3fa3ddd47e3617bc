"""The notifications service's tables (its own database).

- recipients: who can be notified, with their channels and language: producers (kept in step
  from the registry's events), officials, council members, the Ministry contact and
  integrations (registered over the API).
- webhook_subscriptions: an integration's endpoint, signing secret, event types, and the pause
  the dispatcher puts on an endpoint that keeps failing.
- deliveries: one row per (source event, recipient, channel), whatever the redeliveries: what
  was sent (subject, body, or the webhook's JSON), to which address, its status and attempts.
  `recipient_id` is not a foreign key: events from different streams arrive in any order, so a
  delivery may be written before its producer is known.
- delivery_attempts: the log of every try of an email or webhook: when, outcome, detail.
"""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()

recipients = Table(
    "recipients",
    metadata,
    Column("id", String(120), primary_key=True),  # e.g. "producer:<producer id>"
    Column("kind", String(20), nullable=False),  # see domain.deliveries.RecipientKind
    Column("name", String(300), nullable=False),
    Column("email", String(254)),
    Column("province_code", String(4), index=True),
    Column("language", String(8), nullable=False, server_default=text("'vi'")),
    Column("channels", ARRAY(String(20)), nullable=False,
           server_default=text("'{inbox,email}'::varchar[]")),
    Column("council_id", String(64), index=True),
    Column("council_role", String(20)),  # chair, vice_chair, secretary, member
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           onupdate=func.now()),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("recipient_id", String(120), ForeignKey("recipients.id"), nullable=False,
           index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    Column("event_types", ARRAY(String(255)), nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("paused_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    Column("source_event_type", String(255), nullable=False, index=True),
    Column("recipient_id", String(120), nullable=False),
    Column("province_code", String(4), index=True),  # the source event's, for officials' scope
    Column("channel", String(20), nullable=False),  # inbox | email | webhook
    Column("status", String(20), nullable=False),  # pending | delivered | failed
    Column("language", String(8), nullable=False, server_default=text("'vi'")),
    Column("address", String(2000)),  # the email address or the webhook URL
    Column("subscription_id", UUID(as_uuid=True), ForeignKey("webhook_subscriptions.id")),
    Column("subject_line", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", JSONB),  # the webhook's body: the CloudEvent in JSON
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    Column("failed_at", DateTime(timezone=True)),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("source_event_id", "recipient_id", "channel",
                     name="uq_deliveries_event_recipient_channel"),
)
Index("ix_deliveries_recipient_created", deliveries.c.recipient_id, deliveries.c.created_at)
Index("ix_deliveries_due", deliveries.c.next_attempt_at,
      postgresql_where=deliveries.c.status == "pending")

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("delivery_id", UUID(as_uuid=True), ForeignKey("deliveries.id"), nullable=False,
           index=True),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("outcome", String(20), nullable=False),  # delivered | retry | failed | paused
    Column("detail", Text),  # e.g. "HTTP 503", "SMTP 550 ...", "timeout after 10 s"
    Column("duration_ms", Integer),
)

messaging = MessagingTables(*messaging_tables(metadata))
