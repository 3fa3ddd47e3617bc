"""The registry's tables (its own database)."""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

metadata = MetaData()

producers = Table(
    "producers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("registration_type", String(40), nullable=False),
    Column("registration_number", String(50), nullable=False),
    Column("legal_representative", String(300)),
    Column("phone", String(20)),
    Column("email", String(254)),
    Column("street_address", String(300)),
    Column("province_code", String(4), nullable=False, index=True),
    Column("commune_code", String(8), index=True),
    Column("legacy_district", String(300)),
    Column("female_owned", Boolean, nullable=False, server_default="false"),
    Column("ethnic_minority_owned", Boolean, nullable=False, server_default="false"),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("deactivation_reason", String(500)),
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("registration_type", "registration_number",
                     name="uq_producers_registration"),
)

products = Table(
    "products",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("producer_id", UUID(as_uuid=True), ForeignKey("producers.id"), nullable=False,
           index=True),
    Column("name", String(300), nullable=False),
    Column("description", Text),
    Column("product_set", String(100), nullable=False, index=True),
    # Derived from the product set (ocop_shared.contracts.classification); NULL only for rows
    # migrated with a set code the list does not know.
    Column("product_group", String(4), index=True),
    Column("status", String(30), nullable=False, index=True),
    Column("self_score", Numeric(5, 2)),
    Column("score", Numeric(5, 2)),
    Column("stars", Integer),
    Column("level", String(20)),
    Column("decision_number", String(100)),
    Column("decision_date", Date),
    Column("referred_to_ministry", Boolean, nullable=False, server_default="false"),
    Column("search_text", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           onupdate=func.now()),
)

dossier_documents = Table(
    "dossier_documents",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), nullable=False,
           index=True),
    Column("type", String(60), nullable=False),
    Column("title", String(300), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("media_type", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(200)),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)

product_standards = Table(
    "product_standards",
    metadata,
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer, primary_key=True),  # the order they were given in
    Column("standard", String(20), nullable=False),
    Column("name", String(200)),  # what an "other" standard is
    Column("certificate_number", String(100), nullable=False),
    Column("issuer", String(300), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    CheckConstraint("valid_until > valid_from", name="ck_product_standards_validity"),
)
"""The standards a product is certified to (ISO 22000, HACCP, VietGAP...), each with its
certificate; replaced as a whole."""

certificates = Table(
    "certificates",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), nullable=False,
           index=True),
    Column("stars", Integer, nullable=False),
    Column("level", String(20), nullable=False),
    Column("decision_number", String(100), nullable=False),
    Column("decision_date", Date, nullable=False),
    Column("authority", String(300), nullable=False),
    Column("valid_until", Date, nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    # the decision that revoked or downgraded it, and why
    Column("change_decision_number", String(100)),
    Column("change_decision_date", Date),
    Column("change_reason", String(1000)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           onupdate=func.now()),
    CheckConstraint("stars BETWEEN 3 AND 5", name="ck_certificates_stars"),
    CheckConstraint("status IN ('active', 'superseded', 'expired', 'revoked')",
                    name="ck_certificates_status"),
    Index("uq_certificates_active_product", "product_id", unique=True,
          postgresql_where=text("status = 'active'")),
)
"""The certificate register: one row per recognition decision; at most one active per
product."""

certificate_reminders = Table(
    "certificate_reminders",
    metadata,
    Column("certificate_id", UUID(as_uuid=True),
           ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(20), primary_key=True),  # 'expiring_90', 'expiring_30', 'expired'
    Column("due_on", Date, nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("skipped", Boolean, nullable=False, server_default="false"),
    Index("ix_certificate_reminders_due", "due_on", postgresql_where=text("sent_at IS NULL")),
)
"""The durable schedule of a certificate's reminders, written when it is issued; a sweep
sends the due ones and stamps `sent_at` in the same transaction as the outbox row."""

messaging = MessagingTables(*messaging_tables(metadata))
