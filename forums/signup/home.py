"""The staff home's panel of open registration: upcoming sessions taking sign-ups, with how many came in.

Registered with ``forums.desk.panels`` when ``forums.signup.views`` is imported; one query whatever the
number of sessions or sign-ups.
"""

from collections.abc import Sequence
from datetime import datetime

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forums.desk.panels import HomeLine, HomePanel, register_panel
from forums.i18n import current_language
from forums.signup import queries
from models import STAFF_ROLES, User


def _lines(user: User, now: datetime) -> Sequence[HomeLine]:
    """One line per upcoming session taking open registration, leading to its registrations."""
    return [
        HomeLine(forum_session.localized("title", current_language()),
                 url_for("registrations.registration_list", session_id=forum_session.id),
                 _("%(when)s · confirmed: %(confirmed)d, waiting for confirmation: %(pending)d",
                   when=format_datetime(forum_session.starts_at, "medium"), confirmed=confirmed, pending=pending),
                 ((_("Open registration"), url_for("signup.settings", session_id=forum_session.id)),))
        for forum_session, confirmed, pending in queries.open_sessions(now)
    ]


PANEL = register_panel(HomePanel("signup", _l("Open registration"), frozenset(STAFF_ROLES), _lines,
                                 _l("No upcoming session takes open registration.")))
