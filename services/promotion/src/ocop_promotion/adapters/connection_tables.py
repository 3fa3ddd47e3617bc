"""Supply-demand connection (kết nối cung - cầu): buyers, what they look for, invitations."""

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Table, func, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from .metadata import metadata

buyers = Table(
    "buyers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("province_code", String(4), nullable=False, index=True),
    Column("contact_name", String(300)),
    Column("phone", String(20)),
    Column("email", String(200)),
    # what the buyer looks for (empty = no restriction; see domain.connections)
    Column("groups", ARRAY(String(8)), nullable=False, server_default=text("'{}'::varchar[]")),
    Column("product_sets", ARRAY(String(100)), nullable=False,
           server_default=text("'{}'::varchar[]")),
    Column("min_stars", Integer),
    Column("provinces", ARRAY(String(4)), nullable=False,
           server_default=text("'{}'::varchar[]")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

buyer_invitations = Table(
    "buyer_invitations",
    metadata,
    Column("buyer_id", UUID(as_uuid=True), ForeignKey("buyers.id"), primary_key=True),
    Column("event_kind", String(20), primary_key=True),
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("session_date", Date, nullable=False),
    Column("product_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("invited_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
