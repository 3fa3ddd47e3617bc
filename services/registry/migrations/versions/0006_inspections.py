"""Inspections (kiểm tra, hậu kiểm): planned and recorded checks of a producer's facility for
its certified products, their checklist results and the products they cover.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("producers.id"),
                  nullable=False),
        sa.Column("planned_on", sa.Date, nullable=False),
        sa.Column("inspected_on", sa.Date),
        sa.Column("inspectors", postgresql.ARRAY(sa.Text), nullable=False,
                  server_default=sa.text("'{}'::text[]")),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(40)),
        sa.Column("deadline", sa.Date),
        sa.Column("findings", sa.Text),
        sa.Column("products_under_development", postgresql.JSONB, nullable=False,
                  server_default=sa.text("'[]'::jsonb")),
        sa.Column("star_raising_plans", postgresql.JSONB, nullable=False,
                  server_default=sa.text("'[]'::jsonb")),
        sa.Column("planned_by", sa.String(200)),
        sa.Column("recorded_by", sa.String(200)),
        sa.Column("recorded_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('planned', 'recorded')", name="ck_inspections_status"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('compliant', 'fix_by_deadline', "
            "'recommend_reevaluation', 'recommend_revocation')",
            name="ck_inspections_outcome"),
        sa.CheckConstraint(
            "(status = 'recorded') = (outcome IS NOT NULL AND inspected_on IS NOT NULL)",
            name="ck_inspections_recorded"),
        sa.CheckConstraint("(outcome = 'fix_by_deadline') = (deadline IS NOT NULL)",
                           name="ck_inspections_deadline"),
    )
    op.create_index("ix_inspections_producer_id", "inspections", ["producer_id"])
    op.create_index("ix_inspections_status", "inspections", ["status"])
    op.create_index("ix_inspections_outcome", "inspections", ["outcome"])

    op.create_table(
        "inspection_products",
        sa.Column("inspection_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("products.id"),
                  primary_key=True),
    )
    op.create_index("ix_inspection_products_product_id", "inspection_products", ["product_id"])

    op.create_table(
        "inspection_items",
        sa.Column("inspection_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("products.id")),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.CheckConstraint("result IN ('pass', 'fail', 'not_applicable')",
                           name="ck_inspection_items_result"),
    )
    op.create_index("ix_inspection_items_inspection", "inspection_items",
                    ["inspection_id", "position"], unique=True)


def downgrade() -> None:
    op.drop_table("inspection_items")
    op.drop_table("inspection_products")
    op.drop_table("inspections")
