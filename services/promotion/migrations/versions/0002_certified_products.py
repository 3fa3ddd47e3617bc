"""The projection of the registry's certificates: which products are certified, with which
stars, until when.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certified_products",
        sa.Column("product_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("certificate_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), nullable=False, index=True),
        sa.Column("product_code", sa.String(40), nullable=False),
        sa.Column("product_name", sa.String(300)),
        sa.Column("product_set", sa.String(100)),
        sa.Column("product_group", sa.String(8)),
        sa.Column("province_code", sa.String(4), index=True),
        sa.Column("commune_code", sa.String(8)),
        sa.Column("stars", sa.Integer, nullable=False),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("certified_products")
