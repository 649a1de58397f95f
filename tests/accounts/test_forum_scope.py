"""Organisers limited to chosen forums see only those forums' sessions and people, everywhere (need-to-know)."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from forums.registrations.operations import register
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    ForumSession,
    OrganiserForum,
    Registration,
    RegistrationStatus,
    User,
    db,
)
from tests.conftest import sign_in_without_password


@dataclass
class TwoForums:
    """Forum A (the scoped organiser's) and forum B, each with a session and a person registered there."""

    scoped: User
    unscoped: User
    own_session: int
    other_session: int
    own_person: int
    other_person: int
    unplaced_person: int
    other_registration: int
    other_forum: int


@pytest.fixture
def two_forums(app: Flask, create_user, create_forum, create_session, create_participant) -> TwoForums:
    own_forum, other_forum = create_forum(title="Water round tables"), create_forum(title="Border talks")
    own_session = create_session(forum=own_forum, title="Water in Sughd", visibility="invitation")
    other_session = create_session(forum=other_forum, title="Border in Isfara")
    own_person = create_participant("Nigora Ownforum", group="uto")
    other_person = create_participant("Jamshed Otherforum", group="government")
    unplaced = create_participant("Malika Unplaced", group="academia")
    other_speaker = create_participant("Rustam Otherspeaker", group="government")
    item = AgendaItem(forum_session=other_session, position=1, title="Opening", kind=AgendaKind.opening,
                      starts_at=other_session.starts_at, ends_at=other_session.starts_at + timedelta(minutes=30))
    item.speakers.append(AgendaSpeaker(participant=other_speaker, position=0))
    db.session.add(item)
    register(own_session, own_person, RegistrationStatus.registered)
    other_registration = register(other_session, other_person, RegistrationStatus.registered)
    scoped = create_user("organiser", email="scoped@example.org")
    unscoped = create_user("organiser", email="everything@example.org")
    db.session.add(OrganiserForum(user_id=scoped.id, forum_id=own_forum.id))
    db.session.commit()
    return TwoForums(scoped, unscoped, own_session.id, other_session.id, own_person.id, other_person.id,
                     unplaced.id, other_registration.id, other_forum.id)


def _as(app: Flask, user: User) -> Any:
    return sign_in_without_password(app.test_client(), user)


def test_lists_show_only_the_forums_of_a_scoped_organiser(app, two_forums):
    client = _as(app, two_forums.scoped)
    sessions = client.get("/staff/sessions").get_data(as_text=True)
    assert "Water in Sughd" in sessions and "Border in Isfara" not in sessions
    register_page = client.get("/staff/participants").get_data(as_text=True)
    assert "Nigora Ownforum" in register_page and "Malika Unplaced" in register_page
    assert "Jamshed Otherforum" not in register_page and "Rustam Otherspeaker" not in register_page
    forums_page = client.get("/staff/forums").get_data(as_text=True)
    assert "Water round tables" in forums_page and "Border talks" not in forums_page


def test_an_unscoped_organiser_sees_every_forum(app, two_forums):
    client = _as(app, two_forums.unscoped)
    sessions = client.get("/staff/sessions").get_data(as_text=True)
    assert "Water in Sughd" in sessions and "Border in Isfara" in sessions
    assert "Jamshed Otherforum" in client.get("/staff/participants").get_data(as_text=True)


@pytest.mark.parametrize("path", [
    "/staff/sessions/{other_session}/registrations",
    "/staff/sessions/{other_session}/edit",
    "/staff/participants/{other_person}",
    "/staff/forums/{other_forum}/edit",
])
def test_other_forums_objects_are_unknown_to_a_scoped_organiser(app, two_forums, path):
    client = _as(app, two_forums.scoped)
    url = path.format(**vars(two_forums))
    assert client.get(url).status_code == 404
    assert _as(app, two_forums.unscoped).get(url).status_code == 200


def test_the_api_applies_the_same_scope(app, two_forums, token_for):
    headers = token_for(two_forums.scoped)
    listed = app.test_client().get("/api/v1/sessions", headers=headers).get_json()
    titles = {item["title"] for item in listed["items"]}
    assert "Water in Sughd" in titles and "Border in Isfara" not in titles
    assert app.test_client().get(f"/api/v1/sessions/{two_forums.other_session}/registrations",
                                 headers=headers).status_code == 404
    assert app.test_client().get(f"/api/v1/participants/{two_forums.other_person}",
                                 headers=headers).status_code == 404
    assert app.test_client().get(f"/api/v1/participants/{two_forums.own_person}", headers=headers).status_code == 200


def test_a_scoped_organiser_cannot_change_another_forums_registration(app, two_forums):
    client = _as(app, two_forums.scoped)
    response = client.post(f"/staff/registrations/{two_forums.other_registration}/status",
                           data={"status": "cancelled"})
    assert response.status_code == 404
    assert _status(two_forums.other_registration) is RegistrationStatus.registered


def _status(registration_id: int) -> Any:
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    assert registration is not None
    return registration.status


def test_scope_ends_with_the_request(app, two_forums):
    """The test's own queries after a scoped request see everything: the scope is the request's."""
    _as(app, two_forums.scoped).get("/staff/sessions")
    assert db.session.get(ForumSession, two_forums.other_session) is not None



def test_a_forum_a_scoped_organiser_creates_becomes_one_of_theirs(app, two_forums):
    client = _as(app, two_forums.scoped)
    response = client.post("/staff/forums/new", data={"title": "Youth dialogue", "kind": "round_table"})
    assert response.status_code == 302
    assert "Youth dialogue" in client.get("/staff/forums").get_data(as_text=True)
    assert "Border talks" not in client.get("/staff/forums").get_data(as_text=True)


def test_a_scoped_organiser_may_not_merge_records(app, two_forums):
    client = _as(app, two_forums.scoped)
    assert client.get(f"/staff/participants/{two_forums.own_person}/merge").status_code == 403
    assert _as(app, two_forums.unscoped).get(f"/staff/participants/{two_forums.own_person}/merge").status_code == 200


def test_an_admin_chooses_an_organisers_forums(app, two_forums, create_user):
    admin_client = _as(app, create_user("admin"))
    response = admin_client.post(f"/admin/users/{two_forums.scoped.id}/forums",
                                 data={"forum_id": [str(two_forums.other_forum)]})
    assert response.status_code == 302
    client = _as(app, two_forums.scoped)
    sessions = client.get("/staff/sessions").get_data(as_text=True)
    assert "Border in Isfara" in sessions and "Water in Sughd" not in sessions
    assert admin_client.post(f"/admin/users/{two_forums.scoped.id}/forums", data={"forum_id": ["999999"]}
                             ).status_code == 400
    assert admin_client.post(f"/admin/users/{two_forums.scoped.id}/forums", data={}).status_code == 302
    assert "Water in Sughd" in client.get("/staff/sessions").get_data(as_text=True)  # none ticked: every forum
