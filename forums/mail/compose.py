"""The message itself: subject, plain text, HTML and the session's .ics, in the recipient's language.

Composed when the message is sent (or previewed), from the registration as it is then: the outbox row
holds no text. Links are built on ``FLASK_MAIL_BASE_URL`` (the address people reach the app at) and
open the person's own page: a page, never an action, since mail scanners follow every link; only the
page's buttons (POST) accept or decline. No remote image, no tracker: nothing in it calls home.
"""

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date
from email.utils import make_msgid
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from forums.i18n import display_zone
from forums.mail import settings
from forums.people import links
from forums.sessions.calendar import sessions_calendar
from forums.signup import operations as signups
from forums.signup import rules as signup_rules
from models import (
    STATUS_LABELS,
    ForumSession,
    MailKind,
    MailMessage,
    OpenSignup,
    Participant,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)

#: loads everything a message tells, in one query per relationship (pages preview drafts with these)
COMPOSE_LOADING = (
    joinedload(MailMessage.registration).joinedload(Registration.participant),
    joinedload(MailMessage.registration).joinedload(Registration.forum_session).joinedload(ForumSession.region),
    joinedload(MailMessage.registration).joinedload(Registration.forum_session)
    .selectinload(ForumSession.agenda),
    joinedload(MailMessage.signup),
)


def load(message_ids: list[int]) -> list[MailMessage]:
    """The messages with their registration, person, session, region and agenda, in id order."""
    return list(db.session.scalars(
        sa.select(MailMessage).where(MailMessage.id.in_(message_ids)).options(*COMPOSE_LOADING)
        .order_by(MailMessage.id)).unique())


@dataclass(frozen=True)
class Composed:
    """What a message says, before it is put in an envelope (the preview shows this)."""

    subject: str
    text: str
    html: str
    #: the session's .ics (a sign-up's confirmation has none: the person is not registered yet)
    calendar: bytes | None


def _intro(kind: MailKind, detail: str, title: str) -> str:
    if kind is MailKind.invitation:
        return _("You are invited to %(title)s.", title=title)
    if kind is MailKind.moved:
        return _("%(title)s has changed: please check the time and place below.", title=title)
    if kind is MailKind.cancelled:
        return _("%(title)s has been cancelled. We are sorry for any inconvenience.", title=title)
    if kind is MailKind.reminder:
        return _("A reminder: %(title)s is coming up.", title=title)
    return {
        RegistrationStatus.registered.value: _("Your seat at %(title)s is reserved.", title=title),
        RegistrationStatus.confirmed.value: _("Your participation in %(title)s is confirmed.", title=title),
        RegistrationStatus.waitlisted.value: _(
            "%(title)s is full: you are on the waiting list, and we will write again if a seat frees up.",
            title=title),
        RegistrationStatus.cancelled.value: _("The organisers have cancelled your registration for %(title)s.",
                                              title=title),
    }.get(detail, _("Your registration for %(title)s has changed.", title=title))


def _subject(kind: MailKind, title: str) -> str:
    return {
        MailKind.invitation: _("Invitation: %(title)s", title=title),
        MailKind.status: _("Your registration: %(title)s", title=title),
        MailKind.moved: _("Changed: %(title)s", title=title),
        MailKind.cancelled: _("Cancelled: %(title)s", title=title),
        MailKind.reminder: _("Reminder: %(title)s", title=title),
    }[kind]


