"""Evaluations, the decision number sequence and the messaging tables.

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
        "evaluations",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("submission_event_id", postgresql.UUID(as_uuid=True), nullable=False,
                  unique=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("product_name", sa.String(300), nullable=False),
        sa.Column("product_code", sa.String(40), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False, index=True),
        sa.Column("commune_code", sa.String(8)),
        sa.Column("product_set", sa.String(100), nullable=False),
        sa.Column("self_score", sa.Numeric(5, 2)),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("rulebook", sa.String(40), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("score", sa.Numeric(5, 2)),
        sa.Column("stars", sa.Integer),
        sa.Column("recognised", sa.Boolean),
        sa.Column("referred_to_ministry", sa.Boolean),
        sa.Column("potential_five_stars", sa.Boolean),
        sa.Column("decided_by", sa.String(255)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("decision_number", sa.String(100)),
        sa.Column("decision_date", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.execute(sa.schema.CreateSequence(sa.Sequence("decision_number_seq", data_type=sa.BigInteger)))
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
    op.execute(sa.schema.DropSequence(sa.Sequence("decision_number_seq")))
    op.drop_table("evaluations")
