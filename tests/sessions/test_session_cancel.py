"""Cancelling a session from the staff pages asks first, naming the session and who is on its list."""

import re

import pytest
import sqlalchemy as sa

from forums.registrations.operations import register
from models import (
    AuditEntry,
    ForumSession,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    SessionStatus,
    db,
)
from tests.conftest import TEST_YEAR, sign_in_without_password


def status_of(forum_session):
    db.session.expire_all()
    return db.session.get(ForumSession, forum_session.id).status


def cancel_entries():
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "session.cancel"))


@pytest.fixture
def staff(client, create_user):
    """A signed-in organiser's client."""
    return sign_in_without_password(client, create_user("organiser"))


@pytest.fixture
def listed_session(create_session, create_participant):
    """A published session with 2 invited, 1 registered, 1 confirmed and 1 declined person."""
    forum_session = create_session(title="Water and land", capacity=30)
    for number, status in enumerate(["invited", "invited", "registered", "confirmed", "declined"]):
        registration = register(forum_session, create_participant(f"Person {number}"), RegistrationStatus.invited)
        registration.status = RegistrationStatus(status)
    db.session.commit()
    return forum_session


def counts_shown(page):
    """Status label -> number, from the confirmation page's table."""
    return {label: int(count) for label, count in re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page)}


def test_the_first_post_asks_and_changes_nothing(staff, listed_session, count_queries):
    with count_queries() as counted:
        response = staff.post(f"/staff/sessions/{listed_session.id}/cancel")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cancel this session?" in page and "Water and land" in page and "Round table on water" in page
    assert f"Dec 3, {TEST_YEAR}" in page
    assert counts_shown(page) == {"Invited": 2, "Registered": 1, "Confirmed": 1, "Waitlisted": 0}
    assert "stays on record" in page and "calendars show it as cancelled" in page
    assert 'name="confirmed" value="1"' in page and "Yes, cancel the session" in page
    assert 'href="/staff/sessions"' in page  # the way back
    # sign-in check, the session with its forum, one GROUP BY of the registrations
    assert counted() <= 4
    assert status_of(listed_session) is SessionStatus.published
    assert cancel_entries() == 0


def test_the_confirmation_names_the_session_in_tajik(staff, listed_session):
    page = staff.post(f"/staff/sessions/{listed_session.id}/cancel?lang=tg").get_data(as_text=True)
    assert "Ин ҷаласаро бекор кунем?" in page and "Ҳа, ҷаласаро бекор кунед" in page
    assert "Cancel this session?" not in page
    assert status_of(listed_session) is SessionStatus.published


def test_the_confirmed_post_cancels(staff, listed_session):
    response = staff.post(f"/staff/sessions/{listed_session.id}/cancel", data={"confirmed": "1"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/sessions"
    assert status_of(listed_session) is SessionStatus.cancelled
    assert cancel_entries() == 1
    # the registrations stay on record
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                             .where(Registration.session_id == listed_session.id)) == 5


def test_the_confirmation_returns_to_the_page_it_came_from(staff, listed_session):
    page = staff.post(f"/staff/sessions/{listed_session.id}/cancel", data={"back": "agenda"}).get_data(as_text=True)
    assert f'href="/staff/sessions/{listed_session.id}/agenda"' in page
    assert 'name="back" value="agenda"' in page
    response = staff.post(f"/staff/sessions/{listed_session.id}/cancel", data={"confirmed": "1", "back": "agenda"})
    assert response.headers["Location"] == f"/staff/sessions/{listed_session.id}/agenda"


def test_an_already_cancelled_session_is_not_asked_about_again(staff, create_session):
    forum_session = create_session(status="cancelled")
    response = staff.post(f"/staff/sessions/{forum_session.id}/cancel", follow_redirects=True)
    assert "This session is already cancelled." in response.get_data(as_text=True)
    assert cancel_entries() == 0


def test_the_session_page_button_opens_the_confirmation(staff, listed_session):
    """Cancelling is done from the session's own page (issue 20), never from a row of the list."""
    assert f"/staff/sessions/{listed_session.id}/cancel" not in staff.get("/staff/sessions").get_data(as_text=True)
    page = staff.get(f"/staff/sessions/{listed_session.id}").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/staff/sessions/{listed_session.id}/cancel".*?</form>', page, re.S)
    assert form and "Cancel session" in form.group(0) and "confirmed" not in form.group(0)
    assert 'name="back" value="session"' in form.group(0)


def test_a_get_changes_nothing(staff, listed_session):
    assert staff.get(f"/staff/sessions/{listed_session.id}/cancel").status_code == 405
    assert status_of(listed_session) is SessionStatus.published


@pytest.mark.parametrize("data", [{}, {"confirmed": "1"}])
def test_facilitators_may_do_neither(client, create_user, listed_session, data):
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=listed_session.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, facilitator)
    response = client.post(f"/staff/sessions/{listed_session.id}/cancel", data=data)
    assert response.status_code == 403 and "Water and land" not in response.get_data(as_text=True)
    assert status_of(listed_session) is SessionStatus.published


@pytest.mark.parametrize("data", [{}, {"confirmed": "1"}])
def test_anonymous_readers_may_do_neither(client, listed_session, data):
    response = client.post(f"/staff/sessions/{listed_session.id}/cancel", data=data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert status_of(listed_session) is SessionStatus.published


def test_both_steps_need_the_csrf_token(app, staff, listed_session):
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/staff/sessions/{listed_session.id}/cancel"
    assert staff.post(url, data={"confirmed": "1"}).status_code == 400
    assert status_of(listed_session) is SessionStatus.published
    session_page = staff.get(f"/staff/sessions/{listed_session.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', session_page).group(1)
    confirmation = staff.post(url, data={"csrf_token": token}).get_data(as_text=True)
    assert status_of(listed_session) is SessionStatus.published
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirmation).group(1)
    assert staff.post(url, data={"csrf_token": token, "confirmed": "1"}).status_code == 302
    assert status_of(listed_session) is SessionStatus.cancelled


def test_the_api_still_cancels_in_one_call(client, create_user, token_for, listed_session):
    response = client.patch(f"/api/v1/sessions/{listed_session.id}", headers=token_for(create_user()),
                            json={"status": "cancelled"})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert status_of(listed_session) is SessionStatus.cancelled
