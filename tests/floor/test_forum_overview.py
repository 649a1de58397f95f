"""The forum overview shows the floor over the series beside attendance: present but not heard."""

from datetime import timedelta

import sqlalchemy as sa

from models import ForumSession, Speech, db
from tests.conftest import sign_in_without_password
from tests.floor.conftest import add


def test_the_forum_overview_names_categories_present_but_never_heard(client, room, create_user):
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    speech = db.session.scalars(sa.select(Speech)).one()
    speech.stretches[0].ended_at = speech.stretches[0].started_at + timedelta(minutes=3)
    db.session.commit()
    forum_id = db.session.scalar(sa.select(ForumSession.forum_id).where(ForumSession.id == room.session_id))
    sign_in_without_password(client, create_user("organiser"))
    page = client.get(f"/forums/{forum_id}/balance").get_data(as_text=True)
    floor = page[page.index('id="floor-balance"'):]
    marker = "<strong>Present but not heard:</strong>"
    start = floor.index(marker)
    heard_line = floor[start:floor.index("</p>", start)]
    assert "National minorities" in heard_line and "Government" not in heard_line
    assert "100%" in floor  # the government had all the floor time


def test_a_forum_without_speeches_says_so(client, create_user, create_session):
    forum_session = create_session()
    sign_in_without_password(client, create_user("organiser"))
    page = client.get(f"/forums/{forum_session.forum_id}/balance").get_data(as_text=True)
    assert "No list of speakers has given anyone the floor at this forum yet." in page
