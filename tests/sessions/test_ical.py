"""Calendar feeds: valid RFC 5545 that two independent parsers read the same way."""

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest
import vobject

from forums.sessions.ical import CalendarEvent, calendar_bytes
from tests.conftest import TEST_YEAR

DUSHANBE_OFFSET = timezone(timedelta(hours=5))
LONG_TAJIK_SUMMARY = (
    "Мизи мудаввар оид ба ҳамкории минтақаҳо: Ғарм, Хатлон, Суғд ва Бадахшон; "
    "масъалаҳои иқтисодӣ, таълим ва ҷомеаи шаҳрвандӣ дар солҳои баъдиҷангӣ \\ қисми 2"
)


def make_event(**changes) -> CalendarEvent:
    """A confirmed round table on 3 December of ``TEST_YEAR``, 10:00-13:00 in Dushanbe."""
    values = {
        "uid": "session-7@dialogue-desk.example.org",
        "sequence": 2,
        "starts_at": datetime(TEST_YEAR, 12, 3, 10, 0, tzinfo=DUSHANBE_OFFSET),
        "ends_at": datetime(TEST_YEAR, 12, 3, 13, 0, tzinfo=DUSHANBE_OFFSET),
        "summary": "Круглый стол: регионы и диалог",
        "location": "Душанбе, кӯчаи Рӯдакӣ 12",
        "description": "Открытие; доклады, обсуждение",
        "status": "CONFIRMED",
        "url": "https://desk.example.org/sessions/7",
        "last_modified": datetime(TEST_YEAR, 11, 20, 9, 30, tzinfo=UTC),
    }
    values.update(changes)
    return CalendarEvent(**values)


def parse_both(feed: bytes):
    """Parse a feed with icalendar and vobject; return both calendar objects."""
    return icalendar.Calendar.from_ical(feed), vobject.readOne(feed.decode("utf-8"))


def test_times_are_the_aware_datetimes_in_both_parsers():
    event = make_event()
    by_icalendar, by_vobject = parse_both(calendar_bytes([event], name="Round table"))
    parsed = by_icalendar.events[0]
    assert parsed["DTSTART"].dt == datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC)
    assert parsed["DTEND"].dt == event.ends_at
    assert by_vobject.vevent.dtstart.value == datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC)
    assert by_vobject.vevent.dtend.value == event.ends_at
    assert by_vobject.vevent.dtstart.value.utcoffset() == timedelta(hours=5)


def test_times_are_written_in_dushanbe_local_time_with_its_vtimezone():
    event = make_event(
        starts_at=datetime(TEST_YEAR, 12, 3, 5, 0, tzinfo=UTC),
        ends_at=datetime(TEST_YEAR, 12, 3, 8, 0, tzinfo=UTC),
    )
    feed = calendar_bytes([event], name="Round table")
    assert f"DTSTART;TZID=Asia/Dushanbe:{TEST_YEAR}1203T100000\r\n".encode() in feed
    assert f"DTEND;TZID=Asia/Dushanbe:{TEST_YEAR}1203T130000\r\n".encode() in feed
    (vtimezone,) = icalendar.Calendar.from_ical(feed).walk("VTIMEZONE")
    assert vtimezone["TZID"] == "Asia/Dushanbe"
    offsets = {sub["TZOFFSETTO"].td for sub in vtimezone.subcomponents}
    assert offsets == {timedelta(hours=5)}


def test_dtstamp_and_last_modified_are_utc():
    event = make_event(last_modified=datetime(TEST_YEAR, 11, 20, 14, 30, tzinfo=DUSHANBE_OFFSET))
    feed = calendar_bytes([event], name="Round table")
    assert f"DTSTAMP:{TEST_YEAR}1120T093000Z\r\n".encode() in feed
    assert f"LAST-MODIFIED:{TEST_YEAR}1120T093000Z\r\n".encode() in feed
    assert parse_both(feed)[1].vevent.dtstamp.value == event.last_modified


def test_calendar_header_properties():
    feed = calendar_bytes([make_event()], name="Дискуссионный клуб", method="PUBLISH")
    by_icalendar, by_vobject = parse_both(feed)
    assert by_icalendar["VERSION"] == "2.0"
    assert by_icalendar["PRODID"] == "-//Dialogue Desk//EN"
    assert by_icalendar["METHOD"] == "PUBLISH"
    assert by_vobject.x_wr_calname.value == "Дискуссионный клуб"


def test_method_is_left_out_unless_asked_for():
    assert b"METHOD" not in calendar_bytes([make_event()], name="Round table")


@pytest.mark.parametrize("status", ["CONFIRMED", "TENTATIVE", "CANCELLED"])
def test_uid_sequence_and_status_round_trip(status):
    event = make_event(status=status, sequence=5)
    by_icalendar, by_vobject = parse_both(calendar_bytes([event], name="Round table"))
    parsed = by_icalendar.events[0]
    assert (parsed["UID"], parsed["SEQUENCE"], parsed["STATUS"]) == (event.uid, 5, status)
    assert by_vobject.vevent.uid.value == event.uid
    assert int(by_vobject.vevent.sequence.value) == 5
    assert by_vobject.vevent.status.value == status


