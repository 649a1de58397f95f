"""Personal links: a participant sees and answers their own sessions without an account."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from forums.people import links
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    AuditEntry,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
)


@pytest.fixture
def invite(create_registration):
    """Give a participant a registration: ``invite(session, participant, status="invited")``."""
    return lambda forum_session, participant, status="invited": create_registration(forum_session, participant,
                                                                                    status)


def page_of(participant) -> str:
    """The path of a participant's personal page (issuing the link on first use)."""
    token = links.issue(participant).token
    db.session.commit()
    return f"/p/{token}"


def status_of(registration: Registration) -> RegistrationStatus:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).status


def test_page_lists_own_sessions_of_any_visibility_with_status(client, create_session, create_participant, invite):
    closed = create_session(title="Closed round table", visibility="invitation")
    club = create_session(title="Open discussion club")
    create_session(title="Somebody else's seminar", visibility="invitation")
    person = create_participant()
    invite(closed, person, "invited")
    invite(club, person, "registered")

    page = client.get(page_of(person)).get_data(as_text=True)

    assert "Closed round table" in page and "Open discussion club" in page
    assert "Somebody else's seminar" not in page
    assert "Invited" in page and "Registered" in page


def test_nobody_else_coming_is_shown_only_published_speakers(client, create_session, create_participant, invite):
    forum_session = create_session(visibility="invitation")
    person = create_participant("Rahimova Nigora")
    other_guest = create_participant("Saidov Farrukh", group="government")
    speaker = create_participant("Karimov Bakhtiyor", organisation="Academy of Sciences", group="academia")
    invite(forum_session, person)
    invite(forum_session, other_guest, "registered")
    a_third = (forum_session.ends_at - forum_session.starts_at) / 3
    item = AgendaItem(forum_session=forum_session, title="Opening", kind=AgendaKind.opening,
                      starts_at=forum_session.starts_at, ends_at=forum_session.starts_at + a_third)
    item.speakers.append(AgendaSpeaker(participant=speaker))
    db.session.add(item)
    db.session.commit()
    base = page_of(person)

    overview = client.get(base).get_data(as_text=True)
    agenda = client.get(f"{base}/sessions/{forum_session.id}").get_data(as_text=True)

    assert "Saidov" not in overview and "Saidov" not in agenda
    assert "Karimov Bakhtiyor" in agenda and "Opening" in agenda


def test_unknown_token_and_other_peoples_sessions_are_not_found(client, create_session, create_participant, invite):
    mine = create_session(visibility="invitation")
    theirs = create_session(visibility="invitation", title="Theirs")
    person, other = create_participant(), create_participant("Saidov Farrukh")
    invite(mine, person)
    invite(theirs, other)
    base = page_of(person)

    assert client.get("/p/" + "A" * 43).status_code == 404
    assert client.get(f"{base}/sessions/{theirs.id}").status_code == 404
    assert client.post(f"{base}/sessions/{theirs.id}/answer", data={"answer": "accept"}).status_code == 404
    assert client.get(f"{base}/sessions/{mine.id}").status_code == 200


def test_draft_sessions_are_not_shown_opened_answered_or_put_in_the_calendar(client, create_session,
                                                                              create_participant, invite):
    draft = create_session(title="Draft round table not yet announced", status="draft")
    published = create_session(title="Published round table")
    person = create_participant()
    invite(draft, person)
    invite(published, person)
    base = page_of(person)

    page = client.get(base).get_data(as_text=True)
    assert "Published round table" in page and "Draft round table" not in page
    assert client.get(f"{base}/sessions/{draft.id}").status_code == 404
    assert client.post(f"{base}/sessions/{draft.id}/answer", data={"answer": "accept"}).status_code == 404
    calendar = client.get(f"{base}/calendar.ics").get_data(as_text=True)
    assert "Published round table" in calendar and "Draft round table" not in calendar

    # Once published, it is the person's invitation like any other.
    draft.status = SessionStatus.published
    db.session.commit()
    assert "Draft round table" in client.get(base).get_data(as_text=True)


def test_tokens_are_long_random_and_distinct(app, create_participant):
    tokens = {links.issue(create_participant(f"Person {n}")).token for n in range(5)}
    assert len(tokens) == 5
    assert all(len(token) >= 43 for token in tokens)


