"""Awareness and training (tuyên truyền, tập huấn): commands, reads and the yearly counts.

No event is published for them (the service's contracts have none): they are the province's own
records, read by its reports."""

from __future__ import annotations

import uuid
from datetime import date

import structlog
from ocop_shared.auth import Principal
from ocop_shared.errors import Conflict, InvalidInput, NotFound
from ocop_shared.pagination import PageParams, paginate
from sqlalchemy import Integer, Select, and_, cast, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters.training_tables import (
    awareness_items,
    training_attendance,
    training_courses,
    training_participants,
)
from ..domain.training import (
    AwarenessKind,
    CourseAudience,
    CourseMode,
    ParticipantKind,
    attendance_rate,
    check_admitted,
    check_attendance_day,
    check_course,
    check_period,
    check_room,
    participant_key,
)

log = structlog.get_logger(__name__)


# ------------------------------------------------------------------------------- courses


async def get_course(session: AsyncConnection, course_id: uuid.UUID, *,
                     lock: bool = False) -> dict:
    """The course with its number of participants; `lock` holds the course row until the
    transaction ends (registrations to one course queue behind each other)."""
    query = select(training_courses).where(training_courses.c.id == course_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise NotFound("course_not_found", f"no training course {course_id}", field="course_id")
    count = (await session.execute(select(func.count()).where(
        training_participants.c.course_id == course_id))).scalar_one()
    return row._asdict() | {"participant_count": count}


async def create_course(session: AsyncConnection, actor: Principal, data: dict) -> dict:
    mode = CourseMode(data["mode"])
    check_course(data["starts_on"], data["ends_on"], mode, data.get("venue"))
    row = {
        "id": uuid.uuid4(), "title": data["title"],
        "audience": CourseAudience(data["audience"]).value,
        "province_code": data["province_code"], "starts_on": data["starts_on"],
        "ends_on": data["ends_on"], "mode": mode.value,
        "venue": (data.get("venue") or "").strip() or None,
        "organiser": data["organiser"], "trainer": data.get("trainer"),
        "capacity": data["capacity"], "created_by": actor.subject,
    }
    created = (await session.execute(
        insert(training_courses).values(row).returning(training_courses))).one()
    log.info("training.course_created", course_id=str(row["id"]),
             province_code=row["province_code"], audience=row["audience"])
    return created._asdict() | {"participant_count": 0}


def list_courses_query(*, province_code: str | None, audience: str | None,
                       start: date | None, end: date | None) -> Select:
    count = (select(func.count()).where(training_participants.c.course_id ==
                                        training_courses.c.id)
             .scalar_subquery().label("participant_count"))
    query = select(training_courses, count)
    if province_code:
        query = query.where(training_courses.c.province_code == province_code)
    if audience:
        query = query.where(training_courses.c.audience == audience)
    if start:
        query = query.where(training_courses.c.ends_on >= start)
    if end:
        query = query.where(training_courses.c.starts_on <= end)
    return query.order_by(training_courses.c.starts_on, training_courses.c.id)


async def list_courses(session: AsyncConnection, page: PageParams, **filters: object) -> dict:
    """Courses overlapping [start, end], earliest first."""
    return await paginate(session, list_courses_query(**filters), page)


# -------------------------------------------------------------------------- participants


async def register_participant(session: AsyncConnection, actor: Principal, course: dict,
                               data: dict) -> dict:
    """A participant on `course` (fetched with `lock=True`): of the course's audience, while
    there is room, each person once."""
    kind = ParticipantKind(data["kind"])
    check_admitted(CourseAudience(course["audience"]), kind)
    key = participant_key(data["name"], data.get("organisation"), data.get("producer_id"))
    twice = (await session.execute(select(training_participants.c.id).where(
        training_participants.c.course_id == course["id"],
        training_participants.c.identity_key == key))).first()
    if twice is not None:
        field = "producer_id" if data.get("producer_id") else "name"
        raise Conflict("participant_already_registered",
                       f"{data['name']} is already registered on this course", field=field)
    check_room(course["participant_count"], course["capacity"])
    row = {
        "id": uuid.uuid4(), "course_id": course["id"], "name": data["name"],
        "kind": kind.value, "organisation": data.get("organisation"),
        "producer_id": data.get("producer_id"), "identity_key": key,
        "registered_by": actor.subject,
    }
    created = (await session.execute(insert(training_participants).values(row).returning(
        *_participant_columns()))).one()
    log.info("training.participant_registered", course_id=str(course["id"]),
             participant_id=str(row["id"]), kind=kind.value)
    return created._asdict() | {"days_present": 0}


def _participant_columns() -> list:
    return [c for c in training_participants.c if c.name != "identity_key"]


async def list_participants(session: AsyncConnection, course_id: uuid.UUID,
                            page: PageParams) -> dict:
    """The course's participants in the order they registered, with the days they attended."""
    present = (select(func.count()).where(
        training_attendance.c.participant_id == training_participants.c.id,
        training_attendance.c.present.is_(True)).scalar_subquery().label("days_present"))
    query = (select(*_participant_columns(), present)
             .where(training_participants.c.course_id == course_id)
             .order_by(training_participants.c.registered_at, training_participants.c.id))
    return await paginate(session, query, page)


# ---------------------------------------------------------------------------- attendance


async def record_attendance(session: AsyncConnection, actor: Principal, course: dict,
                            day: date, records: list[dict]) -> list[dict]:
    """Who was present on one course day; recording a day again overwrites what it said."""
    check_attendance_day(day, course["starts_on"], course["ends_on"])
    ids = [r["participant_id"] for r in records]
    if len(set(ids)) != len(ids):
        raise InvalidInput("participant_listed_twice", "a participant is listed twice",
                           field="records")
    known = set((await session.execute(select(training_participants.c.id).where(
        training_participants.c.course_id == course["id"],
        training_participants.c.id.in_(ids)))).scalars())
    for n, participant_id in enumerate(ids):
        if participant_id not in known:
            raise NotFound("participant_not_found",
                           f"{participant_id} is not a participant of this course",
                           field=f"records.{n}.participant_id")
    for record in records:
        values = {"participant_id": record["participant_id"], "day": day,
                  "course_id": course["id"], "present": record["present"],
                  "recorded_by": actor.subject}
        await session.execute(pg_insert(training_attendance).values(values).on_conflict_do_update(
            index_elements=[training_attendance.c.participant_id, training_attendance.c.day],
            set_={"present": values["present"], "recorded_by": actor.subject,
                  "recorded_at": func.now()}))
    rows = (await session.execute(
        select(training_attendance.c.participant_id, training_attendance.c.present)
        .where(training_attendance.c.course_id == course["id"],
               training_attendance.c.day == day)
        .order_by(training_attendance.c.participant_id))).all()
    return [r._asdict() for r in rows]


# ----------------------------------------------------------------------------- awareness


async def create_awareness_item(session: AsyncConnection, actor: Principal, data: dict) -> dict:
    row = {"id": uuid.uuid4(), **data, "created_by": actor.subject}
    created = (await session.execute(
        insert(awareness_items).values(row).returning(awareness_items))).one()
    log.info("training.awareness_item_created", item_id=str(row["id"]), kind=data["kind"])
    return created._asdict()


async def list_awareness_items(session: AsyncConnection, page: PageParams, *,
                               province_code: str | None, kind: str | None,
                               start: date | None, end: date | None) -> dict:
    """Awareness items published in [start, end], latest first."""
    query = select(awareness_items)
    if province_code:
        query = query.where(awareness_items.c.province_code == province_code)
    if kind:
        query = query.where(awareness_items.c.kind == kind)
    if start:
        query = query.where(awareness_items.c.published_on >= start)
    if end:
        query = query.where(awareness_items.c.published_on <= end)
    return await paginate(session, query.order_by(awareness_items.c.published_on.desc(),
                                                  awareness_items.c.id), page)


# -------------------------------------------------------------------------------- report


async def promotion_report(session: AsyncConnection, *, province_code: str | None,
                           start: date, end: date) -> dict:
    """Training and awareness counts for a province (all provinces when None) and a period.

    A course counts when it starts in the period; its participants by their kind; the attendance
    rate is participant-days present over participant-days offered by those courses. Awareness
    items count when published in the period, by kind, with their summed reach (items without a
    reach add none)."""
    check_period(start, end)
    in_period = [training_courses.c.starts_on.between(start, end)]
    if province_code:
        in_period.append(training_courses.c.province_code == province_code)
    courses = select(training_courses.c.id, training_courses.c.starts_on,
                     training_courses.c.ends_on).where(*in_period).subquery()
    held = (await session.execute(select(func.count()).select_from(courses))).scalar_one()
    by_kind = dict((await session.execute(
        select(training_participants.c.kind, func.count())
        .join(courses, courses.c.id == training_participants.c.course_id)
        .group_by(training_participants.c.kind))).all())
    days = cast(courses.c.ends_on - courses.c.starts_on + 1, Integer)
    offered = (await session.execute(
        select(func.coalesce(func.sum(days), 0))
        .select_from(training_participants.join(
            courses, courses.c.id == training_participants.c.course_id)))).scalar_one()
    present = (await session.execute(
        select(func.count()).select_from(training_attendance.join(
            courses, courses.c.id == training_attendance.c.course_id))
        .where(training_attendance.c.present.is_(True)))).scalar_one()

    conditions = [awareness_items.c.published_on.between(start, end)]
    if province_code:
        conditions.append(awareness_items.c.province_code == province_code)
    awareness = (await session.execute(
        select(awareness_items.c.kind, func.count(), func.coalesce(func.sum(
            awareness_items.c.reach), 0))
        .where(and_(*conditions)).group_by(awareness_items.c.kind))).all()
    counted = {kind: (n, int(r)) for kind, n, r in awareness}
    return {
        "province_code": province_code, "from": start, "to": end,
        "training": {
            "courses_held": held,
            "participants": sum(by_kind.values()),
            "participants_by_audience": {k.value: by_kind.get(k.value, 0)
                                         for k in ParticipantKind},
            "participant_days_offered": int(offered),
            "participant_days_present": present,
            "attendance_rate": attendance_rate(present, int(offered)),
        },
        "awareness": {
            "items": sum(n for _, n, _ in awareness),
            "reach": sum(int(r) for _, _, r in awareness),
            "by_kind": {k.value: {"items": counted.get(k.value, (0, 0))[0],
                                  "reach": counted.get(k.value, (0, 0))[1]}
                        for k in AwarenessKind},
        },
    }
