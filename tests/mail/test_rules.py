"""The pure rules of mail, tested without an app: which changes are mailed, retries, VERP, bounce reports."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest

from forums.mail import bounces, delivery, rules, verp
from models.registrations import CLOSED, REMINDER_AUDIENCES

SECRET = "a-secret-key-long-enough-for-the-tests-0123456789"


def test_backoff_doubles_from_the_speed_and_stops_at_the_ceiling() -> None:
    assert rules.backoff(1, "quick") == timedelta(minutes=1)
    assert rules.backoff(2, "quick") == timedelta(minutes=2)
    assert rules.backoff(3, "slow") == timedelta(minutes=60)
    assert rules.backoff(20, "slow") == rules.MAX_BACKOFF
    assert not rules.out_of_attempts(rules.MAX_ATTEMPTS - 1)
    assert rules.out_of_attempts(rules.MAX_ATTEMPTS)


def test_the_language_is_the_first_recorded_one_the_app_speaks() -> None:
    assert rules.mail_language(["uz", "tg", "ru"], ["en", "ru", "tg"], "en") == "tg"
    assert rules.mail_language(["fa"], ["en", "ru", "tg"], "en") == "en"


def test_a_confidential_sessions_drafts_need_someone_else_to_release_them() -> None:
    assert rules.is_confidential("invitation") and not rules.is_confidential("public")
    assert rules.may_release(created_by=1, releaser=1, confidential=False)
    assert not rules.may_release(created_by=1, releaser=1, confidential=True)
    assert rules.may_release(created_by=1, releaser=2, confidential=True)


@pytest.mark.parametrize(("kind", "reported", "status", "session", "over", "same_address", "reason"), [
    ("invitation", "", "invited", "published", False, True, None),
    ("invitation", "", "registered", "published", False, True, "answered"),
    ("invitation", "", "invited", "cancelled", False, True, "session_cancelled"),
    ("invitation", "", "invited", "published", True, True, "session_over"),
    ("invitation", "", "invited", "published", False, False, "address_changed"),
    ("status", "registered", "registered", "published", False, True, None),
    ("status", "waitlisted", "registered", "published", False, True, "status_changed"),
    ("cancelled", "", "invited", "cancelled", False, True, None),
    ("cancelled", "", "invited", "published", False, True, "session_reinstated"),
    ("moved", "", "declined", "published", False, True, "status_changed"),
    ("reminder", "silent", "invited", "published", False, True, None),
    ("reminder", "silent", "registered", "published", False, True, "status_changed"),
    ("reminder", "seated", "confirmed", "published", False, True, None),
    ("reminder", "chosen", "waitlisted", "published", False, True, None),
    ("reminder", "chosen", "cancelled", "published", False, True, "status_changed"),
])
def test_a_message_no_longer_true_is_not_sent(kind: str, reported: str, status: str, session: str, over: bool,
                                               same_address: bool, reason: str | None) -> None:
    assert rules.stale_reason(kind, status, session, over, same_address, reported=reported,
                              audience=REMINDER_AUDIENCES.get(reported), closed=CLOSED) == reason


def test_smtp_replies_are_classified_by_their_code() -> None:
    assert delivery.of_reply(250, b"OK") == delivery.Sent()
    assert delivery.of_reply(451, b"try later") == delivery.Retry("slow", "451 try later")
    assert delivery.of_reply(550, b"5.1.1 no such\r\nuser") == delivery.Failed("550 5.1.1 no such user")


def test_exceptions_are_classified_by_their_cause() -> None:
    refused = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")})
    assert isinstance(delivery.of_exception(refused), delivery.Failed)
    later = smtplib.SMTPRecipientsRefused({"a@example.org": (452, b"mailbox full")})
    assert isinstance(delivery.of_exception(later), delivery.Retry)
    # Our credentials are wrong: the message is fine, and fixing the settings must deliver it.
    assert delivery.of_exception(smtplib.SMTPAuthenticationError(535, b"bad password")).speed == "slow"  # type: ignore[union-attr]
    dropped = delivery.of_exception(smtplib.SMTPServerDisconnected("gone"))
    assert isinstance(dropped, delivery.Retry) and dropped.speed == "quick"
    assert isinstance(delivery.of_exception(ConnectionRefusedError(111, "refused")), delivery.Retry)
    unencodable = UnicodeEncodeError("ascii", "нигора@example.org", 0, 1, "ordinal not in range")
    assert isinstance(delivery.of_exception(unencodable), delivery.Failed)
    with pytest.raises(ZeroDivisionError):
        delivery.of_exception(ZeroDivisionError())


def test_a_refusal_in_sendmails_return_value_is_not_a_success() -> None:
    """smtplib raises nothing when one of several recipients is refused: the refusal is only returned."""
    assert delivery.of_refusals({}, "a@example.org") == delivery.Sent()
    outcome = delivery.of_refusals({"a@example.org": (550, b"no such user")}, "a@example.org")
    assert outcome == delivery.Failed("550 no such user")


def test_verp_addresses_name_their_message_and_cannot_be_forged() -> None:
    address = verp.return_path(4711, SECRET, "bounce.example")
    assert address.startswith("bounces+4711-") and address.endswith("@bounce.example")
    assert verp.message_id_of(address, SECRET, "bounce.example") == 4711
    assert verp.message_id_of(address.upper().replace("BOUNCE.EXAMPLE", "bounce.example"), SECRET,
                              "bounce.example") == 4711  # some servers fold the local part's case
    assert verp.message_id_of(address.replace("4711", "4712"), SECRET, "bounce.example") is None
    assert verp.message_id_of(address, "another secret", "bounce.example") is None
    assert verp.message_id_of(address.replace("bounce.example", "elsewhere.example"), SECRET, "bounce.example") is None
    assert verp.message_id_of("someone@bounce.example", SECRET, "bounce.example") is None


def dsn(to: str, action: str, status: str) -> bytes:
    """An RFC 3464 delivery status notification as a mail server writes it."""
    return (
        f"From: MAILER-DAEMON@mx.example\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
        f"Final-Recipient: rfc822; someone@example.org\r\nAction: {action}\r\nStatus: {status}\r\n\r\n"
        "--B--\r\n"
    ).encode()


def _ours(address: str) -> int | None:
    return verp.message_id_of(address, SECRET, "bounce.example")


def test_a_failed_delivery_report_is_a_permanent_bounce_of_its_message() -> None:
    to = verp.return_path(12, SECRET, "bounce.example")
    assert bounces.parse(dsn(to, "failed", "5.1.1"), _ours) == bounces.Bounce(12, True, "5.1.1")
    assert bounces.parse(dsn(to, "delayed", "4.4.1"), _ours) == bounces.Bounce(12, False, "4.4.1")
    assert bounces.parse(dsn("postmaster@bounce.example", "failed", "5.1.1"), _ours) is None


def test_a_plain_bounce_is_permanent_only_when_its_text_says_so() -> None:
    to = verp.return_path(5, SECRET, "bounce.example")
    plain = f"To: {to}\r\nSubject: failure\r\n\r\n550 5.1.1 <someone@example.org>: user unknown\r\n".encode()
    assert bounces.parse(plain, _ours) == bounces.Bounce(5, True, "5.1.1")
    vague = f"Delivered-To: {to}\r\nSubject: out of office\r\n\r\nI am away.\r\n".encode()
    assert bounces.parse(vague, _ours) == bounces.Bounce(5, False, "")


def test_reminder_time_is_counted_back_from_the_start() -> None:
    start = datetime(2036, 12, 3, 5, tzinfo=UTC)
    assert rules.reminder_time(start, 24) == datetime(2036, 12, 2, 5, tzinfo=UTC)
