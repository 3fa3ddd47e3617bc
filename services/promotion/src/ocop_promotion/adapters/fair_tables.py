"""Trade fairs and exhibitions (hội chợ, triển lãm): fairs, applications, booths, waitlist.

An application holds its booth number (allocated) or its waitlist position (waitlisted)."""

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from .metadata import metadata

trade_fairs = Table(
    "trade_fairs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("level", String(20), nullable=False, index=True),
    Column("province_code", String(4), index=True),
    Column("venue", String(300), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False, index=True),
    Column("booths", Integer, nullable=False),
    Column("min_stars", Integer),
    Column("applications_close", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("announced_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("allocated_at", DateTime(timezone=True)),
)

fair_applications = Table(
    "fair_applications",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("fair_id", UUID(as_uuid=True), ForeignKey("trade_fairs.id"), nullable=False,
           index=True),
    Column("product_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("producer_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("product_name", String(300), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("province_code", String(4)),
    Column("commune_code", String(8)),
    Column("status", String(20), nullable=False, server_default="applied"),
    Column("booth_number", Integer),
    Column("waitlist_position", Integer),
    Column("applied_by", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("withdrawal_reason", String(40)),
    UniqueConstraint("fair_id", "product_id", name="uq_fair_applications_product"),
)
