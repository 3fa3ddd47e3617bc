"""Councils and members, rounds, score sheets, decisions, referrals and the audit log; the
evaluations table gains routing, the council's result and the decision it led to.

Existing evaluations of the thin flow keep their results: pending ones wait for a round,
completed ones count as decided (their decision number stays on the row).

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

UUID = postgresql.UUID(as_uuid=True)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "councils",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), index=True),
        sa.Column("communes", postgresql.ARRAY(sa.String(8)), nullable=False,
                  server_default=sa.text("'{}'::varchar[]")),
        sa.Column("created_by", sa.String(255), nullable=False),
        _created_at(),
    )
    op.create_table(
        "council_members",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("council_id", UUID, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(300)),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date),
        sa.Column("conflicts", postgresql.ARRAY(sa.String(36)), nullable=False,
                  server_default=sa.text("'{}'::varchar[]")),
        _created_at(),
        sa.UniqueConstraint("council_id", "subject", name="uq_council_members_subject"),
    )
    op.create_table(
        "rounds",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("council_id", UUID, sa.ForeignKey("councils.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rulebook", sa.String(40), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("opened_by", sa.String(255), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("closed_by", sa.String(255)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("proposal_number", sa.String(100)),
        sa.Column("proposal_note", sa.Text),
    )
    op.create_table(
        "decisions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("authority", sa.String(200), nullable=False),
        sa.Column("province_code", sa.String(4)),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("signer", sa.String(200), nullable=False),
        sa.Column("recorded_by", sa.String(255), nullable=False),
        _created_at(),
        sa.UniqueConstraint("authority", "number", name="uq_decisions_number"),
    )
    with op.batch_alter_table("evaluations") as table:
        table.add_column(sa.Column("reason", sa.String(20), nullable=False,
                                   server_default="first"))
        table.add_column(sa.Column("previous_stars", sa.Integer))
        table.add_column(sa.Column("forwarded_from", UUID, sa.ForeignKey("evaluations.id")))
        table.add_column(sa.Column("sheet_id", sa.String(100)))
        table.add_column(sa.Column("round_id", UUID, sa.ForeignKey("rounds.id")))
        table.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="1"))
        table.add_column(sa.Column("rescore_members", postgresql.JSONB))
        table.add_column(sa.Column("part_scores", postgresql.JSONB))
        table.add_column(sa.Column("stars_by_points", sa.Integer))
        table.add_column(sa.Column("capped_by", postgresql.JSONB))
        table.add_column(sa.Column("knocked_out", postgresql.JSONB))
        table.add_column(sa.Column("recognised_stars", sa.Integer))
        table.add_column(sa.Column("forwarded_to", sa.String(20)))
        table.add_column(sa.Column("decision_id", UUID, sa.ForeignKey("decisions.id")))
    op.create_index("ix_evaluations_round_id", "evaluations", ["round_id"])
    op.create_index("ix_evaluations_producer_id", "evaluations", ["producer_id"])
    op.execute("UPDATE evaluations SET status = 'awaiting_round' WHERE status = 'pending'")
    op.execute("UPDATE evaluations SET status = 'decided', recognised_stars ="
               " CASE WHEN recognised THEN stars END WHERE status = 'completed'")
    op.execute(sa.schema.DropSequence(sa.Sequence("decision_number_seq")))
    op.create_table(
        "score_sheets",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("evaluation_id", UUID, sa.ForeignKey("evaluations.id"), nullable=False,
                  index=True),
        sa.Column("member_id", UUID, sa.ForeignKey("council_members.id"), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("sheet_id", sa.String(100), nullable=False),
        sa.Column("choices", postgresql.JSONB, nullable=False),
        sa.Column("total", sa.Numeric(6, 2), nullable=False),
        sa.Column("part_scores", postgresql.JSONB, nullable=False),
        sa.Column("knock_outs", postgresql.JSONB, nullable=False),
        sa.Column("submitted_by", sa.String(255), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("evaluation_id", "member_id", "attempt",
                            name="uq_score_sheets_member"),
    )
    op.create_table(
        "referrals",
        sa.Column("evaluation_id", UUID, sa.ForeignKey("evaluations.id"), primary_key=True),
        sa.Column("decision_id", UUID, sa.ForeignKey("decisions.id"), nullable=False),
        sa.Column("dossier_reference", sa.String(300), nullable=False),
        sa.Column("sample_shipment", postgresql.JSONB, nullable=False),
        sa.Column("next_evaluation_id", UUID, sa.ForeignKey("evaluations.id")),
        _created_at(),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("actor_role", sa.String(40), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False, index=True),
        sa.Column("rulebook", sa.String(40)),
        sa.Column("details", postgresql.JSONB, nullable=False,
                  server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("referrals")
    op.drop_table("score_sheets")
    op.execute(sa.schema.CreateSequence(sa.Sequence("decision_number_seq",
                                                    data_type=sa.BigInteger)))
    op.execute("UPDATE evaluations SET status = 'completed' WHERE status <> 'awaiting_round'")
    op.execute("UPDATE evaluations SET status = 'pending' WHERE status = 'awaiting_round'")
    op.drop_index("ix_evaluations_producer_id", "evaluations")
    op.drop_index("ix_evaluations_round_id", "evaluations")
    with op.batch_alter_table("evaluations") as table:
        for column in ("decision_id", "forwarded_to", "recognised_stars", "knocked_out",
                       "capped_by", "stars_by_points", "part_scores", "rescore_members",
                       "attempt", "round_id", "sheet_id", "forwarded_from", "previous_stars",
                       "reason"):
            table.drop_column(column)
    op.drop_table("decisions")
    op.drop_table("rounds")
    op.drop_table("council_members")
    op.drop_table("councils")
