"""The staff home's panel of overdue commitments: promises made in officials' answers, open past their due date.

Registered with ``forums.desk.panels`` when ``forums.init_app`` imports this module; one query whatever the
number of forums, sessions or commitments. Each line leads to its forum's commitments page, where it is
marked done or dropped. A reader limited to some forums sees only theirs: the query joins each commitment
to its issue, session and forum, which ``forums.accounts.scope`` filters in every query (a join included).
"""

import textwrap
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import raiseload

from forums.desk.panels import HomeLine, HomePanel, register_panel
from forums.desk.queries import HOME_LIMIT
from forums.i18n import current_language, display_zone
from models import STAFF_ROLES, Commitment, ConcernAnswer, ConcernIssue, Forum, ForumSession, User, db

#: characters of a commitment's description a line shows; its forum's page has the whole text
DESCRIPTION_CHARS = 120


def overdue_commitments(now: datetime) -> list[tuple[Commitment, ForumSession, Forum]]:
    """Commitments overdue on ``now``'s day in the display zone, longest overdue first, with their session and
    forum: one query. Overdue is ``Commitment.is_overdue_on`` (open, due before today), here in SQL."""
    today = now.astimezone(display_zone()).date()
    return [(commitment, forum_session, forum) for commitment, forum_session, forum in db.session.execute(
        sa.select(Commitment, ForumSession, Forum)
        .join(Commitment.answer).join(ConcernAnswer.issue).join(ConcernIssue.forum_session).join(ForumSession.forum)
        .where(Commitment.is_overdue_on(today))
        .options(raiseload("*"))
        .order_by(Commitment.due_on, Commitment.id)
        .limit(HOME_LIMIT)
    )]


def _lines(user: User, now: datetime) -> Sequence[HomeLine]:
    """One line per overdue commitment: what was promised, by whom and when, in which forum and session."""
    language = current_language()
    return [
        HomeLine(textwrap.shorten(commitment.description, DESCRIPTION_CHARS, placeholder="…"),
                 url_for("concerns.forum_commitments", forum_id=forum.id),
                 _("%(owner)s, due on %(due)s · %(forum)s: %(session)s", owner=commitment.owner,
                   due=format_date(commitment.due_on, "medium"), forum=forum.localized("title", language),
                   session=forum_session.localized("title", language)))
        for commitment, forum_session, forum in overdue_commitments(now)
    ]


PANEL = register_panel(HomePanel("commitments", _l("Overdue commitments"), frozenset(STAFF_ROLES), _lines,
                                 _l("No commitment is past its due date.")))
