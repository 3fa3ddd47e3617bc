"""Training courses, participants, attendance; awareness items.

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
        "training_courses",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("venue", sa.String(300)),
        sa.Column("organiser", sa.String(300), nullable=False),
        sa.Column("trainer", sa.String(300)),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_training_courses_province_start", "training_courses",
                    ["province_code", "starts_on"])
    op.create_table(
        "training_participants",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("course_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("training_courses.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(300)),
        sa.Column("producer_id", postgresql.UUID(as_uuid=True)),
        sa.Column("identity_key", sa.String(600), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.UniqueConstraint("course_id", "identity_key", name="uq_training_participants_person"),
    )
    op.create_table(
        "training_attendance",
        sa.Column("participant_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("training_participants.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("course_id", postgresql.UUID(as_uuid=True),
                  sa.ForeignKey("training_courses.id"), nullable=False, index=True),
        sa.Column("present", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "awareness_items",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("province_code", sa.String(4), nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
        sa.Column("reach", sa.Integer),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("ix_awareness_items_province_date", "awareness_items",
                    ["province_code", "published_on"])


def downgrade() -> None:
    op.drop_table("awareness_items")
    op.drop_table("training_attendance")
    op.drop_table("training_participants")
    op.drop_table("training_courses")
