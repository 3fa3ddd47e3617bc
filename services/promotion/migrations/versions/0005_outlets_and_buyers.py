"""OCOP outlets and listings; buyers for the supply-demand connection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EMPTY = sa.text("'{}'::varchar[]")


def upgrade() -> None:
    op.create_table(
        "outlets",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False, index=True),
        sa.Column("commune_code", sa.String(8), nullable=False),
        sa.Column("street_address", sa.String(300), nullable=False),
        sa.Column("operator_name", sa.String(300), nullable=False),
        sa.Column("contact_name", sa.String(300)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "outlet_listings",
        sa.Column("outlet_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("outlets.id"),
                  primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), primary_key=True, index=True),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("product_name", sa.String(300), nullable=False),
        sa.Column("stars", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("delist_reason", sa.String(40)),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("delisted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "buyers",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False, index=True),
        sa.Column("contact_name", sa.String(300)),
        sa.Column("phone", sa.String(20)),
        sa.Column("email", sa.String(200)),
        sa.Column("groups", postgresql.ARRAY(sa.String(8)), nullable=False,
                  server_default=EMPTY),
        sa.Column("product_sets", postgresql.ARRAY(sa.String(100)), nullable=False,
                  server_default=EMPTY),
        sa.Column("min_stars", sa.Integer),
        sa.Column("provinces", postgresql.ARRAY(sa.String(4)), nullable=False,
                  server_default=EMPTY),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "buyer_invitations",
        sa.Column("buyer_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("buyers.id"),
                  primary_key=True),
        sa.Column("event_kind", sa.String(20), primary_key=True),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("session_date", sa.Date, nullable=False),
        sa.Column("product_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)),
                  nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("buyer_invitations")
    op.drop_table("buyers")
    op.drop_table("outlet_listings")
    op.drop_table("outlets")
