"""Session and agenda forms (issue 14, item 15): every problem at once, a warning for a session dated in the past,
and a speaker picker that says where speakers come from."""

import re

import pytest
import sqlalchemy as sa

from models import AgendaItem, ForumSession, db
from tests.conftest import TEST_YEAR, sign_in_without_password
from tests.sessions.test_pages import session_data

PAST = "This date is in the past."


@pytest.fixture
def staff(client, create_user):
    return sign_in_without_password(client, create_user("organiser"))


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def errors(response) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split())
            for text in re.findall(r'<span class="error"[^>]*>(.*?)</span>', response.get_data(as_text=True), re.S)]


def test_a_session_form_shows_every_problem_at_once(staff, create_forum):
    forum = create_forum()
    response = staff.post("/staff/sessions/new", data=session_data(forum.id, title="", capacity="0",
                                                                   ends_time="09:00"))
    assert response.status_code == 422
    shown = " ".join(errors(response))
    assert "This field is required." in shown and "Number must be between 1 and 100000." in shown
    assert "The end must be after the start." in shown  # not only after the other two are fixed
    assert count(ForumSession) == 0


def test_an_agenda_item_form_shows_every_problem_at_once(staff, create_session):
    forum_session = create_session()
    response = staff.post(f"/staff/sessions/{forum_session.id}/agenda", data={
        "title": "", "kind": "discussion", "on": f"{TEST_YEAR}-12-03", "starts_time": "12:00", "ends_time": "11:00"})
    assert response.status_code == 422
    shown = " ".join(errors(response))
    assert "This field is required." in shown and "The end must be after the start." in shown
    assert count(AgendaItem) == 0


def test_a_session_dated_in_the_past_asks_before_it_is_saved(staff, create_forum):
    forum = create_forum()
    past = session_data(forum.id, starts_on="2020-05-04")
    asked = staff.post("/staff/sessions/new", data=past)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422 and PAST in page and 'name="confirm_past"' in page
    assert count(ForumSession) == 0
    assert staff.post("/staff/sessions/new", data={**past, "confirm_past": "y"}).status_code == 302
    assert count(ForumSession) == 1
    # A future date asks nothing, and the box is not shown.
    fresh = staff.get("/staff/sessions/new").get_data(as_text=True)
    assert 'name="confirm_past"' not in fresh


def test_an_old_session_edited_without_moving_its_date_asks_nothing(staff, create_session):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    old = create_session(starts_at=datetime(2020, 5, 4, 10, 0, tzinfo=ZoneInfo("Asia/Dushanbe")))
    form = staff.get(f"/staff/sessions/{old.id}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form))
    data = session_data(old.forum_id, starts_on="2020-05-04", title="Renamed", version=fields["version"],
                        opened_start=fields["opened_start"])
    assert staff.post(f"/staff/sessions/{old.id}/edit", data=data).status_code == 302
    moved = staff.post(f"/staff/sessions/{old.id}/edit", data={**data, "starts_on": "2020-05-05",
                                                               "version": str(int(fields["version"]) + 1)})
    assert moved.status_code == 422 and PAST in moved.get_data(as_text=True)


def test_the_speaker_picker_says_where_speakers_come_from(staff, create_session):
    forum_session = create_session()
    page = staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    assert "Speakers are chosen from this session’s list" in page and "not from the whole register" in page
    assert "registrations page" in page
