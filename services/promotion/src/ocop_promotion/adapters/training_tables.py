"""Training courses, participants and attendance; awareness items."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from .metadata import metadata

training_courses = Table(
    "training_courses",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("province_code", String(4), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("venue", String(300)),
    Column("organiser", String(300), nullable=False),
    Column("trainer", String(300)),
    Column("capacity", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_training_courses_province_start", training_courses.c.province_code,
      training_courses.c.starts_on)

training_participants = Table(
    "training_participants",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("course_id", UUID(as_uuid=True), ForeignKey("training_courses.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("organisation", String(300)),
    Column("producer_id", UUID(as_uuid=True)),
    Column("identity_key", String(600), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("course_id", "identity_key", name="uq_training_participants_person"),
)

training_attendance = Table(
    "training_attendance",
    metadata,
    Column("participant_id", UUID(as_uuid=True), ForeignKey("training_participants.id"),
           primary_key=True),
    Column("day", Date, primary_key=True),
    Column("course_id", UUID(as_uuid=True), ForeignKey("training_courses.id"), nullable=False,
           index=True),
    Column("present", Boolean, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

awareness_items = Table(
    "awareness_items",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("title", String(300), nullable=False),
    Column("audience", String(20), nullable=False),
    Column("province_code", String(4), nullable=False),
    Column("published_on", Date, nullable=False),
    Column("reach", Integer),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_awareness_items_province_date", awareness_items.c.province_code,
      awareness_items.c.published_on)
