"""The inspection tables (kiểm tra, hậu kiểm), on the registry's metadata (migration 0006)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from .tables import metadata

inspections = Table(
    "inspections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("producer_id", UUID(as_uuid=True), ForeignKey("producers.id"), nullable=False,
           index=True),
    Column("planned_on", Date, nullable=False),
    Column("inspected_on", Date),
    Column("inspectors", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("status", String(20), nullable=False, index=True),
    Column("outcome", String(40), index=True),
    Column("deadline", Date),
    Column("findings", Text),
    Column("products_under_development", JSONB, nullable=False,
           server_default=text("'[]'::jsonb")),
    Column("star_raising_plans", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("planned_by", String(200)),
    Column("recorded_by", String(200)),
    Column("recorded_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('planned', 'recorded')", name="ck_inspections_status"),
    CheckConstraint(
        "outcome IS NULL OR outcome IN ('compliant', 'fix_by_deadline', "
        "'recommend_reevaluation', 'recommend_revocation')", name="ck_inspections_outcome"),
    CheckConstraint("(status = 'recorded') = (outcome IS NOT NULL AND inspected_on IS NOT NULL)",
                    name="ck_inspections_recorded"),
    CheckConstraint("(outcome = 'fix_by_deadline') = (deadline IS NOT NULL)",
                    name="ck_inspections_deadline"),
)
"""A planned, then recorded, inspection of a producer's facility."""

inspection_products = Table(
    "inspection_products",
    metadata,
    Column("inspection_id", UUID(as_uuid=True),
           ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id"), primary_key=True,
           index=True),
)
"""The certified products an inspection covers."""

inspection_items = Table(
    "inspection_items",
    metadata,
    Column("inspection_id", UUID(as_uuid=True),
           ForeignKey("inspections.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", UUID(as_uuid=True), ForeignKey("products.id")),  # None: the facility
    Column("item", String(40), nullable=False),
    Column("result", String(20), nullable=False),
    Column("note", Text),
    CheckConstraint("result IN ('pass', 'fail', 'not_applicable')",
                    name="ck_inspection_items_result"),
    Index("ix_inspection_items_inspection", "inspection_id", "position", unique=True),
)
"""The checklist results of a recorded inspection, in the order given."""
