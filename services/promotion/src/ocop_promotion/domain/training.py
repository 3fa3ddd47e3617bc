"""Awareness and training (tuyên truyền, tập huấn) rules (pure: no I/O).

A training course (lớp tập huấn) is held in one province over consecutive days, in person at a
venue or online, for one audience (officials, council members, producers) or a mixed one.
Officials register its participants, up to its capacity, each person once. Attendance is
recorded per participant and course day (present or not): a course's attendance rate is the
participant-days present over the participant-days it offered (each participant, each day).

Awareness items are the articles, broadcasts and events that make the programme known, with
their channel, audience, date and, when known, their reach (views, listeners, attendees).
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from enum import StrEnum

from ocop_shared.errors import Conflict, InvalidInput


class CourseAudience(StrEnum):
    OFFICIALS = "officials"
    COUNCIL_MEMBERS = "council_members"
    PRODUCERS = "producers"
    MIXED = "mixed"


class ParticipantKind(StrEnum):
    OFFICIAL = "official"
    COUNCIL_MEMBER = "council_member"
    PRODUCER = "producer"


class CourseMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class AwarenessKind(StrEnum):
    ARTICLE = "article"
    BROADCAST = "broadcast"
    EVENT = "event"


class AwarenessAudience(StrEnum):
    PUBLIC = "public"
    PRODUCERS = "producers"
    OFFICIALS = "officials"
    CONSUMERS = "consumers"


AUDIENCE_OF = {
    ParticipantKind.OFFICIAL: CourseAudience.OFFICIALS,
    ParticipantKind.COUNCIL_MEMBER: CourseAudience.COUNCIL_MEMBERS,
    ParticipantKind.PRODUCER: CourseAudience.PRODUCERS,
}


def check_course(starts_on: date, ends_on: date, mode: CourseMode, venue: str | None) -> None:
    """A course ends on or after it starts; one held in person has a venue."""
    if ends_on < starts_on:
        raise InvalidInput("course_ends_before_start",
                           f"the course ends on {ends_on}, before it starts on {starts_on}",
                           field="ends_on")
    if mode is CourseMode.IN_PERSON and not (venue or "").strip():
        raise InvalidInput("venue_required", "a course held in person needs a venue",
                           field="venue")


def check_admitted(audience: CourseAudience, kind: ParticipantKind) -> None:
    """A course for one audience takes only that kind of participant; a mixed one takes all."""
    if audience is not CourseAudience.MIXED and AUDIENCE_OF[kind] is not audience:
        raise InvalidInput("participant_not_in_audience",
                           f"a course for {audience} does not take a {kind}", field="kind")


def check_room(registered: int, capacity: int) -> None:
    if registered >= capacity:
        raise Conflict("course_full", f"the course is full ({capacity} participants)",
                       field="course_id")


def participant_key(name: str, organisation: str | None, producer_id: uuid.UUID | None) -> str:
    """What makes a participant the same person twice: their producer when given, else their
    name and organisation (case, accents' composition and spacing aside)."""
    if producer_id is not None:
        return f"producer:{producer_id}"

    def norm(text: str | None) -> str:
        return " ".join(unicodedata.normalize("NFC", text or "").casefold().split())

    return f"person:{norm(name)}|{norm(organisation)}"


def check_attendance_day(day: date, starts_on: date, ends_on: date) -> None:
    if not starts_on <= day <= ends_on:
        raise InvalidInput("day_outside_course",
                           f"{day} is not a day of the course ({starts_on} to {ends_on})",
                           field="day")


def check_period(start: date, end: date, *, field: str = "to") -> None:
    if end < start:
        raise InvalidInput("period_ends_before_start",
                           f"the period ends on {end}, before it starts on {start}", field=field)


def attendance_rate(present: int, offered: int) -> float | None:
    """Participant-days present over participant-days offered; None when none were offered."""
    return None if offered == 0 else round(present / offered, 4)
