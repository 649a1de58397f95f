"""The staff pages of mail: the outbox with retry and abort, drafts and their release, reminders, offline answers."""

from collections.abc import Callable

import sqlalchemy as sa
from flask.testing import FlaskClient

from models import AuditEntry, ForumSession, MailKind, MailState, Participant, RegistrationStatus, User, db
from tests.conftest import sign_in_without_password
from tests.mail.helpers import invite, messages, person


def _actions() -> list[tuple[str, str]]:
    return [(entry.action, entry.detail) for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.startswith("mail.")).order_by(AuditEntry.id))]


def test_invitations_from_the_registrations_page_wait_as_drafts_and_a_colleague_releases_them(
        client: FlaskClient, create_user: Callable[..., User], create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    author, colleague = create_user(), create_user()
    forum_session = create_session(visibility="invitation")  # confidential
    people = [person(create_participant, f"Person {n}", f"p{n}@example.org", "ru") for n in range(2)]
    sign_in_without_password(client, author)
    client.post(f"/staff/sessions/{forum_session.id}/registrations/add",
                data={"participant_ids": [p.id for p in people], "action": "invite", "confirmed": "1"})
    assert [(m.state, m.created_by_id) for m in messages()] == [(MailState.draft, author.id)] * 2
    page = client.get(f"/staff/sessions/{forum_session.id}/mail").get_data(as_text=True)
    assert "Приглашение: Water and land" in page  # the preview, in the person's language
    assert "ask another member of staff" in page
    client.post(f"/staff/sessions/{forum_session.id}/mail/release")
    assert {m.state for m in messages()} == {MailState.draft}  # the author cannot release them alone
    sign_in_without_password(client, colleague)
    client.post(f"/staff/sessions/{forum_session.id}/mail/release")
    assert [(m.state, m.released_by_id) for m in messages()] == [(MailState.queued, colleague.id)] * 2
    assert ("mail.release", "2") in _actions()


def test_the_outbox_lists_messages_and_stops_or_retries_them(
        client: FlaskClient, create_user: Callable[..., User], create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    invite(forum_session, person(create_participant, "A", "a@example.org"))
    [message] = messages()
    sign_in_without_password(client, create_user())
    page = client.get("/staff/mail").get_data(as_text=True)
    assert "a@example.org" in page and "Water and land" in page
    client.post(f"/staff/mail/{message.id}/abort")
    assert messages()[0].state is MailState.aborted
    client.post(f"/staff/mail/{message.id}/retry")
    assert messages()[0].state is MailState.queued
    response = client.post(f"/staff/mail/{message.id}/retry", follow_redirects=True)  # queued: nothing to retry
    assert "cannot be changed any more" in response.get_data(as_text=True)
    # Each look at the outbox (it lists addresses) is audited, as is each action.
    assert [action for action, _detail in _actions()] == ["mail.list", "mail.abort", "mail.retry", "mail.list"]


def test_facilitators_and_strangers_are_kept_out(client: FlaskClient, create_user: Callable[..., User],
                                                  create_session: Callable[..., ForumSession]) -> None:
    forum_session = create_session()
    assert client.get("/staff/mail").status_code == 302  # to sign in
    sign_in_without_password(client, create_user("facilitator"))
    assert client.get("/staff/mail").status_code == 403
    assert client.get(f"/staff/sessions/{forum_session.id}/mail").status_code == 403
    assert client.post(f"/staff/sessions/{forum_session.id}/mail/release").status_code == 403


def test_reminders_go_to_the_stage_or_the_people_chosen(
        client: FlaskClient, create_user: Callable[..., User], create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant], create_registration: Callable[..., object]) -> None:
    forum_session = create_session()
    silent = invite(forum_session, person(create_participant, "Silent", "silent@example.org"))
    seated = create_registration(forum_session, person(create_participant, "Seated", "seated@example.org"),
                                 "confirmed")
    sign_in_without_password(client, create_user())
    client.post(f"/staff/sessions/{forum_session.id}/mail/remind",
                data={"remind-stage": "silent", "remind-hours_before": "24"})
    [reminder] = messages(kind=MailKind.reminder)
    assert (reminder.registration_id, reminder.state, reminder.detail) == (silent.id, MailState.queued, "silent")
    assert reminder.send_after == forum_session.starts_at.replace(day=forum_session.starts_at.day - 1)
    response = client.post(f"/staff/sessions/{forum_session.id}/mail/remind",
                           data={"remind-stage": "chosen", "remind-hours_before": "2"})
    assert response.status_code == 422 and "Tick at least one person" in response.get_data(as_text=True)
    client.post(f"/staff/sessions/{forum_session.id}/mail/remind",
                data={"remind-stage": "chosen", "remind-hours_before": "2",
                      "remind-registration_ids": [seated.id]})  # type: ignore[attr-defined]
    assert [m.registration_id for m in messages(kind=MailKind.reminder)] == [silent.id, seated.id]  # type: ignore[attr-defined]
    assert [detail for action, detail in _actions() if action == "mail.remind"] == ["silent 24h 1", "chosen 2h 1"]


def test_staff_record_an_answer_given_by_phone(
        client: FlaskClient, create_user: Callable[..., User], create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    registration = invite(forum_session, person(create_participant, "Phoned", "phoned@example.org"))
    sign_in_without_password(client, create_user())
    client.post(f"/staff/sessions/{forum_session.id}/mail/answer",
                data={"answer-registration_id": registration.id, "answer-answer": "accept",
                      "answer-channel": "phone"})
    db.session.refresh(registration)
    assert registration.status is RegistrationStatus.registered
    assert ("mail.offline_answer", "accept by phone") in _actions()
    assert [m.detail for m in messages(kind=MailKind.status)] == ["registered"]  # the person hears of it
    response = client.post(f"/staff/sessions/{forum_session.id}/mail/answer",
                           data={"answer-registration_id": registration.id, "answer-answer": "accept",
                                 "answer-channel": "phone"}, follow_redirects=True)
    assert "cannot give that answer now" in response.get_data(as_text=True)
