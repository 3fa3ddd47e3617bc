"""The certified products promotion knows of: a projection of the registry's certificate
events (issued, stars changed, revoked, expired), kept per product (its current certificate)."""

from sqlalchemy import Column, Date, DateTime, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import UUID

from .metadata import metadata

certified_products = Table(
    "certified_products",
    metadata,
    Column("product_id", UUID(as_uuid=True), primary_key=True),
    Column("certificate_id", UUID(as_uuid=True), nullable=False),
    Column("producer_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("product_code", String(40), nullable=False),
    Column("product_name", String(300)),
    Column("product_set", String(100)),
    Column("product_group", String(8)),
    Column("province_code", String(4), index=True),
    Column("commune_code", String(8)),
    Column("stars", Integer, nullable=False),
    Column("decision_date", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
