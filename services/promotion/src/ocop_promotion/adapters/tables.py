"""The promotion service's tables (its own database): ceremonies here, the other areas in
their own modules, all on one MetaData (imported below so migrations and tests see them)."""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    func,
    true,
)
from sqlalchemy.dialects.postgresql import UUID

from .metadata import metadata

ceremonies = Table(
    "ceremonies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("authority", String(300), nullable=False),
    Column("province_code", String(4), nullable=False, index=True),
    Column("ceremony_date", Date, nullable=False),
    Column("venue", String(300), nullable=False),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("capacity", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # 0003: who manages it ("central" = the Ministry's), why it was cancelled
    Column("level", String(20), nullable=False, server_default="province"),
    Column("cancel_reason", String(500)),
)
Index("ix_ceremonies_planning", ceremonies.c.authority, ceremonies.c.province_code,
      ceremonies.c.status, ceremonies.c.ceremony_date)

ceremony_products = Table(
    "ceremony_products",
    metadata,
    Column("ceremony_id", UUID(as_uuid=True), ForeignKey("ceremonies.id"), primary_key=True),
    Column("product_id", UUID(as_uuid=True), primary_key=True, index=True),
    Column("producer_id", UUID(as_uuid=True), nullable=False),
    Column("product_name", String(300), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("decision_number", String(100), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # 0003: on the display list (default: every product), and the decision's date
    Column("displayed", Boolean, nullable=False, server_default=true()),
    Column("decision_date", Date),
)

ceremony_sessions = Table(
    "ceremony_sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("ceremony_id", UUID(as_uuid=True), ForeignKey("ceremonies.id"), nullable=False,
           index=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("topic", String(300), nullable=False),
)

messaging = MessagingTables(*messaging_tables(metadata))

from . import (  # noqa: E402,F401  (registers their tables on `metadata`)
    certificate_tables,
    connection_tables,
    fair_tables,
    outlet_tables,
    training_tables,
)
