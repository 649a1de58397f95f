"""The outbox is written in the transaction of the change that causes the mail, one recipient per row."""

from collections.abc import Callable

from forums.registrations import operations
from forums.sessions import operations as session_operations
from models import (
    ForumSession,
    MailKind,
    MailState,
    Participant,
    RegistrationStatus,
    db,
)
from models.registrations import ChangedBy
from tests.conftest import dushanbe_time
from tests.mail.helpers import invite, messages, person


def test_an_invitation_is_a_draft_in_the_persons_language(create_session: Callable[..., ForumSession],
                                                          create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    nigora = person(create_participant, "Раҳимова Нигора", "nigora@example.org", "uz,tg,ru")
    registration = invite(forum_session, nigora)
    [message] = messages()
    assert (message.kind, message.state, message.recipient, message.language, message.registration_id) == (
        MailKind.invitation, MailState.draft, "nigora@example.org", "tg", registration.id)


def test_no_mail_for_a_change_that_rolled_back(create_session: Callable[..., ForumSession],
                                               create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    operations.register(forum_session, person(create_participant, "A", "a@example.org"), RegistrationStatus.invited)
    db.session.rollback()
    assert messages() == []


def test_nobody_without_an_address_is_written_to(create_session: Callable[..., ForumSession],
                                                 create_participant: Callable[..., Participant]) -> None:
    invite(create_session(), person(create_participant, "No Address"))
    assert messages() == []


def test_a_status_change_is_queued_and_a_promotion_too(create_session: Callable[..., ForumSession],
                                                       create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session(capacity=1)
    first = invite(forum_session, person(create_participant, "First", "first@example.org"))
    second = invite(forum_session, person(create_participant, "Second", "second@example.org"))
    operations.change_status(first, RegistrationStatus.registered, by=ChangedBy.participant)
    operations.change_status(second, RegistrationStatus.waitlisted, by=ChangedBy.participant)
    db.session.commit()
    operations.change_status(first, RegistrationStatus.declined, by=ChangedBy.participant)  # frees the seat
    db.session.commit()
    queued = [(m.recipient, m.detail) for m in messages(kind=MailKind.status, state=MailState.queued)]
    assert queued == [("first@example.org", "registered"), ("second@example.org", "waitlisted"),
                      ("second@example.org", "registered")]


def test_a_check_in_is_not_mailed(create_session: Callable[..., ForumSession],
                                  create_participant: Callable[..., Participant]) -> None:
    registration = invite(create_session(), person(create_participant, "A", "a@example.org"))
    operations.mark_attended(registration)
    db.session.commit()
    assert [m.kind for m in messages()] == [MailKind.invitation]


def test_moving_or_cancelling_a_session_tells_everyone_still_expected(
        create_session: Callable[..., ForumSession], create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    expected = invite(forum_session, person(create_participant, "Expected", "expected@example.org"))
    declined = invite(forum_session, person(create_participant, "Declined", "declined@example.org"))
    operations.change_status(declined, RegistrationStatus.declined, by=ChangedBy.participant)
    invite(forum_session, person(create_participant, "No Address"))
    db.session.commit()
    session_operations.update_session(forum_session, {"venue": "Hotel Tajikistan, hall 2"})  # the same venue
    assert messages(kind=MailKind.moved) == []
    session_operations.update_session(forum_session, {"starts_at": dushanbe_time(hour=11),
                                                      "ends_at": dushanbe_time(hour=14)})
    session_operations.cancel_session(forum_session)
    db.session.commit()
    assert [(m.kind, m.registration_id) for m in messages(state=MailState.queued)] == [
        (MailKind.moved, expected.id), (MailKind.cancelled, expected.id)]


def test_a_draft_session_sends_no_notices(create_session: Callable[..., ForumSession],
                                          create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session(status="draft")
    invite(forum_session, person(create_participant, "A", "a@example.org"))
    session_operations.cancel_session(forum_session)
    db.session.commit()
    assert [m.kind for m in messages()] == [MailKind.invitation]
