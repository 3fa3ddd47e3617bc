"""The evaluation service's tables (its own database)."""

from ocop_shared.messaging.tables import messaging_tables
from ocop_shared.runtime import MessagingTables
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData()


def _created_at() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


councils = Table(
    "councils",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("level", String(20), nullable=False),
    # The province it serves (None for the central council) and, for a district council of the
    # older rulebooks, the communes of its former district.
    Column("province_code", String(4), index=True),
    Column("communes", ARRAY(String(8)), nullable=False, server_default=text("'{}'::varchar[]")),
    Column("created_by", String(255), nullable=False),
    _created_at(),
)

council_members = Table(
    "council_members",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("council_id", UUID(as_uuid=True), ForeignKey("councils.id"), nullable=False,
           index=True),
    Column("subject", String(255), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("organisation", String(300)),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date),
    # Producers the member is linked to (conflict of interest): ids as text.
    Column("conflicts", ARRAY(String(36)), nullable=False, server_default=text("'{}'::varchar[]")),
    _created_at(),
    UniqueConstraint("council_id", "subject", name="uq_council_members_subject"),
)

rounds = Table(
    "rounds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("council_id", UUID(as_uuid=True), ForeignKey("councils.id"), nullable=False,
           index=True),
    Column("name", String(200), nullable=False),
    Column("rulebook", String(40), nullable=False),
    Column("level", String(20), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("opened_by", String(255), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("closed_by", String(255)),
    Column("closed_at", DateTime(timezone=True)),
    Column("proposal_number", String(100)),
    Column("proposal_note", Text),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    # One evaluation per submission, per forwarding and per re-evaluation request: a
    # redelivered event or a repeated request finds its row by this key.
    Column("submission_event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("product_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("producer_id", UUID(as_uuid=True), nullable=False, index=True),
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
    Column("reason", String(20), nullable=False, server_default="first"),
    Column("previous_stars", Integer),
    Column("forwarded_from", UUID(as_uuid=True), ForeignKey("evaluations.id")),
    Column("sheet_id", String(100)),
    Column("round_id", UUID(as_uuid=True), ForeignKey("rounds.id"), index=True),
    Column("attempt", Integer, nullable=False, server_default="1"),
    # After RescoreRequired: ids of the members who must submit a sheet for `attempt`.
    Column("rescore_members", JSONB),
    # The council's result, once it stands:
    Column("score", Numeric(5, 2)),
    Column("part_scores", JSONB),
    Column("stars_by_points", Integer),
    Column("stars", Integer),
    Column("capped_by", JSONB),
    Column("knocked_out", JSONB),
    Column("recognised_stars", Integer),
    Column("forwarded_to", String(20)),
    Column("recognised", Boolean),
    Column("referred_to_ministry", Boolean),
    Column("potential_five_stars", Boolean),
    Column("completed_at", DateTime(timezone=True)),
    # The recognising authority's decision:
    Column("decision_id", UUID(as_uuid=True), ForeignKey("decisions.id")),
    Column("decided_by", String(255)),
    Column("decision_number", String(100)),
    Column("decision_date", Date),
    _created_at(),
)

score_sheets = Table(
    "score_sheets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("evaluation_id", UUID(as_uuid=True), ForeignKey("evaluations.id"), nullable=False,
           index=True),
    Column("member_id", UUID(as_uuid=True), ForeignKey("council_members.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("sheet_id", String(100), nullable=False),
    Column("choices", JSONB, nullable=False),
    Column("total", Numeric(6, 2), nullable=False),
    Column("part_scores", JSONB, nullable=False),
    Column("knock_outs", JSONB, nullable=False),
    Column("submitted_by", String(255), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("evaluation_id", "member_id", "attempt", name="uq_score_sheets_member"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("level", String(20), nullable=False),
    Column("authority", String(200), nullable=False),
    Column("province_code", String(4)),
    Column("number", String(100), nullable=False),
    Column("decided_on", Date, nullable=False),
    Column("signer", String(200), nullable=False),
    Column("recorded_by", String(255), nullable=False),
    _created_at(),
    UniqueConstraint("authority", "number", name="uq_decisions_number"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("evaluation_id", UUID(as_uuid=True), ForeignKey("evaluations.id"), primary_key=True),
    Column("decision_id", UUID(as_uuid=True), ForeignKey("decisions.id"), nullable=False),
    Column("dossier_reference", String(300), nullable=False),
    Column("sample_shipment", JSONB, nullable=False),
    Column("next_evaluation_id", UUID(as_uuid=True), ForeignKey("evaluations.id")),
    _created_at(),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor", String(255), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("rulebook", String(40)),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)

messaging = MessagingTables(*messaging_tables(metadata))
"""Events the evaluation service publishes (stream OCOP_EVALUATION)."""
