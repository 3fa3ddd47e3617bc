"""OCOP outlets (điểm giới thiệu và bán sản phẩm OCOP) and their listings."""

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import UUID

from .metadata import metadata

outlets = Table(
    "outlets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("province_code", String(4), nullable=False, index=True),
    Column("commune_code", String(8), nullable=False),
    Column("street_address", String(300), nullable=False),
    Column("operator_name", String(300), nullable=False),
    Column("contact_name", String(300)),
    Column("phone", String(20)),
    Column("email", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outlet_listings = Table(
    "outlet_listings",
    metadata,
    Column("outlet_id", UUID(as_uuid=True), ForeignKey("outlets.id"), primary_key=True),
    Column("product_id", UUID(as_uuid=True), primary_key=True, index=True),
    Column("producer_id", UUID(as_uuid=True), nullable=False),
    Column("product_name", String(300), nullable=False),
    Column("stars", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("delist_reason", String(40)),
    Column("listed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delisted_at", DateTime(timezone=True)),
)
