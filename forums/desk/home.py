"""The staff home's own panels: this week's sessions, balance outside the policy, drafts, unanswered invitations.

Registered with ``forums.desk.panels`` like any feature's panel, when ``forums.desk.views`` is imported.
Each costs a fixed number of queries: one list, and for the balance panel five more for all its sessions.
"""

from collections.abc import Sequence
from datetime import datetime

from flask import url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forums.balance import queries as balance_queries
from forums.balance.wording import stage_label
from forums.desk import queries
from forums.desk.panels import HomeLine, HomePanel, register_panel
from forums.i18n import current_language
from models import STAFF_ROLES, ForumSession, RegistrationStatus, Role, User

_EVERY_ROLE = frozenset(Role)
_STAFF = frozenset(STAFF_ROLES)


def _when(forum_session: ForumSession) -> str:
    return format_datetime(forum_session.starts_at, "medium")


def _title(forum_session: ForumSession) -> str:
    return forum_session.localized("title", current_language())


def session_url(forum_session: ForumSession, user: User) -> str:
    """Where a session line leads: its staff page for staff, its check-in for a facilitator."""
    if user.is_staff:
        return url_for("desk.session_page", session_id=forum_session.id)
    return url_for("checkin.page", session_id=forum_session.id)


def _this_week(user: User, now: datetime) -> Sequence[HomeLine]:
    check_in = _("Check-in")
    return [HomeLine(_title(s), session_url(s, user), _when(s),
                     ((check_in, url_for("checkin.page", session_id=s.id)),) if user.is_staff else ())
            for s in queries.week_sessions(user, now)]


def _outside_policy(user: User, now: datetime) -> Sequence[HomeLine]:
    upcoming = queries.upcoming_sessions(now)
    _catalogue, stages = balance_queries.sessions_at_every_stage({s.id: s.forum_id for s in upcoming})
    lines = []
    for forum_session in upcoming:
        session_stages = stages[forum_session.id]
        outside = [stage for stage, report in session_stages.reports.items() if report.total and not report.ok]
        if outside:
            lines.append(HomeLine(
                _title(forum_session), url_for("desk.session_page", session_id=forum_session.id, _anchor="balance"),
                _("Outside the policy at: %(stages)s", stages=", ".join(stage_label(stage) for stage in outside))))
    return lines


def _drafts(user: User, now: datetime) -> Sequence[HomeLine]:
    return [HomeLine(_title(s), url_for("desk.session_page", session_id=s.id), _when(s))
            for s in queries.drafts(now)]


def _unanswered(user: User, now: datetime) -> Sequence[HomeLine]:
    return [HomeLine(_title(s), url_for("registrations.registration_list", session_id=s.id,
                                        status=RegistrationStatus.invited.value),
                     ngettext("%(num)d invitation not answered", "%(num)d invitations not answered", count))
            for s, count in queries.unanswered_invitations(now)]


register_panel(HomePanel("week", _l("Today and this week"), _EVERY_ROLE, _this_week,
                         _l("No sessions today or in the coming week.")))
register_panel(HomePanel("balance", _l("Sessions outside their balance policy"), _STAFF, _outside_policy,
                         _l("Every upcoming session is within its policy, or counts nobody yet.")))
register_panel(HomePanel("drafts", _l("Drafts not yet published"), _STAFF, _drafts, _l("No drafts.")))
register_panel(HomePanel("invitations", _l("Invitations not answered"), _STAFF, _unanswered,
                         _l("Every invitation has been answered.")))
