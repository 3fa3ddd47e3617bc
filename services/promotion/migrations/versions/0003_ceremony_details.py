"""Ceremonies: display list, trade-connection sessions, invitations, history of changes.

Adds who manages a ceremony (`level`), why it was cancelled, each product's place on the display
list and its decision's date, and the trade-connection sessions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ceremonies", sa.Column("level", sa.String(20), nullable=False,
                                          server_default="province"))
    op.add_column("ceremonies", sa.Column("cancel_reason", sa.String(500)))
    op.add_column("ceremony_products", sa.Column("displayed", sa.Boolean, nullable=False,
                                                 server_default=sa.true()))
    op.add_column("ceremony_products", sa.Column("decision_date", sa.Date))
    op.create_table(
        "ceremony_sessions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("ceremony_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("ceremonies.id"),
                  nullable=False, index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ceremony_sessions")
    op.drop_column("ceremony_products", "decision_date")
    op.drop_column("ceremony_products", "displayed")
    op.drop_column("ceremonies", "cancel_reason")
    op.drop_column("ceremonies", "level")