def _external_url(endpoint: str, values: dict[str, object]) -> str:
    """The absolute address of ``endpoint`` on ``FLASK_MAIL_BASE_URL``."""
    base = urlsplit(current_app.config["MAIL_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def personal_url(token: str, session_id: int) -> str:
    """The absolute address of the person's page for the session, on ``FLASK_MAIL_BASE_URL``."""
    return _external_url("personal.session_page", {"token": token, "session_id": session_id})


def confirmation_url(code: str) -> str:
    """The absolute address of a sign-up's confirmation page: a page whose button confirms, never the GET."""
    return _external_url("signup.confirm", {"code": code})


#: attachments already built, by session version and language (``session_calendar``)
_CALENDARS: dict[tuple[int, int, datetime, str, str], bytes] = {}
_CALENDARS_KEPT = 256


def session_calendar(forum_session: ForumSession, locale: str, zone: ZoneInfo) -> bytes:
    """The session's .ics in ``locale``, built once per version of the session and language.

    A sender writes the same attachment to every invitee of a session, and building its time zone costs
    about a tenth of a second; the key changes with every change a calendar notices (SEQUENCE) and any
    other (``updated_at``). It carries no link: the link is personal, and it is in the message itself.
    """
    key = (forum_session.id, forum_session.sequence, forum_session.updated_at, locale, zone.key)
    cached = _CALENDARS.get(key)
    if cached is None:
        if len(_CALENDARS) >= _CALENDARS_KEPT:
            _CALENDARS.clear()
        cached = _CALENDARS[key] = sessions_calendar([forum_session], name=forum_session.localized("title", locale),
                                                     locale=locale, zone=zone, url_for_session=lambda _each: None)
    return cached


def compose_confirmation(message: MailMessage, code: str) -> Composed:
    """A sign-up's confirmation message, in its language; ``code`` is the sign-up's current code."""
    signup: OpenSignup | None = message.signup
    assert signup is not None, "a confirmation message belongs to a sign-up"
    forum_session = db.session.get(ForumSession, message.session_id, options=[joinedload(ForumSession.region)])
    assert forum_session is not None, "a sign-up is deleted with its session"
    with force_locale(message.language):
        locale = message.language
        title = forum_session.localized("title", locale)
        context = {
            "language": locale, "name": signup.name, "title": title,
            "when": (f"{format_date(forum_session.starts_at, 'full')}, {format_time(forum_session.starts_at, 'short')}"
                     f"–{format_time(forum_session.ends_at, 'short')}"),
            "url": confirmation_url(code), "hours": signup_rules.PENDING_HOURS,
        }
        return Composed(
            subject=_("Please confirm your registration: %(title)s", title=" ".join(title.split())),
            text=render_template("mail/signup_confirmation.txt", **context),
            html=render_template("mail/signup_confirmation.html", **context),
            calendar=None,
        )


def compose(message: MailMessage, token: str) -> Composed:
    """What ``message`` says, in its language; ``token`` is the person's personal link."""
    registration = message.registration
    assert registration is not None, "only a sign-up's confirmation has no registration"
    participant: Participant = registration.participant
    forum_session = registration.forum_session
    zone = display_zone()
    url = personal_url(token, forum_session.id)
    with force_locale(message.language):
        locale = message.language
        title = forum_session.localized("title", locale)
        context = {
            "language": locale,
            "name": participant.name,
            "intro": _intro(message.kind, message.detail, title),
            "title": title,
            "when": (f"{format_date(forum_session.starts_at, 'full')}, {format_time(forum_session.starts_at, 'short')}"
                     f"–{format_time(forum_session.ends_at, 'short')}"),
            "where": ", ".join(part for part in (forum_session.venue, forum_session.region.name(locale)) if part),
            "status": STATUS_LABELS[registration.status],
            "agenda": [(f"{format_time(item.starts_at, 'short')}–{format_time(item.ends_at, 'short')}",
                        item.localized("title", locale)) for item in forum_session.agenda],
            "url": url,
            "asks_answer": message.kind is MailKind.invitation,
            "is_cancelled": message.kind is MailKind.cancelled,
        }
        composed = Composed(
            subject=_subject(message.kind, " ".join(title.split())),
            text=render_template("mail/message.txt", **context),
            html=render_template("mail/message.html", **context),
            calendar=session_calendar(forum_session, locale, zone),
        )
    return composed


def envelope(message: MailMessage, composed: Composed) -> EmailMessage:
    """The message as it goes out: headers, text and HTML alternatives, the .ics attached."""
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = message.recipient
    mail["Subject"] = composed.subject
    mail["Date"] = rfc2822_date(utcnow())
    mail["Message-ID"] = make_msgid(f"mail{message.id}", domain=settings.return_path_domain())
    # RFC 3834: automatic mail; auto-responders stay quiet instead of answering it.
    mail["Auto-Submitted"] = "auto-generated"
    mail["Content-Language"] = message.language
    mail.set_content(composed.text)
    mail.add_alternative(composed.html, subtype="html")
    if composed.calendar is not None:
        mail.add_attachment(composed.calendar, maintype="text", subtype="calendar", filename="session.ics",
                            params={"charset": "utf-8"})
    return mail


def build(message: MailMessage) -> EmailMessage:
    """The message ready to send (its person's personal link is issued if they have none yet).

    A sign-up's confirmation gets a fresh code here (``forums.signup.operations.renew_code``), committed by
    the sender before the message leaves: the latest message's link is the one that works.
    """
    if message.signup is not None:
        return envelope(message, compose_confirmation(message, signups.renew_code(message.signup)))
    assert message.registration is not None
    link = links.issue(message.registration.participant)
    return envelope(message, compose(message, link.token))
