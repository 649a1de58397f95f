"""A cancelled session (issue 14, item 11): no registration changes or draws, a banner, reinstatement,
no attendance in the forum overview, and demo data without check-ins where nobody met."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forums.balance import queries as balance_queries
from forums.people import links
from forums.registrations import operations
from forums.sessions import operations as session_operations
from models import (
    AuditEntry,
    ForumSession,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    SessionStatus,
    db,
    utcnow,
)
from tests.conftest import dushanbe_time, sign_in_without_password

REFUSED = "This session is cancelled: its registrations cannot change and no panel can be drawn."


@pytest.fixture
def staff(client, create_user):
    """A signed-in organiser's client."""
    return sign_in_without_password(client, create_user("organiser"))


@pytest.fixture
def cancelled(create_session, create_participant, create_registration):
    """A cancelled session with Rahimova invited, Sharipov registered and Qodirova waitlisted; Nazarov in the
    register but not on its list."""
    forum_session = create_session(title="Water and land", capacity=1)
    people = {}
    for name, status in (("Rahimova Nigora", "invited"), ("Sharipov Daler", "registered"),
                         ("Qodirova Madina", "waitlisted")):
        people[name] = create_registration(forum_session, create_participant(name), status)
    people["Nazarov Umed"] = create_participant("Nazarov Umed")
    forum_session.status = SessionStatus.cancelled
    db.session.commit()
    return forum_session, people


def statuses(forum_session):
    db.session.expire_all()
    return {registration.participant.name: registration.status.value for registration in db.session.scalars(
        sa.select(Registration).where(Registration.session_id == forum_session.id))}


BEFORE = {"Rahimova Nigora": "invited", "Sharipov Daler": "registered", "Qodirova Madina": "waitlisted"}


def audit_count(*actions):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.in_(actions)))


REGISTRATION_ACTIONS = ("registration.create", "registration.update", "registration.accept", "registration.decline",
                        "checkin.check_in", "checkin.undo", "selection.run", "selection.confirm")


# No registration changes, no draws ----------------------------------------------------------------

def test_staff_pages_change_no_registration(staff, cancelled):
    forum_session, people = cancelled
    page = f"/staff/sessions/{forum_session.id}/registrations"
    added = staff.post(f"{page}/add", data={"participant_ids": [str(people["Nazarov Umed"].id)], "action": "invite",
                                             "confirmed": "1"}, headers={"Referer": f"http://localhost{page}"})
    assert added.status_code == 302 and added.headers["Location"] == page
    shown = staff.get(page).get_data(as_text=True)
    assert REFUSED in shown
    moved = staff.post(f"/staff/registrations/{people['Rahimova Nigora'].id}/status", data={"status": "registered"},
                       follow_redirects=True)
    assert REFUSED in moved.get_data(as_text=True)
    assert statuses(forum_session) == BEFORE
    assert audit_count(*REGISTRATION_ACTIONS) == 0


def test_the_api_answers_409_and_changes_nothing(client, create_user, token_for, cancelled):
    forum_session, people = cancelled
    headers = token_for(create_user())
    added = client.post(f"/api/v1/sessions/{forum_session.id}/registrations", headers=headers,
                        json={"participant_id": people["Nazarov Umed"].id, "status": "invited"})
    assert added.status_code == 409 and added.get_json()["error"]["code"] == "session_cancelled"
    assert REFUSED in added.get_json()["error"]["message"]
    moved = client.patch(f"/api/v1/registrations/{people['Sharipov Daler'].id}", headers=headers,
                         json={"status": "declined"})
    assert moved.status_code == 409 and moved.get_json()["error"]["code"] == "session_cancelled"
    drawn = client.post(f"/api/v1/sessions/{forum_session.id}/selection", headers=headers,
                        json={"pool": "waitlist", "size": 1, "seed": 1})
    assert drawn.status_code == 409 and drawn.get_json()["error"]["code"] == "session_cancelled"
    assert statuses(forum_session) == BEFORE
    assert audit_count(*REGISTRATION_ACTIONS) == 0


