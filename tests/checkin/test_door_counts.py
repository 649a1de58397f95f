"""What the door counts and says (issue 14, item 15): the waitlist is not expected, and a full session warns a
walk-in once."""

import re

import sqlalchemy as sa

from forums.checkin import door
from models import Participant, Registration, RegistrationStatus, db
from tests.checkin.test_checkin import enrol, staff  # noqa: F401  (fixtures shared by the check-in tests)

FULL = "The session is full: a walk-in will be over capacity."


def add(forum_session, participant, status):
    db.session.add(Registration(forum_session=forum_session, participant=participant,
                                status=RegistrationStatus(status)))
    db.session.commit()


def test_the_waitlist_is_not_expected_at_the_door(client, staff, create_session, create_participant):  # noqa: F811
    forum_session = create_session(capacity=1)
    add(forum_session, create_participant("Seated One"), "registered")
    add(forum_session, create_participant("Waiting One"), "waitlisted")
    add(forum_session, create_participant("Invited One"), "invited")
    counts = door.attendance(forum_session.id, forum_session.capacity)
    assert (counts.expected, counts.still_expected) == (2, 2)
    page = client.get(f"/sessions/{forum_session.id}/checkin").get_data(as_text=True)
    assert "0 of 2 expected have arrived." in page
    assert "Waiting One" in page  # still on the door's list: a waitlisted person who comes can be let in


def flashes(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split())
            for text in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', html, re.DOTALL)]


def test_a_full_session_warns_a_walk_in_once(client, staff, create_session, create_participant, enrol):  # noqa: F811
    forum_session = create_session(capacity=1)
    enrol(forum_session, create_participant("Sharipov Daler"))
    page = client.get(f"/sessions/{forum_session.id}/checkin").get_data(as_text=True)
    assert page.count(FULL) == 1
    walked_in = client.post(f"/sessions/{forum_session.id}/checkin/walk-in", data={"name": "Odinaev Bakhtiyor"},
                            follow_redirects=True).get_data(as_text=True)
    # One message about this walk-in, capacity included; the standing notice for the next one, once.
    assert [text for text in flashes(walked_in) if text != FULL] == [
        "Odinaev Bakhtiyor is registered and checked in; the session was already full, so this walk-in is over its "
        "capacity."]
    assert walked_in.count(FULL) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2
