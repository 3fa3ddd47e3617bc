"""The certificate register: certificates (one per recognition decision, at most one active
per product) and the durable schedule of their expiry reminders.

Existing certified products get no certificate row here: their certificates are issued by
the next recognition decision (the register starts with this revision).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("products.id"),
                  nullable=False),
        sa.Column("stars", sa.Integer, nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("decision_number", sa.String(100), nullable=False),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("authority", sa.String(300), nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("change_decision_number", sa.String(100)),
        sa.Column("change_decision_date", sa.Date),
        sa.Column("change_reason", sa.String(1000)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("stars BETWEEN 3 AND 5", name="ck_certificates_stars"),
        sa.CheckConstraint("status IN ('active', 'superseded', 'expired', 'revoked')",
                           name="ck_certificates_status"),
    )
    op.create_index("ix_certificates_product_id", "certificates", ["product_id"])
    op.create_index("ix_certificates_valid_until", "certificates", ["valid_until"])
    op.create_index("ix_certificates_status", "certificates", ["status"])
    op.create_index("uq_certificates_active_product", "certificates", ["product_id"],
                    unique=True, postgresql_where=sa.text("status = 'active'"))
    op.create_table(
        "certificate_reminders",
        sa.Column("certificate_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("skipped", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_index("ix_certificate_reminders_due", "certificate_reminders", ["due_on"],
                    postgresql_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    op.drop_table("certificate_reminders")
    op.drop_table("certificates")
