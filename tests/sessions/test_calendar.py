"""Calendars of sessions: the API's per-session file and the personal feed, read by two parsers."""

from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest
import vobject

from forums.people import links
from models import (
    AgendaItem,
    AgendaKind,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
)
from tests.conftest import DUSHANBE, TEST_YEAR, dushanbe_time


def parse_both(body: bytes) -> tuple[icalendar.Calendar, vobject.base.Component]:
    """The feed as read by icalendar and by vobject."""
    return icalendar.Calendar.from_ical(body), vobject.readOne(body.decode("utf-8"))


def single_event(client, session_id: int, **kwargs) -> tuple[icalendar.Event, vobject.base.Component]:
    """GET the session's calendar file and return its only event, parsed both ways."""
    response = client.get(f"/api/v1/sessions/{session_id}/calendar.ics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    by_icalendar, by_vobject = parse_both(response.data)
    assert len(by_icalendar.events) == 1 and len(by_vobject.vevent_list) == 1
    return by_icalendar.events[0], by_vobject.vevent


def test_session_file_has_local_times_stable_uid_and_status(client, create_session):
    forum_session = create_session(starts_at=dushanbe_time(day=3, hour=10), hours=3)

    event, vevent = single_event(client, forum_session.id)

    assert event["DTSTART"].dt == datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC)
    assert event["DTSTART"].dt.utcoffset() == timedelta(hours=5)
    assert vevent.dtstart.value == datetime(TEST_YEAR, 12, 3, 10, 0, tzinfo=DUSHANBE)
    assert vevent.dtend.value == datetime(TEST_YEAR, 12, 3, 13, 0, tzinfo=DUSHANBE)
    assert str(event["UID"]) == vevent.uid.value == f"session-{forum_session.id}@dialogue-desk"
    assert event["STATUS"] == vevent.status.value == "CONFIRMED"
    assert vevent.summary.value == "Water and land"
    assert "Hotel Tajikistan" in vevent.location.value


def test_changes_raise_sequence_and_cancelling_marks_the_event_cancelled(client, create_session):
    forum_session = create_session()
    first, _ = single_event(client, forum_session.id)

    forum_session.starts_at += timedelta(hours=1)
    forum_session.ends_at += timedelta(hours=1)
    db.session.commit()
    moved, _ = single_event(client, forum_session.id)
    forum_session.status = SessionStatus.cancelled
    db.session.commit()
    cancelled, vevent = single_event(client, forum_session.id)

    assert (first["SEQUENCE"], moved["SEQUENCE"], cancelled["SEQUENCE"]) == (0, 1, 2)
    assert first["UID"] == moved["UID"] == cancelled["UID"]
    assert cancelled["STATUS"] == vevent.status.value == "CANCELLED"


@pytest.mark.parametrize(("field", "value"), [
    ("title", "Water, land and trust"), ("venue", "Kohi Vahdat"), ("description", "Bring papers"),
])
def test_any_significant_change_raises_sequence_once(app, create_session, field, value):
    forum_session = create_session()
    setattr(forum_session, field, value)
    db.session.commit()
    assert forum_session.sequence == 1


def test_changes_a_calendar_ignores_leave_sequence_alone(app, create_session):
    forum_session = create_session(capacity=10)
    forum_session.capacity = 30
    db.session.commit()
    assert forum_session.sequence == 0


def test_a_sequence_raised_by_the_caller_is_not_raised_twice(app, create_session):
    forum_session = create_session()
    forum_session.sequence += 1
    forum_session.title = "Renamed"
    db.session.commit()
    assert forum_session.sequence == 1


def test_description_carries_the_agenda_in_local_time(client, create_session):
    forum_session = create_session(starts_at=dushanbe_time(hour=10))
    db.session.add(AgendaItem(forum_session=forum_session, title="Opening", kind=AgendaKind.opening,
                              starts_at=dushanbe_time(hour=10), ends_at=dushanbe_time(hour=10, minute=30)))
    db.session.commit()

    _, vevent = single_event(client, forum_session.id)

    assert "10:00-10:30 Opening" in vevent.description.value


def test_summary_follows_the_readers_language_with_fallback(client, create_session):
    forum_session = create_session(translations={"ru": {"title": "Вода и земля"}})

    _, in_russian = single_event(client, forum_session.id, query_string={"lang": "ru"})

    assert in_russian.summary.value == "Вода и земля"


def test_invitation_sessions_are_not_found_for_the_public(client, create_session):
    closed = create_session(visibility="invitation")
    assert client.get(f"/api/v1/sessions/{closed.id}/calendar.ics").status_code == 404


def test_staff_get_drafts_as_tentative(client, create_session, create_user, token_for):
    draft = create_session(visibility="invitation", status="draft")

    event, _ = single_event(client, draft.id, headers=token_for(create_user("organiser")))

    assert event["STATUS"] == "TENTATIVE"


def test_unchanged_file_answers_a_conditional_request_with_304(client, create_session):
    forum_session = create_session()
    first = client.get(f"/api/v1/sessions/{forum_session.id}/calendar.ics")
    again = client.get(f"/api/v1/sessions/{forum_session.id}/calendar.ics",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_personal_feed_holds_the_persons_sessions_except_declined(client, create_session, create_participant):
    person = create_participant()
    sessions = {
        status: create_session(title=f"Session {status}", visibility="invitation",
                               starts_at=dushanbe_time(day=day, hour=9))
        for day, status in enumerate(("invited", "registered", "waitlisted", "declined"), start=1)
    }
    for status, forum_session in sessions.items():
        db.session.add(Registration(forum_session=forum_session, participant=person, status=RegistrationStatus(status)))
    create_session(title="Not theirs")
    token = links.issue(person).token
    db.session.commit()

    response = client.get(f"/p/{token}/calendar.ics")
    by_icalendar, by_vobject = parse_both(response.data)

    assert response.mimetype == "text/calendar"
    assert sorted(str(e["SUMMARY"]) for e in by_icalendar.events) == [
        "Session invited", "Session registered", "Session waitlisted"]
    assert sorted(e.summary.value for e in by_vobject.vevent_list) == [
        "Session invited", "Session registered", "Session waitlisted"]
    first = min(by_vobject.vevent_list, key=lambda e: e.dtstart.value)
    assert first.dtstart.value == datetime(TEST_YEAR, 12, 1, 9, 0, tzinfo=DUSHANBE)
    assert first.url.value.endswith(f"/p/{token}/sessions/{sessions['invited'].id}")
