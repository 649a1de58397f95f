"""The staff home's panel of mail that could not be delivered: per session, how many messages failed or bounced.

Registered with ``forums.desk.panels`` when ``forums.init_app`` imports this module; one query whatever the
number of sessions or messages. Only sessions that have not ended are listed: the sender aborts any message
about a session that is over (``forums.mail.rules.stale_reason``), so there is nothing left to fix for those.
A reader limited to some forums sees only theirs: the query selects sessions and mail, which
``forums.accounts.scope`` filters in every query.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forums.desk.panels import HomeLine, HomePanel, register_panel
from forums.desk.queries import HOME_LIMIT, SESSION_LINE_LOADING
from forums.i18n import current_language
from forums.mail.queries import UNDELIVERED
from models import STAFF_ROLES, ForumSession, MailMessage, MailState, User, db
from models.mail import MAIL_STATE_LABELS


def undelivered_by_session(now: datetime) -> list[tuple[ForumSession, dict[MailState, int]]]:
    """Sessions not yet ended with mail that failed or bounced (``queries.UNDELIVERED``), soonest first, with
    how many messages are in each of those states: one query."""
    counts = [sa.func.count(MailMessage.id).filter(MailMessage.state == state).label(state.value)
              for state in UNDELIVERED]
    undelivered = (sa.select(MailMessage.session_id, *counts)
                   .where(MailMessage.state.in_(UNDELIVERED))
                   .group_by(MailMessage.session_id).subquery())
    rows = db.session.execute(
        sa.select(ForumSession, *(undelivered.c[state.value] for state in UNDELIVERED))
        .join(undelivered, undelivered.c.session_id == ForumSession.id)
        .where(ForumSession.ends_at > now)
        .options(*SESSION_LINE_LOADING)
        .order_by(ForumSession.starts_at, ForumSession.id)
        .limit(HOME_LIMIT)
    )
    return [(forum_session, dict(zip(UNDELIVERED, (int(count) for count in found), strict=True)))
            for forum_session, *found in rows]


def _lines(user: User, now: datetime) -> Sequence[HomeLine]:
    """One line per session: its mail page, the count in each state, and the outbox listing each state's messages."""
    lines = []
    for forum_session, counts in undelivered_by_session(now):
        present = [(state, count) for state, count in counts.items() if count]
        note = " · ".join([format_datetime(forum_session.starts_at, "medium"),
                           *(_("%(state)s: %(count)d", state=MAIL_STATE_LABELS[state], count=count)
                             for state, count in present)])
        lines.append(HomeLine(
            forum_session.localized("title", current_language()),
            url_for("mail.session_mail", session_id=forum_session.id), note,
            tuple((_("Outbox: %(state)s", state=MAIL_STATE_LABELS[state]),
                   url_for("mail.outbox_list", state=state.value)) for state, _count in present)))
    return lines


PANEL = register_panel(HomePanel("mail", _l("Mail that could not be delivered"), frozenset(STAFF_ROLES), _lines,
                                 _l("Every message about an upcoming session was delivered or is on its way.")))