def test_long_tajik_summary_folds_at_75_octets_and_unfolds_intact():
    feed = calendar_bytes([make_event(summary=LONG_TAJIK_SUMMARY)], name="Round table")
    lines = feed.split(b"\r\n")
    assert any(line.startswith(b" ") for line in lines), "the summary should need folding"
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # a multibyte character split across lines fails here
    by_icalendar, by_vobject = parse_both(feed)
    assert by_icalendar.events[0]["SUMMARY"] == LONG_TAJIK_SUMMARY
    assert by_vobject.vevent.summary.value == LONG_TAJIK_SUMMARY


def test_special_characters_are_escaped_and_survive():
    event = make_event(
        summary="Rule of law; courts, judges \\ attorneys",
        location="Hotel «Таджикистан», hall 2; floor 3",
        description="Agenda:\r\n1. Opening, 10:00\n2. Panel; Q&A \\ closing",
    )
    feed = calendar_bytes([event], name="Round table")
    assert b"SUMMARY:Rule of law\\; courts\\, judges \\\\ attorneys\r\n" in feed
    by_icalendar, by_vobject = parse_both(feed)
    expected_description = "Agenda:\n1. Opening, 10:00\n2. Panel; Q&A \\ closing"
    parsed = by_icalendar.events[0]
    assert (parsed["SUMMARY"], parsed["LOCATION"]) == (event.summary, event.location)
    assert parsed["DESCRIPTION"] == expected_description
    assert by_vobject.vevent.summary.value == event.summary
    assert by_vobject.vevent.location.value == event.location
    assert by_vobject.vevent.description.value == expected_description


def test_several_events_in_one_feed():
    events = [
        make_event(
            uid=f"session-{number}@dialogue-desk.example.org",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        for number, start in enumerate(
            datetime(TEST_YEAR, 12, day, 15, 0, tzinfo=DUSHANBE_OFFSET) for day in (3, 10, 17)
        )
    ]
    events[1] = dataclasses.replace(events[1], status="CANCELLED", sequence=3)
    by_icalendar, by_vobject = parse_both(calendar_bytes(events, name="Discussion club"))
    assert [(e["UID"], e["STATUS"], e["DTSTART"].dt) for e in by_icalendar.events] == [
        (event.uid, event.status, event.starts_at) for event in events
    ]
    assert [(e.uid.value, e.status.value, e.dtstart.value) for e in by_vobject.vevent_list] == [
        (event.uid, event.status, event.starts_at) for event in events
    ]
    assert len(by_icalendar.walk("VTIMEZONE")) == 1


def test_every_line_ends_with_crlf():
    feed = calendar_bytes([make_event(description="one\ntwo")], name="Round table")
    assert feed.endswith(b"\r\n")
    assert feed.count(b"\n") == feed.count(b"\r\n")


def test_url_and_empty_texts_are_left_out():
    feed = calendar_bytes([make_event(url=None, location="", description="")], name="Round table")
    parsed = icalendar.Calendar.from_ical(feed).events[0]
    assert {"URL", "LOCATION", "DESCRIPTION"}.isdisjoint(parsed)
    assert parse_both(feed)[1].vevent.uid.value == make_event().uid


def test_url_round_trips():
    by_icalendar, by_vobject = parse_both(calendar_bytes([make_event()], name="Round table"))
    assert by_icalendar.events[0]["URL"] == "https://desk.example.org/sessions/7"
    assert by_vobject.vevent.url.value == "https://desk.example.org/sessions/7"


def test_empty_feed_is_still_a_valid_calendar():
    by_icalendar, by_vobject = parse_both(calendar_bytes([], name="My sessions"))
    assert by_icalendar.events == []
    assert by_icalendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Dushanbe"
    assert by_vobject.x_wr_calname.value == "My sessions"


def test_same_events_give_the_same_bytes():
    events = [make_event(), make_event(uid="session-8@dialogue-desk.example.org")]
    assert calendar_bytes(events, name="Round table") == calendar_bytes(events, name="Round table")


@pytest.mark.parametrize(
    "changes",
    [
        {"starts_at": datetime(TEST_YEAR, 12, 3, 10, 0)},
        {"last_modified": datetime(TEST_YEAR, 11, 20, 9, 30)},
        {"ends_at": datetime(TEST_YEAR, 12, 3, 9, 0, tzinfo=DUSHANBE_OFFSET)},
        {"status": "POSTPONED"},
        {"sequence": -1},
        {"uid": ""},
    ],
)
def test_invalid_events_are_refused(changes):
    with pytest.raises(ValueError):
        make_event(**changes)


def test_another_zone_with_summer_time_keeps_the_instant():
    summer_start = datetime(TEST_YEAR, 7, 1, 8, 0, tzinfo=UTC)
    event = make_event(starts_at=summer_start, ends_at=summer_start + timedelta(hours=1))
    feed = calendar_bytes([event], name="Vienna briefing", timezone_name="Europe/Vienna")
    assert f"DTSTART;TZID=Europe/Vienna:{TEST_YEAR}0701T100000\r\n".encode() in feed
    by_icalendar, by_vobject = parse_both(feed)
    assert by_icalendar.events[0]["DTSTART"].dt == summer_start
    assert by_vobject.vevent.dtstart.value == summer_start