def test_personal_pages_are_never_cached_or_indexed(client, create_session, create_participant, invite):
    forum_session = create_session()
    person = create_participant()
    invite(forum_session, person)
    base = page_of(person)
    for path in (base, f"{base}/sessions/{forum_session.id}", f"{base}/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "noindex" in response.headers["X-Robots-Tag"]


def test_accept_takes_a_seat_within_capacity(client, create_session, create_participant, invite):
    forum_session = create_session(capacity=1)
    person = create_participant()
    registration = invite(forum_session, person)

    response = client.post(f"{page_of(person)}/sessions/{forum_session.id}/answer", data={"answer": "accept"})

    assert status_of(registration) is RegistrationStatus.registered
    assert "your seat is reserved" in client.get(response.location).get_data(as_text=True)


def test_accept_when_full_puts_the_person_on_the_waiting_list_and_says_so(client, create_session,
                                                                          create_participant, invite):
    forum_session = create_session(capacity=1)
    invite(forum_session, create_participant("Saidov Farrukh"), "registered")
    person = create_participant()
    registration = invite(forum_session, person)

    response = client.post(f"{page_of(person)}/sessions/{forum_session.id}/answer",
                           data={"answer": "accept", "from": "session"})

    assert status_of(registration) is RegistrationStatus.waitlisted
    page = client.get(response.location).get_data(as_text=True)
    assert "waiting list" in page and "<h2>Agenda</h2>" in page


def test_decline_frees_the_seat_for_the_waiting_list(client, create_session, create_participant, invite):
    forum_session = create_session(capacity=1)
    person = create_participant()
    seated = invite(forum_session, person, "registered")
    waiting = invite(forum_session, create_participant("Saidov Farrukh"), "registered")
    waiting.status = RegistrationStatus.waitlisted
    db.session.commit()

    client.post(f"{page_of(person)}/sessions/{forum_session.id}/answer", data={"answer": "decline"})

    assert status_of(seated) is RegistrationStatus.declined
    assert status_of(waiting) is RegistrationStatus.registered
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.decline")).one()
    assert entry.actor == f"participant-link:{person.id}" and entry.object_id == seated.id


def test_answers_are_refused_for_cancelled_sessions_and_unknown_choices(client, create_session,
                                                                        create_participant, invite):
    forum_session = create_session()
    person = create_participant()
    registration = invite(forum_session, person)
    base = page_of(person)

    assert client.post(f"{base}/sessions/{forum_session.id}/answer", data={"answer": "attend"}).status_code == 400
    forum_session.status = SessionStatus.cancelled
    db.session.commit()
    client.post(f"{base}/sessions/{forum_session.id}/answer", data={"answer": "accept"})
    assert status_of(registration) is RegistrationStatus.invited
    assert 'value="accept"' not in client.get(base).get_data(as_text=True)


def test_answer_needs_a_csrf_token(app_config, request):
    app_config["WTF_CSRF_ENABLED"] = True
    app = request.getfixturevalue("app")
    forum_session = request.getfixturevalue("create_session")()
    person = request.getfixturevalue("create_participant")()
    registration = Registration(forum_session=forum_session, participant=person, status=RegistrationStatus.invited)
    db.session.add(registration)
    db.session.commit()
    client = app.test_client()

    refused = client.post(f"{page_of(person)}/sessions/{forum_session.id}/answer", data={"answer": "accept"})

    assert refused.status_code == 400
    assert status_of(registration) is RegistrationStatus.invited


@pytest.mark.parametrize(("method", "role", "status"), [
    ("get", None, 401), ("get", "facilitator", 403), ("post", "facilitator", 403),
])
def test_api_link_is_staff_only(client, create_user, token_for, create_participant, method, role, status):
    person = create_participant()
    headers = token_for(create_user(role)) if role else {}

    response = getattr(client, method)(f"/api/v1/participants/{person.id}/link", headers=headers)

    assert response.status_code == status
    assert links.link_of(person) is None


def test_api_link_is_stable_and_audited(client, create_user, token_for, create_participant):
    person = create_participant()
    path = f"/api/v1/participants/{person.id}/link"
    headers = token_for(create_user("organiser"))

    first = client.get(path, headers=headers)
    again = client.get(path, headers=headers)

    assert first.status_code == 200 and first.json["url"] == again.json["url"]
    assert client.get(urlsplit(first.json["url"]).path).status_code == 200
    assert client.get(f"/api/v1/participants/{person.id + 999}/link", headers=headers).status_code == 404
    reads = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.link_read")).all()
    assert [entry.object_id for entry in reads] == [person.id, person.id]


def test_api_rotation_revokes_the_old_link(client, create_user, token_for, create_participant):
    person = create_participant()
    headers = token_for(create_user("admin"))
    old = client.get(f"/api/v1/participants/{person.id}/link", headers=headers).json["url"]

    rotated = client.post(f"/api/v1/participants/{person.id}/link", headers=headers)

    assert rotated.status_code == 201
    new = rotated.json["url"]
    assert new != old
    assert client.get(urlsplit(old).path).status_code == 404
    assert client.get(urlsplit(new).path).status_code == 200
    assert client.get(f"/api/v1/participants/{person.id}/link", headers=headers).json["url"] == new
    rotated = db.session.scalar(sa.select(AuditEntry.object_id).where(AuditEntry.action == "participant.link_rotate"))
    assert rotated == person.id