def test_a_personal_link_cannot_answer(client, cancelled):
    forum_session, people = cancelled
    token = links.issue(people["Rahimova Nigora"].participant).token
    db.session.commit()
    page = f"/p/{token}/sessions/{forum_session.id}"
    shown = client.get(page).get_data(as_text=True)
    assert "This session is cancelled." in shown and 'value="accept"' not in shown
    answered = client.post(f"{page}/answer", data={"answer": "accept", "from": "session"}, follow_redirects=True)
    assert "This session is cancelled: your answer was not recorded" in answered.get_data(as_text=True)
    assert statuses(forum_session) == BEFORE
    assert audit_count(*REGISTRATION_ACTIONS) == 0


def test_no_panel_is_drawn_or_confirmed(staff, cancelled):
    forum_session, _people = cancelled
    drawn = staff.get(f"/staff/sessions/{forum_session.id}/selection?pool=waitlist&size=1&seed=3")
    assert drawn.status_code == 409 and REFUSED in drawn.get_data(as_text=True)
    confirmed = staff.post(f"/staff/sessions/{forum_session.id}/selection/confirm?pool=waitlist&size=1&seed=3",
                           data={"shown": str(_people["Qodirova Madina"].participant_id)}, follow_redirects=True)
    assert REFUSED in confirmed.get_data(as_text=True)
    assert statuses(forum_session) == BEFORE
    assert audit_count(*REGISTRATION_ACTIONS) == 0


def test_nobody_is_checked_in_at_the_door(client, create_user, cancelled):
    forum_session, people = cancelled
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    door = sign_in_without_password(client, facilitator)
    checked = door.post(f"/sessions/{forum_session.id}/checkin/{people['Sharipov Daler'].id}",
                        data={"request_id": "r1"}, follow_redirects=True)
    assert REFUSED in checked.get_data(as_text=True)
    assert statuses(forum_session) == BEFORE
    assert audit_count(*REGISTRATION_ACTIONS) == 0


def test_the_rule_holds_in_the_operations_and_a_freed_seat_promotes_nobody(cancelled):
    forum_session, people = cancelled
    with pytest.raises(operations.SessionCancelled):
        operations.change_status(people["Sharipov Daler"], RegistrationStatus.declined)
    db.session.rollback()
    with pytest.raises(operations.SessionCancelled):
        operations.mark_attended(people["Sharipov Daler"])
    db.session.rollback()
    assert operations.promote_waitlisted(db.session.get(ForumSession, forum_session.id)) == []
    session_operations.update_session(db.session.get(ForumSession, forum_session.id), {"capacity": 5})
    db.session.commit()
    assert statuses(forum_session) == BEFORE


# The banner ---------------------------------------------------------------------------------------

def test_every_page_about_it_says_it_is_cancelled(client, staff, cancelled):
    forum_session, _people = cancelled
    sid = forum_session.id
    for path in (f"/staff/sessions/{sid}/agenda", f"/staff/sessions/{sid}/edit", f"/staff/sessions/{sid}/registrations",
                 f"/staff/sessions/{sid}/selection", f"/sessions/{sid}/balance", f"/sessions/{sid}/checkin",
                 f"/sessions/{sid}"):
        page = staff.get(path).get_data(as_text=True)
        assert page.count("This session is cancelled.") == 1, path
        assert f'action="/staff/sessions/{sid}/reinstate"' in page, path
    staff.post("/logout")
    public = client.get(f"/sessions/{sid}").get_data(as_text=True)
    assert "This session is cancelled." in public and "/reinstate" not in public


def test_a_published_session_has_no_banner(staff, create_session):
    page = staff.get(f"/staff/sessions/{create_session().id}/agenda").get_data(as_text=True)
    assert "This session is cancelled." not in page and "/reinstate" not in page


# Reinstating --------------------------------------------------------------------------------------

