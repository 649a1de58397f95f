"""The report for headquarters carries the floor over its period: who was heard against who was in the room."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from models import ForumSession, Speech, db
from tests.conftest import DUSHANBE, sign_in_without_password
from tests.floor.conftest import add

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}
TITLE = "Who was heard: the floor against the room"


def _held_in_november_with_a_government_speech(client, room):
    """The room's session moved to 12 November 2026 (held), where a government speaker had three minutes."""
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    speech = db.session.scalars(sa.select(Speech)).one()
    speech.stretches[0].ended_at = speech.stretches[0].started_at + timedelta(minutes=3)
    forum_session = db.session.get(ForumSession, room.session_id)
    forum_session.starts_at = datetime(2026, 11, 12, 10, tzinfo=DUSHANBE)
    forum_session.ends_at = datetime(2026, 11, 12, 13, tzinfo=DUSHANBE)
    db.session.commit()


def _section(page: str) -> str:
    start = page.index(TITLE)
    return page[start:page.index("</table>", start)]


def _cells(section: str, category: str) -> list[str]:
    """The figures of a category's row: attendances, share of the room, share of the time, speeches."""
    row = section[section.index(f">{category}<"):]
    row = row[:row.index("</tr>")]
    return [cell.split(">")[-1] for cell in row.split("</td>")[:-1]][-4:]


def test_the_report_shows_the_floor_against_the_room_per_category(app, client, room, create_user):
    _held_in_november_with_a_government_speech(client, room)
    app.config["SMALL_COUNT_THRESHOLD"] = 1
    sign_in_without_password(client, create_user("organiser"))
    section = _section(client.get("/staff/reports", query_string=NOVEMBER).get_data(as_text=True))
    # 2 of the 7 counted people present, all of the time spoken, one speech
    assert _cells(section, "Government") == ["2", "29%", "100%", "1"]
    assert "Sharipov" not in section


def test_small_counts_hide_what_they_would_reveal(client, room, create_user):
    _held_in_november_with_a_government_speech(client, room)  # k is 5: every group has fewer people present
    sign_in_without_password(client, create_user("organiser"))
    section = _section(client.get("/staff/reports", query_string=NOVEMBER).get_data(as_text=True))
    assert _cells(section, "Government") == ["—", "—", "—", "—"]  # 2 people: who spoke how long would show
    assert _cells(section, "Dushanbe") == ["8", "100%", "100%", "1"]  # all 8 present: nobody singled out


def test_a_period_without_speeches_has_no_floor_section(client, create_user):
    sign_in_without_password(client, create_user("organiser"))
    assert TITLE not in client.get("/staff/reports", query_string=NOVEMBER).get_data(as_text=True)
