"""A participant's decline says what it means when the session is full (issue 14, item 13)."""

import re

import pytest

from forums.people import links
from models import Registration, RegistrationStatus, db

FULL_NOTE = ("The session is full. If you decline, your seat goes to someone on the waiting list, and you cannot "
             "take it back: if you change your mind, you can only join the waiting list.")
WAITING_NOTE = "If you decline, you leave the waiting list and lose your place on it."


@pytest.fixture
def person_at(create_session, create_participant, create_registration):
    """``person_at(capacity, status, others=0)``: a person in that status at a session, ``others`` seated too."""
    def _make(capacity, status, others=0):
        forum_session = create_session(capacity=capacity)
        person = create_participant("Rahimova Nigora")
        registration = create_registration(forum_session, person, status)
        for number in range(others):
            create_registration(forum_session, create_participant(f"Other {number}"), "registered")
        token = links.issue(person).token
        db.session.commit()
        return forum_session, registration, f"/p/{token}"

    return _make


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_a_seat_in_a_full_session_says_it_goes_to_the_waiting_list_and_cannot_be_taken_back(client, person_at):
    forum_session, registration, home = person_at(capacity=2, status="registered", others=1)
    for page in (client.get(home), client.get(f"{home}/sessions/{forum_session.id}")):
        html = page.get_data(as_text=True)
        assert FULL_NOTE in text(page)
        note_id = f"decline-note-{registration.id}"
        assert re.search(rf'value="decline"[^>]*aria-describedby="{note_id}"', html)  # read with the button


def test_the_note_is_only_where_declining_costs_something(client, person_at):
    _session, _registration, free_seat = person_at(capacity=3, status="registered", others=1)
    assert FULL_NOTE not in text(client.get(free_seat))
    _session, _registration, invited = person_at(capacity=1, status="invited", others=1)
    page = text(client.get(invited))
    assert "Decline" in page and FULL_NOTE not in page and WAITING_NOTE not in page
    _session, _registration, waiting = person_at(capacity=1, status="waitlisted", others=1)
    assert WAITING_NOTE in text(client.get(waiting))


def test_after_declining_a_full_session_the_page_says_where_the_seat_went(client, person_at, create_participant,
                                                                           create_registration):
    forum_session, registration, home = person_at(capacity=1, status="registered")
    create_registration(forum_session, create_participant("Saidov Farrukh"), "waitlisted")
    answered = client.post(f"{home}/sessions/{forum_session.id}/answer", data={"answer": "decline"},
                           follow_redirects=True)
    assert "You have declined, and your seat has gone to the waiting list." in text(answered)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status is RegistrationStatus.declined
    # Taking it back finds the session full: the waiting list is all that is left.
    client.post(f"{home}/sessions/{forum_session.id}/answer", data={"answer": "accept"})
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status is RegistrationStatus.waitlisted
