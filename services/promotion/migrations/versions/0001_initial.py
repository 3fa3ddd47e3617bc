"""Ceremonies, the products on them, and the messaging tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ocop_shared.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ceremonies",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("authority", sa.String(300), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False, index=True),
        sa.Column("ceremony_date", sa.Date, nullable=False),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_ceremonies_planning", "ceremonies",
                    ["authority", "province_code", "status", "ceremony_date"])
    op.create_table(
        "ceremony_products",
        sa.Column("ceremony_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("ceremonies.id"),
                  primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), primary_key=True, index=True),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("product_name", sa.String(300), nullable=False),
        sa.Column("stars", sa.Integer, nullable=False),
        sa.Column("decision_number", sa.String(100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
    op.drop_table("ceremony_products")
    op.drop_table("ceremonies")
