"""Write forum sessions as an RFC 5545 iCalendar feed.

The ``icalendar`` package does the escaping (backslash, semicolon, comma, newline), the
folding at 75 octets without splitting a UTF-8 character, and the CRLF line endings.
This module decides what goes into the feed:

- DTSTART and DTEND carry a TZID of the mission's zone (Asia/Dushanbe by default) and a
  VTIMEZONE describing it, so clients show the local wall-clock time of the session.
- DTSTAMP and LAST-MODIFIED are the event's last change, in UTC. RFC 5545 3.8.7.2 makes
  DTSTAMP equal to LAST-MODIFIED in a calendar without METHOD, and this keeps the output a
  pure function of its input, so an unchanged feed gives an identical body.
- UID is stable per session and SEQUENCE is raised by the caller on every change;
  together they let a client update the event it already holds instead of adding a copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

EVENT_STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})


def _is_aware(moment: datetime) -> bool:
    """Tell whether a datetime knows its offset from UTC."""
    return moment.tzinfo is not None and moment.utcoffset() is not None


@dataclass(frozen=True)
class CalendarEvent:
    """One session as a calendar event; every datetime must be timezone-aware."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    status: str
    url: str | None
    last_modified: datetime

    def __post_init__(self) -> None:
        """Refuse values that would make an invalid or misleading VEVENT."""
        moments = (self.starts_at, self.ends_at, self.last_modified)
        if not all(_is_aware(moment) for moment in moments):
            raise ValueError("calendar event datetimes must be timezone-aware")
        if self.ends_at < self.starts_at:
            raise ValueError("calendar event ends before it starts")
        if self.status not in EVENT_STATUSES:
            raise ValueError(f"unknown calendar event status {self.status!r}")
        if self.sequence < 0:
            raise ValueError("calendar event sequence must not be negative")
        if not self.uid:
            raise ValueError("calendar event needs a UID")


def _timezone_component(zone_name: str, events: Sequence[CalendarEvent]) -> icalendar.Timezone:
    """Build the VTIMEZONE covering the local dates of all events."""
    if events:
        zone = ZoneInfo(zone_name)
        first_date = min(event.starts_at.astimezone(zone).date() for event in events)
        last_date = max(event.ends_at.astimezone(zone).date() for event in events)
        component = icalendar.Timezone.from_tzid(
            zone_name, first_date=first_date, last_date=last_date + timedelta(days=1)
        )
    else:
        # An empty feed still needs one component to be valid RFC 5545, and the zone
        # is the only one it has.
        component = icalendar.Timezone.from_tzid(zone_name, first_date=date(1970, 1, 1))
    # icalendar notes the covered range in a COMMENT, which RFC 5545 does not list
    # among the properties of VTIMEZONE itself; strict validators warn about it.
    component.pop("COMMENT", None)
    return component


def _event_component(event: CalendarEvent, zone: ZoneInfo) -> icalendar.Event:
    """Build the VEVENT of one session."""
    component = icalendar.Event()
    last_modified_utc = event.last_modified.astimezone(UTC)
    component.add("uid", event.uid)
    component.add("dtstamp", last_modified_utc)
    component.add("last-modified", last_modified_utc)
    component.add("sequence", event.sequence)
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    component.add("status", event.status)
    component.add("summary", event.summary)
    if event.location:
        component.add("location", event.location)
    if event.description:
        # Browsers submit textareas with CRLF; one escaped newline per line break.
        component.add("description", event.description.replace("\r\n", "\n"))
    if event.url:
        component.add("url", event.url)
    return component


def calendar_bytes(
    events: Sequence[CalendarEvent],
    *,
    name: str,
    timezone_name: str = "Asia/Dushanbe",
    prodid: str = "-//Dialogue Desk//EN",
    method: str | None = None,
) -> bytes:
    """Serialise events as one VCALENDAR (UTF-8, CRLF, folded) named ``name``."""
    zone = ZoneInfo(timezone_name)
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", prodid)
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    # NAME is RFC 7986; X-WR-CALNAME is what Apple, Google and Outlook read. icalendar escapes line
    # breaks in an event's text but refuses them in these, so a title stored on two lines goes on one.
    name = " ".join(name.splitlines())
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add_component(_timezone_component(timezone_name, events))
    for event in events:
        calendar.add_component(_event_component(event, zone))
    return calendar.to_ical()
