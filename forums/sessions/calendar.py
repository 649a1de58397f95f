"""Forum sessions as calendar events, and the SEQUENCE that tells calendars an event changed.

``forums.sessions.ical`` writes RFC 5545; this module decides what a session looks like in a calendar:
a UID that never changes (``session-<id>@dialogue-desk``), SEQUENCE from ``ForumSession.sequence``
and a status that follows the session's (a draft is TENTATIVE, a cancelled session CANCELLED, so a
client that already holds the event strikes it out instead of silently keeping it).
"""

from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

from forums.sessions.ical import CalendarEvent, calendar_bytes
from models import ForumSession, SessionStatus

UID_DOMAIN = "dialogue-desk"

EVENT_STATUS = {
    SessionStatus.draft: "TENTATIVE",
    SessionStatus.published: "CONFIRMED",
    SessionStatus.cancelled: "CANCELLED",
}

#: changes a calendar reader must notice (RFC 5545 3.8.7.4): each raises SEQUENCE once per flush
SIGNIFICANT_FIELDS = ("title", "description", "translations", "starts_at", "ends_at", "venue", "region_id", "status")


def session_uid(session_id: int) -> str:
    """The UID of a session's event; stable for the session's whole life."""
    return f"session-{session_id}@{UID_DOMAIN}"


def _agenda_lines(forum_session: ForumSession, locale: str, zone: ZoneInfo) -> list[str]:
    """One line per agenda item, ``10:00-10:30 Opening``, in the display zone."""
    return [
        f"{item.starts_at.astimezone(zone):%H:%M}-{item.ends_at.astimezone(zone):%H:%M}"
        f" {item.localized('title', locale)}"
        for item in forum_session.agenda
    ]


def session_event(forum_session: ForumSession, *, locale: str, url: str | None, zone: ZoneInfo) -> CalendarEvent:
    """The calendar event of a session loaded with its region and agenda, in ``locale``."""
    description = "\n".join(
        part for part in [forum_session.localized("description", locale), *_agenda_lines(forum_session, locale, zone)]
        if part
    )
    location = ", ".join(part for part in (forum_session.localized("venue", locale), forum_session.region.name(locale))
                         if part)
    return CalendarEvent(
        uid=session_uid(forum_session.id),
        sequence=forum_session.sequence,
        starts_at=forum_session.starts_at,
        ends_at=forum_session.ends_at,
        summary=forum_session.localized("title", locale),
        location=location,
        description=description,
        status=EVENT_STATUS[forum_session.status],
        url=url,
        last_modified=forum_session.updated_at,
    )


def sessions_calendar(sessions: Iterable[ForumSession], *, name: str, locale: str, zone: ZoneInfo,
                      url_for_session: Callable[[ForumSession], str | None]) -> bytes:
    """A VCALENDAR holding one event per session, named ``name``."""
    events = [session_event(each, locale=locale, url=url_for_session(each), zone=zone) for each in sessions]
    return calendar_bytes(events, name=name, timezone_name=zone.key)


def _raise_sequence(_mapper: Any, _connection: Any, forum_session: ForumSession) -> None:
    """Raise SEQUENCE when a significant field changed, unless the caller already raised it."""
    state = sa.inspect(forum_session)
    if state.attrs.sequence.history.has_changes():
        return
    if any(state.attrs[field].history.has_changes() for field in SIGNIFICANT_FIELDS):
        forum_session.sequence = (forum_session.sequence or 0) + 1


def init_app(app: Flask) -> None:
    """Keep SEQUENCE in step with session changes, whichever code path makes them."""
    # Mapper events are global to the class, so one registration serves every app instance.
    if not sa.event.contains(ForumSession, "before_update", _raise_sequence):
        sa.event.listen(ForumSession, "before_update", _raise_sequence)
