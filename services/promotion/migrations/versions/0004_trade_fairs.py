"""Trade fairs, applications, booths and the waitlist.

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

UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "trade_fairs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("level", sa.String(20), nullable=False, index=True),
        sa.Column("province_code", sa.String(4), index=True),
        sa.Column("venue", sa.String(300), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False, index=True),
        sa.Column("booths", sa.Integer, nullable=False),
        sa.Column("min_stars", sa.Integer),
        sa.Column("applications_close", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("announced_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("allocated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "fair_applications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("fair_id", UUID, sa.ForeignKey("trade_fairs.id"), nullable=False,
                  index=True),
        sa.Column("product_id", UUID, nullable=False, index=True),
        sa.Column("producer_id", UUID, nullable=False, index=True),
        sa.Column("product_name", sa.String(300), nullable=False),
        sa.Column("stars", sa.Integer, nullable=False),
        sa.Column("province_code", sa.String(4)),
        sa.Column("commune_code", sa.String(8)),
        sa.Column("status", sa.String(20), nullable=False, server_default="applied"),
        sa.Column("booth_number", sa.Integer),
        sa.Column("waitlist_position", sa.Integer),
        sa.Column("applied_by", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawal_reason", sa.String(40)),
        sa.UniqueConstraint("fair_id", "product_id", name="uq_fair_applications_product"),
    )


def downgrade() -> None:
    op.drop_table("fair_applications")
    op.drop_table("trade_fairs")
