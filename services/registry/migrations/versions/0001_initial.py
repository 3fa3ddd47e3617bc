"""Producers, products and the messaging tables.

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
        "producers",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("tax_code", sa.String(20), nullable=False, unique=True),
        sa.Column("province_code", sa.String(4), nullable=False, index=True),
        sa.Column("commune_code", sa.String(8)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "products",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("producers.id"),
                  nullable=False, index=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("product_set", sa.String(100), nullable=False),
        sa.Column("status", sa.String(30), nullable=False, index=True),
        sa.Column("self_score", sa.Numeric(5, 2)),
        sa.Column("score", sa.Numeric(5, 2)),
        sa.Column("stars", sa.Integer),
        sa.Column("level", sa.String(20)),
        sa.Column("decision_number", sa.String(100)),
        sa.Column("decision_date", sa.Date),
        sa.Column("referred_to_ministry", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
    op.drop_table("products")
    op.drop_table("producers")
