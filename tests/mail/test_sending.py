"""The sender against a real SMTP server on loopback: delivery, refusals, dropped connections, killed senders."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from forums.mail import sender, verp
from forums.mail.smtp import SmtpConnection, SmtpSettings
from forums.registrations import operations
from models import ForumSession, MailKind, MailMessage, MailState, Participant, PersonalLink, RegistrationStatus, db
from models.registrations import ChangedBy
from tests.mail.conftest import SmtpServer, free_port
from tests.mail.helpers import invite, messages, person, release_all


def _one_invitation(create_session: Callable[..., ForumSession], create_participant: Callable[..., Participant],
                    languages: str = "ru") -> tuple[ForumSession, MailMessage]:
    forum_session = create_session(title="Вода и земля")
    invite(forum_session, person(create_participant, "Раҳимова Нигора", "nigora@example.org", languages))
    release_all(forum_session.id)
    [message] = messages()
    return forum_session, message


def test_send_mail_delivers_one_message_per_recipient_in_their_language(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant], app: Flask) -> None:
    forum_session, message = _one_invitation(create_session, create_participant)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent: 1" in result.output
    [received] = smtp.handler.received
    assert received.recipients == ["nigora@example.org"]
    assert verp.message_id_of(received.envelope_from, app.config["SECRET_KEY"], "bounce.example") == message.id
    mail = received.message
    assert mail["Subject"] == "Приглашение: Вода и земля"
    token = db.session.scalar(sa.select(PersonalLink.token))
    link = f"https://desk.example.org/p/{token}/sessions/{forum_session.id}"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Раҳимова Нигора" in text and link in text and f'href="{link}"' in html
    assert "<img" not in html and "http" not in html.replace(link, "")  # nothing in it calls home
    [ics] = [part for part in mail.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert f"UID:session-{forum_session.id}@dialogue-desk" in ics.get_content()
    [sent] = messages()
    assert (sent.state, sent.attempts, sent.sent_at is not None) == (MailState.sent, 1, True)
    # Nothing is sent twice: a second run finds nothing due.
    assert "Nothing to send." in runner.invoke(args=["send-mail"]).output
    assert len(smtp.handler.received) == 1


def test_a_permanent_refusal_fails_the_message_and_says_why(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    _one_invitation(create_session, create_participant)
    smtp.handler.mode = "permanent"
    runner.invoke(args=["send-mail"])
    [message] = messages()
    assert message.state is MailState.failed
    assert message.last_error.startswith("550 5.1.1")


def test_a_transient_refusal_is_retried_later_with_backoff(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    _one_invitation(create_session, create_participant)
    smtp.handler.mode = "transient"
    runner.invoke(args=["send-mail"])
    [message] = messages()
    assert (message.state, message.attempts) == (MailState.awaiting_retry, 1)
    assert message.send_after - message.updated_at >= timedelta(minutes=14)
    assert message.last_error.startswith("451")
    # Its turn comes, the server takes it now.
    smtp.handler.mode = "accept"
    message.send_after = message.send_after - timedelta(hours=1)
    db.session.commit()
    runner.invoke(args=["send-mail"])
    assert [(m.state, m.attempts) for m in messages()] == [(MailState.sent, 2)]
    assert len(smtp.handler.received) == 1


def test_a_dropped_connection_or_a_server_that_is_down_is_retried_soon(
        runner: Any, smtp: SmtpServer, app: Flask, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    _one_invitation(create_session, create_participant)
    smtp.handler.mode = "drop"
    runner.invoke(args=["send-mail"])
    [message] = messages()
    assert message.state is MailState.awaiting_retry and message.last_error.startswith("connection")
    assert message.send_after - message.updated_at <= timedelta(minutes=2)
    message.send_after = message.send_after - timedelta(hours=1)
    db.session.commit()
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    runner.invoke(args=["send-mail"])
    [message] = messages()
    assert (message.state, message.attempts) == (MailState.awaiting_retry, 2)
    assert smtp.handler.received == []


def test_a_message_whose_sender_was_killed_is_sent_once_its_lease_expires(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    _one_invitation(create_session, create_participant)
    assert len(sender.claim("killed-worker", 10, sender.utcnow())) == 1  # claimed, then the worker dies
    runner.invoke(args=["send-mail"])
    assert smtp.handler.received == []  # still leased to the dead worker
    db.session.execute(sa.update(MailMessage).values(lease_until=sender.utcnow() - timedelta(seconds=1)))
    db.session.commit()
    runner.invoke(args=["send-mail"])
    assert len(smtp.handler.received) == 1
    [message] = messages()
    assert message.state is MailState.sent
    # The dead worker, had it only been slow, finds the row no longer its own: it neither sends nor writes.
    assert sender.prepare([message.id], "killed-worker") == ([], {"lost_lease": 1})
    assert messages()[0].state is MailState.sent


def test_an_invitation_answered_before_its_turn_is_not_sent(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session, message = _one_invitation(create_session, create_participant)
    operations.change_status(message.registration, RegistrationStatus.declined, by=ChangedBy.participant)
    db.session.commit()
    runner.invoke(args=["send-mail"])
    assert smtp.handler.received == []
    assert [(m.state, m.last_error) for m in messages()] == [(MailState.aborted, "answered")]


def test_a_status_change_and_a_cancellation_reach_the_person(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session, message = _one_invitation(create_session, create_participant, languages="tg")
    runner.invoke(args=["send-mail"])
    operations.change_status(message.registration, RegistrationStatus.registered, by=ChangedBy.participant)
    db.session.commit()
    runner.invoke(args=["send-mail"])
    from forums.sessions.operations import cancel_session

    cancel_session(db.session.get(ForumSession, forum_session.id))
    db.session.commit()
    runner.invoke(args=["send-mail"])
    assert [(m.kind, m.state) for m in messages()] == [
        (MailKind.invitation, MailState.sent), (MailKind.status, MailState.sent), (MailKind.cancelled, MailState.sent)]
    cancelled = smtp.handler.received[-1].message
    assert "STATUS:CANCELLED" in next(cancelled.iter_attachments()).get_content()


def test_sendmails_partial_refusal_is_caught_even_though_smtplib_raises_nothing(smtp: SmtpServer) -> None:
    """The trap: to several recipients, one refused, ``sendmail`` returns the refusal instead of raising.
    We send to one recipient per message; should a second ever slip in, the return value still counts."""
    import smtplib
    from email.message import EmailMessage

    from forums.mail import delivery

    smtp.handler.refuse = {"gone@example.org"}
    mail = EmailMessage()
    mail.set_content("hello")
    with smtplib.SMTP("127.0.0.1", smtp.port) as client:
        refused = client.sendmail("desk@mission.example", ["here@example.org", "gone@example.org"], mail.as_bytes())
    assert refused == {"gone@example.org": (550, b"5.1.1 No such user here")}
    assert isinstance(delivery.of_refusals(refused, "gone@example.org"), delivery.Failed)
    with SmtpConnection(SmtpSettings("127.0.0.1", smtp.port, "none")) as connection:
        outcome = connection.send(mail, "desk@mission.example", "gone@example.org")
    assert isinstance(outcome, delivery.Failed)


def test_send_mail_refuses_to_run_without_a_server(runner: Any, app: Flask) -> None:
    app.config["MAIL_HOST"] = ""
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code != 0 and "FLASK_MAIL_HOST" in result.output


def test_a_message_that_cannot_be_written_fails_alone(
        runner: Any, smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    forum_session = create_session()
    invite(forum_session, person(create_participant, "Broken", "a@example.org\r\nBcc: everyone@example.org"))
    invite(forum_session, person(create_participant, "Fine", "fine@example.org"))
    release_all(forum_session.id)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert [(m.state, m.last_error) for m in messages()] == [(MailState.failed, "could not be composed"),
                                                             (MailState.sent, "")]
    assert [received.recipients for received in smtp.handler.received] == [["fine@example.org"]]


def test_the_long_running_sender_sends_purges_and_stops_when_asked(
        smtp: SmtpServer, create_session: Callable[..., ForumSession],
        create_participant: Callable[..., Participant]) -> None:
    _one_invitation(create_session, create_participant)
    purges: list[int] = []
    stop_after = iter([False, False, True])  # two rounds: one sends, one finds nothing and waits
    sender.run_forever("looping", interval=0.01, purge=lambda: purges.append(1) or 0,
                       should_stop=lambda: next(stop_after))
    assert purges == [1]  # once an hour, so once here
    assert [m.state for m in messages()] == [MailState.sent] and len(smtp.handler.received) == 1
