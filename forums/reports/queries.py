"""The report's data in a fixed number of aggregate queries, whatever the number of sessions or people.

Forums for the form (one query); the sessions held (one); the catalogue, the policies in force and
the people checked in per session and category (``forums.balance``: one each); the narrative (one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, raiseload

from forums.accounts.permissions import current_scope
from forums.balance import queries as balance_queries
from forums.balance.coarse import coarse_report
from forums.balance.policies import Catalogue, load_catalogue, policies_for_sessions
from forums.balance.rules import Status, compute_balance
from forums.i18n import display_zone
from forums.reports import rules
from forums.reports.sections import ReportScope
from models import Forum, ForumSession, ReportNarrative, db, utcnow


@dataclass(frozen=True)
class Period:
    """A report's days (both included) and forums (empty: every forum), as the address names them."""

    first_day: date
    last_day: date
    forum_ids: tuple[int, ...]

    @property
    def scope(self) -> str:
        """The key its narrative is stored under."""
        return rules.scope_key(self.first_day, self.last_day, self.forum_ids)

    def args(self) -> dict[str, Any]:
        """The address arguments naming this report (for links to its CSV and back)."""
        return {"start": self.first_day.isoformat(), "end": self.last_day.isoformat(), "forums": list(self.forum_ids)}


def period(first_day: date, last_day: date, ticked: Iterable[int]) -> Period:
    """The report of these days and ticked forums, as the reader may have it.

    "Every forum" (none ticked) of an organiser limited to some forums is those forums: their report, and
    its narrative, is not the report of every forum.
    """
    chosen = tuple(sorted(set(ticked)))
    return Period(first_day, last_day, chosen or tuple(sorted(current_scope() or ())))


def forums_for_choice() -> list[tuple[int, str]]:
    """(id, title) of every forum, by title: one query."""
    return [(row.id, row.title) for row in db.session.execute(sa.select(Forum.id, Forum.title)
                                                              .order_by(Forum.title, Forum.id))]


def _day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the display zone (Asia/Dushanbe)."""
    return datetime.combine(day, time(0), tzinfo=display_zone())


def held_sessions(first_day: date, last_day: date, forum_ids: tuple[int, ...]) -> list[ForumSession]:
    """The sessions held from ``first_day`` to ``last_day`` (inclusive, Dushanbe days), with their forums.

    Held: started by now and not cancelled (``forums.balance.queries.HELD``). One query.
    """
    statement = (
        sa.select(ForumSession)
        .where(ForumSession.starts_at >= _day_start(first_day),
               ForumSession.starts_at < _day_start(last_day + timedelta(days=1)),
               ForumSession.starts_at <= utcnow(), balance_queries.HELD)
        .options(joinedload(ForumSession.forum), raiseload("*"))
        .order_by(ForumSession.starts_at, ForumSession.id)
    )
    if forum_ids:
        statement = statement.where(ForumSession.forum_id.in_(forum_ids))
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class HeldLine:
    """A session held, as the report lists it: no names, only how many attended and whether it kept its policy."""

    forum_session: ForumSession
    attended: int
    #: every dimension judged is within the policy at the attended stage; None when fewer than k attended.
    #: A dimension fewer than k of them hold a category of is not judged (``forums.balance.coarse``): its
    #: standing would tell those few people's categories.
    within_policy: bool | None


@dataclass(frozen=True)
class ReportData:
    """The report with what its page needs to name things."""

    report: rules.Report
    catalogue: Catalogue
    scope: ReportScope
    sessions: tuple[HeldLine, ...]


def report_for(first_day: date, last_day: date, forum_ids: tuple[int, ...], locale: str) -> ReportData:
    """The report of the period and forums: five queries (sessions, catalogue, policies, counts, totals)."""
    k = int(current_app.config["SMALL_COUNT_THRESHOLD"])
    sessions = held_sessions(first_day, last_day, forum_ids)
    catalogue = load_catalogue()
    ids = [forum_session.id for forum_session in sessions]
    policies = policies_for_sessions({forum_session.id: forum_session.forum_id for forum_session in sessions})
    counts = balance_queries.stage_counts(ids, [rules.STAGE])
    totals = balance_queries.stage_totals(ids, [rules.STAGE])
    keys = catalogue.keys_by_category_id()
    specs = catalogue.specs()
    zone = display_zone()
    held, lines = [], []
    for forum_session in sessions:
        by_category = counts.get((forum_session.id, rules.STAGE), Counter())
        by_pair = {keys[category_id]: count for category_id, count in by_category.items() if category_id in keys}
        attended = totals.get((forum_session.id, rules.STAGE), 0)
        balance = compute_balance(forum_session.id, rules.STAGE, attended, specs, by_pair,
                                  policies[forum_session.id].quotas)
        # Where the session stood, as a facilitator may see it: nothing for a dimension of fewer than k people.
        coarse = coarse_report(balance, k)
        statuses: dict[tuple[str, str], Status] = {
            (dimension.key, category.key): category.status
            for dimension in coarse.dimensions for category in dimension.categories}
        held.append(rules.HeldSession(forum_session.starts_at.astimezone(zone).strftime("%Y-%m"), by_pair, statuses))
        judged = [dimension.ok for dimension in coarse.dimensions if dimension.shown]
        lines.append(HeldLine(forum_session, attended, all(judged) if coarse.shown else None))
    report = rules.build_report(specs, held, rules.months_between(first_day, last_day), k)
    scope = ReportScope(first_day, last_day, forum_ids, tuple(ids), k, locale)
    return ReportData(report, catalogue, scope, tuple(lines))


def narrative_of(scope_key: str) -> ReportNarrative | None:
    """The narrative staff wrote for this report, if any: one query."""
    return db.session.scalar(sa.select(ReportNarrative).where(ReportNarrative.scope == scope_key))