def test_reinstating_asks_first_then_publishes_and_is_audited(staff, cancelled):
    forum_session, people = cancelled
    url = f"/staff/sessions/{forum_session.id}/reinstate"
    asked = staff.post(url)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Reinstate this session?" in page and "Water and land" in page
    assert 'name="confirmed" value="1"' in page and "Yes, reinstate the session" in page
    assert "<th scope=\"row\">Waitlisted</th><td>1</td>" in page
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.cancelled
    assert audit_count("session.reinstate") == 0

    done = staff.post(url, data={"confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/sessions/{forum_session.id}/agenda"
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.published
    assert audit_count("session.reinstate") == 1
    assert statuses(forum_session) == BEFORE  # the list is as it was
    # and it takes changes again
    staff.post(f"/staff/registrations/{people['Rahimova Nigora'].id}/status", data={"status": "declined"})
    assert statuses(forum_session)["Rahimova Nigora"] == "declined"

    again = staff.post(url, data={"confirmed": "1"}, follow_redirects=True)
    assert "This session is not cancelled." in again.get_data(as_text=True)
    assert audit_count("session.reinstate") == 1


def test_reinstating_needs_staff_and_the_csrf_token(app, client, create_user, cancelled):
    forum_session, _people = cancelled
    url = f"/staff/sessions/{forum_session.id}/reinstate"
    facilitator = sign_in_without_password(client, create_user("facilitator"))
    assert facilitator.post(url, data={"confirmed": "1"}).status_code == 403
    facilitator.post("/logout")
    organiser = sign_in_without_password(client, create_user("organiser", email="staff2@example.org"))
    app.config["WTF_CSRF_ENABLED"] = True
    assert organiser.post(url, data={"confirmed": "1"}).status_code == 400
    page = organiser.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{url}" class="inline">(.*?)</form>', page, re.S).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    confirm = organiser.post(url, data={"csrf_token": token}).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert fields["confirmed"] == "1"
    assert organiser.post(url, data=fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(ForumSession, forum_session.id).status is SessionStatus.published


def test_the_confirmation_speaks_russian(staff, cancelled):
    forum_session, _people = cancelled
    page = staff.post(f"/staff/sessions/{forum_session.id}/reinstate?lang=ru").get_data(as_text=True)
    assert "Восстановить это заседание?" in page and "Reinstate this session?" not in page


def test_the_api_status_change_is_audited_as_cancel_and_reinstate(client, create_user, token_for, create_session):
    forum_session = create_session()
    headers = token_for(create_user())
    url = f"/api/v1/sessions/{forum_session.id}"
    assert client.patch(url, headers=headers, json={"status": "cancelled"}).status_code == 200
    assert client.patch(url, headers=headers, json={"status": "published"}).status_code == 200
    assert (audit_count("session.cancel"), audit_count("session.reinstate")) == (1, 1)


# The forum overview -------------------------------------------------------------------------------

def test_attendance_at_a_cancelled_session_counts_nowhere_in_the_forum_overview(
        create_forum, create_session, create_participant, create_registration):
    forum = create_forum()
    held = create_session(forum=forum, title="Held", starts_at=dushanbe_time(day=1))
    called_off = create_session(forum=forum, title="Called off", starts_at=dushanbe_time(day=8))
    create_registration(held, create_participant("Official", group="government"), "attended")
    # check-ins left on a session that was then cancelled (written as they stand, past the rules)
    for number in range(3):
        create_registration(called_off, create_participant(f"Journalist {number}", group="media"), "attended")
    called_off.status = SessionStatus.cancelled
    db.session.commit()

    overview = balance_queries.forum_balance_page(forum.id, 1)
    rows = {row.title: row for row in overview.page.items}
    assert rows["Called off"].status == "cancelled"
    assert rows["Called off"].reports["attended"].total == 0
    assert rows["Called off"].reports["invited"].total == 3  # who was on its list stays visible
    assert rows["Held"].reports["attended"].total == 1
    assert [session.title for session in overview.trend.sessions] == ["Held"]
    assert overview.held_sessions == 1
    assert ("group", "media") in overview.never_present
    assert called_off.id not in {entry.session_id for entry in overview.first_present}


# Demo data ----------------------------------------------------------------------------------------

def test_demo_data_has_check_ins_only_where_people_met(runner):
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    attended = db.session.execute(
        sa.select(ForumSession.ends_at, ForumSession.status).join(Registration)
        .where(Registration.status == RegistrationStatus.attended)).all()
    assert attended  # the held sessions show what check-ins look like
    now = utcnow()
    assert all(ends_at <= now and status is not SessionStatus.cancelled for ends_at, status in attended)
    upcoming = db.session.scalars(sa.select(ForumSession).where(ForumSession.starts_at > now + timedelta(hours=1)))
    assert any(session.status is SessionStatus.cancelled for session in upcoming)
