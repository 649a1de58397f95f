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


def held_sessions(first_day: date, last_day: date, forum_ids: tuple[int, ...]) -> list[tuple[int, int, datetime]]:
    """(id, forum id, start) of the sessions held from ``first_day`` to ``last_day`` (inclusive, Dushanbe days).

    Held: started by now and not cancelled (``forums.balance.queries.HELD``). One query.
    """
    statement = (
        sa.select(ForumSession.id, ForumSession.forum_id, ForumSession.starts_at)
        .where(ForumSession.starts_at >= _day_start(first_day),
               ForumSession.starts_at < _day_start(last_day + timedelta(days=1)),
               ForumSession.starts_at <= utcnow(), balance_queries.HELD)
        .order_by(ForumSession.starts_at, ForumSession.id)
    )
    if forum_ids:
        statement = statement.where(ForumSession.forum_id.in_(forum_ids))
    return [(row.id, row.forum_id, row.starts_at) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class ReportData:
    """The report with what its page needs to name things."""

    report: rules.Report
    catalogue: Catalogue
    scope: ReportScope


def report_for(first_day: date, last_day: date, forum_ids: tuple[int, ...], locale: str) -> ReportData:
    """The report of the period and forums: five queries (sessions, catalogue, policies, counts, totals)."""
    k = int(current_app.config["SMALL_COUNT_THRESHOLD"])
    sessions = held_sessions(first_day, last_day, forum_ids)
    catalogue = load_catalogue()
    ids = [session_id for session_id, _forum_id, _starts_at in sessions]
    policies = policies_for_sessions({session_id: forum_id for session_id, forum_id, _starts_at in sessions})
    counts = balance_queries.stage_counts(ids, [rules.STAGE])
    totals = balance_queries.stage_totals(ids, [rules.STAGE])
    keys = catalogue.keys_by_category_id()
    specs = catalogue.specs()
    zone = display_zone()
    held = []
    for session_id, _forum_id, starts_at in sessions:
        by_category = counts.get((session_id, rules.STAGE), Counter())
        by_pair = {keys[category_id]: count for category_id, count in by_category.items() if category_id in keys}
        balance = compute_balance(session_id, rules.STAGE, totals.get((session_id, rules.STAGE), 0), specs, by_pair,
                                  policies[session_id].quotas)
        # Where the session stood, as a facilitator may see it: nothing for a dimension of fewer than k people.
        statuses: dict[tuple[str, str], Status] = {
            (dimension.key, category.key): category.status
            for dimension in coarse_report(balance, k).dimensions for category in dimension.categories}
        held.append(rules.HeldSession(starts_at.astimezone(zone).strftime("%Y-%m"), by_pair, statuses))
    report = rules.build_report(specs, held, rules.months_between(first_day, last_day), k)
    scope = ReportScope(first_day, last_day, forum_ids, tuple(ids), k, locale)
    return ReportData(report, catalogue, scope)


def narrative_of(scope_key: str) -> ReportNarrative | None:
    """The narrative staff wrote for this report, if any: one query."""
    return db.session.scalar(sa.select(ReportNarrative).where(ReportNarrative.scope == scope_key))
