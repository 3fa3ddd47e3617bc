"""The evaluation service's tables (its own database)."""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Sequence,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData()

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # One evaluation per submission: a product re-submitted later gets a new row, and a
    # redelivered ProductSubmittedForEvaluation (same event id) finds its row.
    Column("submission_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("product_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("producer_id", UUID(as_uuid=True), nullable=False),
    Column("product_name", String(300), nullable=False),
    Column("product_code", String(40), nullable=False),
    Column("province_code", String(4), nullable=False, index=True),
    Column("commune_code", String(8)),
    Column("product_set", String(100), nullable=False),
    Column("self_score", Numeric(5, 2)),
    Column("submitted_on", Date, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("rulebook", String(40), nullable=False),
    Column("level", String(20), nullable=False),
    # The result, once the council's final score stands:
    Column("score", Numeric(5, 2)),
    Column("stars", Integer),
    Column("recognised", Boolean),
    Column("referred_to_ministry", Boolean),
    Column("potential_five_stars", Boolean),
    Column("decided_by", String(255)),
    Column("completed_at", DateTime(timezone=True)),
    # The provincial decision (recognition, and approval of the score when referred):
    Column("decision_number", String(100)),
    Column("decision_date", Date),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

decision_numbers = Sequence("decision_number_seq", metadata=metadata, data_type=BigInteger)
"""Numbers provincial decisions until the decision workflow keeps each UBND tỉnh's register."""

messaging = MessagingTables(*messaging_tables(metadata))
