"""Balance reports from the database in a fixed number of aggregate queries.

However many registrations a session has, its report costs four queries: the catalogue of
dimensions and categories, the policy in force, one GROUP BY over registration ⨝ participant_category
counting people per category at the stage, and one count of the stage's registrations. A page of
the forum overview (``forum_balance_page``) costs eight whatever the number of sessions: the same
GROUP BY is run once over the sessions on the page and the latest sessions of the trend, grouped by
session and category, counting every stage it needs in one pass with conditional sums; where
categories first came, and which never did, is one aggregate over all the forum's sessions. The
arithmetic is ``forums.balance.rules``; nothing here loops over people.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from forums.balance.policies import (
    Catalogue,
    PolicyInForce,
    load_catalogue,
    policies_for_sessions,
    session_policy,
)
from forums.balance.preview import Move, StagePreview, preview
from forums.balance.rules import (
    STAGES,
    BalanceReport,
    DimensionBalance,
    Quota,
    Status,
    category_status,
    compute_balance,
    seat_order,
)
from forums.database import read_row
from forums.i18n import current_language
from forums.web.cache import kept
from forums.web.compression import KeptBody
from forums.web.paging import Page, paged
from models import (
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    SessionStatus,
    db,
)
from models.registrations import STAGE_STATUSES

#: the stages the forum overview compares, session by session
FORUM_STAGES = ("invited", "attended")


def _statuses(stages: Collection[str]) -> list[RegistrationStatus]:
    """The registration statuses any of ``stages`` counts, in a stable order."""
    return sorted({status for stage in stages for status in STAGE_STATUSES[stage]})


def _in_stage(stage: str) -> sa.ColumnElement[int]:
    """1 for a registration the stage counts, else 0 (for conditional sums)."""
    return sa.case((Registration.status.in_(_statuses([stage])), 1), else_=0)


def _per_stage(stages: Sequence[str]) -> list[sa.ColumnElement[int]]:
    """Aggregate columns counting each stage; one stage needs no CASE, the WHERE already selects it."""
    if len(stages) == 1:
        return [sa.func.count()]
    return [sa.func.sum(_in_stage(stage)) for stage in stages]


def stage_counts(session_ids: Collection[int], stages: Sequence[str]) -> dict[tuple[int, str], Counter[int]]:
    """People per category id, per (session id, stage), for the given sessions: one GROUP BY query."""
    ids = sorted(session_ids)
    if not ids:
        return {}
    # One session needs no grouping by session, which costs SQLite a third more time at 5,000 people.
    single = len(ids) == 1
    session_key = sa.literal(ids[0]) if single else Registration.session_id
    rows = db.session.execute(
        sa.select(session_key, ParticipantCategory.category_id, *_per_stage(stages))
        .select_from(Registration)
        .join(ParticipantCategory, ParticipantCategory.participant_id == Registration.participant_id)
        .where(_of_sessions(ids), Registration.status.in_(_statuses(stages)))
        .group_by(*([] if single else [Registration.session_id]), ParticipantCategory.category_id)
    )
    counts: dict[tuple[int, str], Counter[int]] = {}
    for session_id, category_id, *per_stage in rows:
        for stage, count in zip(stages, per_stage, strict=True):
            if count:
                counts.setdefault((session_id, stage), Counter())[category_id] = int(count)
    return counts


def stage_totals(session_ids: Collection[int], stages: Sequence[str]) -> dict[tuple[int, str], int]:
    """Registrations per (session id, stage), for the given sessions: one query."""
    ids = sorted(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.session_id, *_per_stage(stages))
        .where(_of_sessions(ids), Registration.status.in_(_statuses(stages)))
        .group_by(Registration.session_id)
    )
    return {(session_id, stage): int(total or 0)
            for session_id, *per_stage in rows for stage, total in zip(stages, per_stage, strict=True)}


def _of_sessions(ids: Sequence[int]) -> sa.ColumnElement[bool]:
    return Registration.session_id == ids[0] if len(ids) == 1 else Registration.session_id.in_(ids)


def _report(session_id: int, stage: str, catalogue: Catalogue, policy: PolicyInForce,
            by_category_id: Mapping[int, int], total: int) -> BalanceReport:
    keys = catalogue.keys_by_category_id()
    counts = {keys[category_id]: count for category_id, count in by_category_id.items() if category_id in keys}
    return compute_balance(session_id, stage, total, catalogue.specs(), counts, policy.quotas)


@dataclass(frozen=True)
class SessionBalance:
    """A session's report with what pages need to show it: names and the policy's source."""

    report: BalanceReport
    policy: PolicyInForce
    catalogue: Catalogue


def session_balance_details(forum_session_id: int, stage: str = "registered") -> SessionBalance:
    """The report of a session at ``stage`` with its catalogue and policy (four queries).

    The caller checks that the session exists and that the reader may see it. Raises ValueError
    for an unknown stage.
    """
    if stage not in STAGE_STATUSES:
        raise ValueError(f"unknown stage {stage!r}")
    catalogue = load_catalogue()
    policy = session_policy(forum_session_id)
    counts = stage_counts([forum_session_id], (stage,)).get((forum_session_id, stage), Counter())
    total = stage_totals([forum_session_id], (stage,)).get((forum_session_id, stage), 0)
    return SessionBalance(_report(forum_session_id, stage, catalogue, policy, counts, total), policy, catalogue)


def opening_stage(forum_session_id: int) -> str:
    """The stage a session's dashboard opens on: the furthest that counts anyone, or ``invited`` (one query).

    Stages run invited, registered, confirmed, attended (``rules.STAGES``): before the day the furthest with
    people is where the list stands; once people are checked in it is attendance. A session with nobody
    opens on ``invited``, where invitations start.
    """
    return furthest_stage(stage_totals([forum_session_id], STAGES), forum_session_id)


def furthest_stage(totals: Mapping[tuple[int, str], int], forum_session_id: int) -> str:
    """The furthest stage at which ``totals`` (per (session id, stage)) counts anyone, or ``invited``."""
    return next((stage for stage in reversed(STAGES) if totals.get((forum_session_id, stage))), STAGES[0])


def session_balance(forum_session_id: int, stage: str = "registered") -> BalanceReport:
    """The balance report of one session at one stage (the API contract's report), in four queries."""
    return session_balance_details(forum_session_id, stage).report


#: what a session's report was computed under: its forum (whose policy may apply) and its balance stamp
Stamp = tuple[int, int]


#: built once, from the table's own columns: dashboards poll the stamp, and building the statement and the
#: ORM's compile and result steps cost more than running it
_BALANCE_STAMP = sa.select(ForumSession.__table__.c.forum_id, ForumSession.__table__.c.balance_stamp).where(
    ForumSession.__table__.c.id == sa.bindparam("session_id"))


def balance_stamp(forum_session_id: int) -> Stamp | None:
    """The session's forum and balance stamp, or None when there is no such session (one small query).

    Database triggers give the session a new stamp whenever its report may change (see
    ``ForumSession.balance_stamp``), so an equal stamp means an equal report.
    """
    row = read_row(_BALANCE_STAMP, {"session_id": forum_session_id})
    return None if row is None else (row.forum_id, row.balance_stamp)


@dataclass(frozen=True)
class _KeptReport:
    report: BalanceReport
    #: the report as the API sends it, encoded once (and gzipped once, when asked for gzip)
    json_body: KeptBody


def _kept_report(forum_session_id: int, stage: str, stamp: Stamp) -> _KeptReport:
    """This worker's copy of the report if it was computed under ``stamp``, else a new one.

    The one copy of a report: the balance API sends its JSON, the live check-in panel its report.
    """
    def make() -> _KeptReport:
        report = session_balance(forum_session_id, stage)
        return _KeptReport(report, KeptBody(current_app.json.dumps(report.to_json()) + "\n"))

    return kept("balance_reports", (forum_session_id, stage), stamp, make)


def session_balance_under(forum_session_id: int, stage: str, stamp: Stamp) -> BalanceReport:
    """The report of a session whose ``balance_stamp()`` the caller read first: kept, or four queries.

    Reading the stamp before the report means a change committed in between leaves a report newer
    than its stamp, never older: the next call sees another stamp and computes again.
    """
    return _kept_report(forum_session_id, stage, stamp).report


def session_balance_json_under(forum_session_id: int, stage: str, stamp: Stamp) -> KeptBody:
    """``session_balance_under`` as the JSON body the API sends."""
    return _kept_report(forum_session_id, stage, stamp).json_body


def invited_pool(forum_session_id: int) -> dict[str, dict[str, int]]:
    """People per category key, per dimension key, among the session's current invitations (one query + catalogue)."""
    catalogue = load_catalogue()
    counts = stage_counts([forum_session_id], ("invited",))
    return _by_dimension(catalogue, counts.get((forum_session_id, "invited"), Counter()))


def register_pool() -> dict[str, dict[str, int]]:
    """People per category key, per dimension key, in the whole register (one query + catalogue)."""
    catalogue = load_catalogue()
    rows = db.session.execute(
        sa.select(ParticipantCategory.category_id, sa.func.count())
        .join(Participant, Participant.id == ParticipantCategory.participant_id)
        .group_by(ParticipantCategory.category_id)
    )
    return _by_dimension(catalogue, {category_id: count for category_id, count in rows})


def _by_dimension(catalogue: Catalogue, by_category_id: Mapping[int, int]) -> dict[str, dict[str, int]]:
    pool: dict[str, dict[str, int]] = {dimension.key: {} for dimension in catalogue.dimensions}
    for category_id, (dimension_key, category_key) in catalogue.keys_by_category_id().items():
        pool[dimension_key][category_key] = by_category_id.get(category_id, 0)
    return pool


@dataclass(frozen=True)
class SessionOverview:
    """One session of a forum with its reports at the forum's stages."""

    session_id: int
    title: str
    starts_at: datetime
    status: str
    policy_source: str
    reports: Mapping[str, BalanceReport]


@dataclass(frozen=True)
class CategoryTrend:
    """A category's share of attendance at each session (None where nobody of its dimension was counted)."""

    category: str
    shares: tuple[float | None, ...]


@dataclass(frozen=True)
class ForumBalance:
    """Sessions of a forum, oldest first, and how attendance widened across them."""

    forum_id: int
    catalogue: Catalogue
    sessions: tuple[SessionOverview, ...]

    def attendance_trend(self, dimension_key: str) -> list[CategoryTrend]:
        """Each counting category's share of the counted attendance, session by session."""
        dimension = self.catalogue.dimension(dimension_key)
        if dimension is None:
            return []
        trends = []
        for category in dimension.categories:
            if not category.counts_toward_balance:
                continue
            shares = []
            for overview in self.sessions:
                line = _dimension(overview.reports["attended"], dimension_key)
                found = next(c for c in line.categories if c.key == category.key) if line else None
                shares.append(found.share if line and line.counted and found else None)
            trends.append(CategoryTrend(category.key, tuple(shares)))
        return trends


def _dimension(report: BalanceReport, key: str) -> DimensionBalance | None:
    return next((dimension for dimension in report.dimensions if dimension.key == key), None)


#: sessions the forum overview's attendance trend shows: the latest ones at which anyone was checked in
TREND_SESSIONS = 12


@dataclass(frozen=True)
class FirstPresence:
    """A session at which counting categories attended their forum for the first time."""

    session_id: int
    title: str
    starts_at: datetime
    #: (dimension key, category key), in catalogue order
    categories: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ForumBalancePage:
    """One page of a forum's sessions with their reports, and what the forum shows over all its sessions."""

    forum_id: int
    catalogue: Catalogue
    #: sessions oldest first, at the invited and attended stages
    page: Page[SessionOverview]
    #: the latest ``TREND_SESSIONS`` sessions at which anyone was checked in, oldest first
    trend: ForumBalance
    #: sessions of the forum at which anyone was checked in, of which ``trend`` has the latest
    held_sessions: int
    #: where each counting category first attended, in session order
    first_present: tuple[FirstPresence, ...]
    #: counting categories nobody of which attended any session, in catalogue order
    never_present: tuple[tuple[str, str], ...]


def _session_rows(forum_id: int, number: int) -> Page[tuple[int, str, datetime, SessionStatus]]:
    """Page ``number`` of the forum's sessions in date order: (id, title, starts_at, status), two queries."""
    # The staff lists' paging (a count, then PER_PAGE rows by LIMIT/OFFSET), reused so every list pages alike.
    return paged(
        sa.select(ForumSession.id, ForumSession.title, ForumSession.starts_at, ForumSession.status)
        .where(ForumSession.forum_id == forum_id)
        .order_by(ForumSession.starts_at, ForumSession.id),
        number, scalars=False,
    )


#: the sessions whose attendance the forum overview counts: a cancelled session did not take place, so
#: check-ins left on it (from before it was cancelled, or typed in by mistake) are nobody's attendance
HELD = ForumSession.status != SessionStatus.cancelled


def _held_sessions(forum_id: int, limit: int) -> tuple[list[sa.Row[Any]], int]:
    """The latest ``limit`` sessions, not cancelled, with anyone checked in, newest first, and how many
    there are: one query."""
    checked_in = (sa.select(Registration.id)
                  .where(Registration.session_id == ForumSession.id, Registration.status.in_(_statuses(["attended"])))
                  .correlate(ForumSession).exists())
    rows: list[sa.Row[Any]] = list(db.session.execute(
        sa.select(ForumSession.id, ForumSession.title, ForumSession.starts_at, ForumSession.status,
                  sa.func.count().over().label("held"))
        .where(ForumSession.forum_id == forum_id, checked_in, HELD)
        .order_by(ForumSession.starts_at.desc(), ForumSession.id.desc())
        .limit(limit)
    ))
    return rows, (int(rows[0].held) if rows else 0)


def _first_attended(forum_id: int) -> list[sa.Row[Any]]:
    """Per category anyone of which attended the forum, the first such session (never a cancelled one): one query.

    Registrations are grouped to (category, session) pairs first, and the pairs ranked per
    category in session order (date, then id, as the overview lists them).
    """
    first = sa.func.row_number().over(partition_by=ParticipantCategory.category_id,
                                      order_by=(ForumSession.starts_at, ForumSession.id))
    pairs = (
        sa.select(ParticipantCategory.category_id, ForumSession.id.label("session_id"), ForumSession.title,
                  ForumSession.starts_at, first.label("rank"))
        .select_from(Registration)
        .join(ForumSession, ForumSession.id == Registration.session_id)
        .join(ParticipantCategory, ParticipantCategory.participant_id == Registration.participant_id)
        .where(ForumSession.forum_id == forum_id, Registration.status.in_(_statuses(["attended"])), HELD)
        .group_by(ParticipantCategory.category_id, ForumSession.id, ForumSession.title, ForumSession.starts_at)
        .subquery()
    )
    return list(db.session.execute(
        sa.select(pairs.c.category_id, pairs.c.session_id, pairs.c.title, pairs.c.starts_at)
        .where(pairs.c.rank == 1)
        .order_by(pairs.c.starts_at, pairs.c.session_id)
    ))


def forum_balance_page(forum_id: int, number: int, trend_sessions: int = TREND_SESSIONS) -> ForumBalancePage:
    """Page ``number`` of a forum's overview, in at most eight queries whatever the number of sessions.

    Only the sessions on the page and those of the trend get reports (one GROUP BY over both);
    where categories first attended, and which never did, come from one aggregate over all the
    forum's sessions, so they do not depend on the page. A cancelled session is listed with its
    invitations, but its attendance counts nowhere: its attended report counts nobody, and it is
    neither in the trend nor anyone's first presence (``HELD``).
    """
    rows = _session_rows(forum_id, number)
    held, held_count = _held_sessions(forum_id, trend_sessions)
    held.reverse()
    catalogue = load_catalogue()
    session_ids = {row[0] for row in rows.items} | {row.id for row in held}
    policies = policies_for_sessions(dict.fromkeys(session_ids, forum_id))
    counts = stage_counts(session_ids, FORUM_STAGES)
    totals = stage_totals(session_ids, FORUM_STAGES)

    def overview(session_id: int, title: str, starts_at: datetime, status: SessionStatus) -> SessionOverview:
        policy = policies[session_id]
        # (HELD, in Python for the rows already read)
        uncounted = {"attended"} if status is SessionStatus.cancelled else set()
        return SessionOverview(
            session_id=session_id, title=title, starts_at=starts_at, status=str(status), policy_source=policy.source,
            reports={stage: _report(session_id, stage, catalogue, policy,
                                    Counter() if stage in uncounted else counts.get((session_id, stage), Counter()),
                                    0 if stage in uncounted else totals.get((session_id, stage), 0))
                     for stage in FORUM_STAGES},
        )

    counting = [(dimension.key, category.key) for dimension in catalogue.dimensions
                for category in dimension.categories if category.counts_toward_balance]
    counting_set = set(counting)
    keys = catalogue.keys_by_category_id()
    firsts: dict[int, tuple[str, datetime, set[tuple[str, str]]]] = {}
    for row in _first_attended(forum_id):
        pair = keys.get(row.category_id)
        if pair in counting_set:
            firsts.setdefault(row.session_id, (row.title, row.starts_at, set()))[2].add(pair)
    present = {pair for _title, _starts_at, pairs in firsts.values() for pair in pairs}
    return ForumBalancePage(
        forum_id=forum_id, catalogue=catalogue,
        page=Page([overview(*row) for row in rows.items], rows.number, rows.total),
        trend=ForumBalance(forum_id, catalogue, tuple(overview(row.id, row.title, row.starts_at, row.status)
                                                      for row in held)),
        held_sessions=held_count,
        first_present=tuple(FirstPresence(session_id, title, starts_at, tuple(p for p in counting if p in pairs))
                            for session_id, (title, starts_at, pairs) in firsts.items()),
        never_present=tuple(pair for pair in counting if pair not in present),
    )


@dataclass(frozen=True)
class LimitWarning:
    """A category outside its limits, with the numbers before and after a change (equal when nothing changes)."""

    dimension: str
    category: str
    dimension_name: str
    category_name: str
    #: ``over`` or ``under`` after the change
    status: Status
    count_before: int
    counted_before: int
    count_after: int
    counted_after: int
    quota: Quota

    @property
    def share_before(self) -> float:
        """The category's share before the change."""
        return self.count_before / self.counted_before if self.counted_before else 0.0

    @property
    def share_after(self) -> float:
        """The category's share after the change."""
        return self.count_after / self.counted_after if self.counted_after else 0.0

    @property
    def changes(self) -> bool:
        """Whether the numbers move (False for a warning about the list as it is)."""
        return (self.count_before, self.counted_before) != (self.count_after, self.counted_after)


def warnings_for_additions(forum_session_id: int, participant_ids: Collection[int], stage: str = "invited",
                           locale: str | None = None) -> list[LimitWarning]:
    """Categories that would be above their maximum at ``stage`` once these people are added to the session.

    People the stage already counts for this session are not counted twice. A category already over
    its maximum is reported too when the addition keeps it over. Warns; decides nothing. Four queries.
    """
    if stage not in STAGE_STATUSES:
        raise ValueError(f"unknown stage {stage!r}")
    catalogue = load_catalogue()
    policy = session_policy(forum_session_id)
    if not policy.quotas or not participant_ids:
        return []
    before = stage_counts([forum_session_id], (stage,)).get((forum_session_id, stage), Counter())
    already_counted = (
        sa.select(Registration.participant_id)
        .where(Registration.session_id == forum_session_id, Registration.status.in_(_statuses([stage])))
    )
    added = Counter(dict(db.session.execute(
        sa.select(ParticipantCategory.category_id, sa.func.count())
        .where(ParticipantCategory.participant_id.in_(list(participant_ids)),
               ParticipantCategory.participant_id.not_in(already_counted))
        .group_by(ParticipantCategory.category_id)
    ).all()))
    after = before + added
    warnings = _limit_warnings(catalogue, policy, before, after, locale or current_language())
    return [warning for warning in warnings if warning.status == "over"]


def publish_warnings(forum_session_id: int, locale: str | None = None) -> list[LimitWarning]:
    """Categories of the invitation list (stage ``invited``) outside the policy's limits, under or over."""
    details = session_balance_details(forum_session_id, "invited")
    ids = {keys: category_id for category_id, keys in details.catalogue.keys_by_category_id().items()}
    counts = Counter({ids[(dimension.key, line.key)]: line.count
                      for dimension in details.report.dimensions for line in dimension.categories})
    return _limit_warnings(details.catalogue, details.policy, counts, counts, locale or current_language())


def _limit_warnings(catalogue: Catalogue, policy: PolicyInForce, before: Mapping[int, int],
                    after: Mapping[int, int], locale: str) -> list[LimitWarning]:
    """Every counting category with a quota whose status after the change is not ok, in display order."""
    quotas = {(quota.dimension, quota.category): quota for quota in policy.quotas}
    warnings = []
    for dimension in catalogue.dimensions:
        counting = [category for category in dimension.categories if category.counts_toward_balance]
        counted_before = sum(before.get(category.id, 0) for category in counting)
        counted_after = sum(after.get(category.id, 0) for category in counting)
        for category in counting:
            quota = quotas.get((dimension.key, category.key))
            if quota is None:
                continue
            count_after = after.get(category.id, 0)
            status = category_status(count_after, counted_after, quota)
            if status != "ok":
                warnings.append(LimitWarning(
                    dimension.key, category.key, dimension.name(locale), category.name(locale), status,
                    before.get(category.id, 0), counted_before, count_after, counted_after, quota,
                ))
    return warnings


def waitlist_seats(forum_session_id: int, waiting: Sequence[tuple[int, int]],
                   free: int) -> tuple[list[int], list[tuple[int, tuple[str, ...]]]]:
    """Which of ``waiting`` (registration id, participant id; first come first) take ``free`` seats of a session.

    Under the session's policy the rule is ``rules.seat_order`` at the ``registered`` stage (the seats):
    the first person whose seat keeps the session within its policy, seat by seat; it returns the
    registration ids that take a seat and those passed over with the dimensions that stopped them. With
    no policy the first ``free`` take them. One query without a policy, five with one.
    """
    policy = session_policy(forum_session_id)
    if not policy.quotas:
        return [registration_id for registration_id, _participant in waiting[:max(0, free)]], []
    catalogue = load_catalogue()
    keys = catalogue.keys_by_category_id()
    seated = stage_counts([forum_session_id], ("registered",)).get((forum_session_id, "registered"), Counter())
    counts = {keys[category_id]: count for category_id, count in seated.items() if category_id in keys}
    people: dict[int, dict[str, str]] = {participant_id: {} for _registration, participant_id in waiting}
    if people:
        for participant_id, category_id in db.session.execute(
            sa.select(ParticipantCategory.participant_id, ParticipantCategory.category_id)
            .where(ParticipantCategory.participant_id.in_(list(people)))
        ):
            if category_id in keys:
                dimension_key, category_key = keys[category_id]
                people[participant_id][dimension_key] = category_key
    return seat_order(catalogue.specs(), counts, policy.quotas,
                      [(registration_id, people[participant_id]) for registration_id, participant_id in waiting], free)


@dataclass(frozen=True)
class SessionStages:
    """A session's reports at every stage, and the stage it has reached (``furthest_stage``)."""

    reports: Mapping[str, BalanceReport]
    current: str
    policy_source: str

    @property
    def report(self) -> BalanceReport:
        """The report at the stage the session has reached: what a list of sessions shows."""
        return self.reports[self.current]


def sessions_at_every_stage(forum_ids: Mapping[int, int]) -> tuple[Catalogue, dict[int, SessionStages]]:
    """The reports of many sessions ({session id: forum id}) at every stage, in five queries whatever their number.

    One GROUP BY counts every stage in one pass (conditional sums), as the forum overview does.
    """
    catalogue = load_catalogue()
    if not forum_ids:
        return catalogue, {}
    policies = policies_for_sessions(forum_ids)
    counts = stage_counts(forum_ids, STAGES)
    totals = stage_totals(forum_ids, STAGES)
    return catalogue, {
        session_id: SessionStages(
            {stage: _report(session_id, stage, catalogue, policies[session_id],
                            counts.get((session_id, stage), Counter()), totals.get((session_id, stage), 0))
             for stage in STAGES},
            furthest_stage(totals, session_id), policies[session_id].source)
        for session_id in forum_ids
    }


#: a person's registration status before and after a change; None is "not on the session"
StatusMove = tuple[RegistrationStatus | None, RegistrationStatus | None]


def preview_moves(forum_session_id: int, moves: Mapping[int, StatusMove]) -> tuple[Catalogue, list[StagePreview]]:
    """The session's balance before and after moving these people ({participant id: (old, new)}), at every
    stage the change touches (``forums.balance.preview``), with the catalogue that names its categories;
    six queries whatever their number."""
    catalogue = load_catalogue()
    policy = session_policy(forum_session_id)
    keys = catalogue.keys_by_category_id()
    counts = stage_counts([forum_session_id], STAGES)
    totals = stage_totals([forum_session_id], STAGES)
    people: dict[int, list[tuple[str, str]]] = {participant_id: [] for participant_id in moves}
    if people:
        for participant_id, category_id in db.session.execute(
            sa.select(ParticipantCategory.participant_id, ParticipantCategory.category_id)
            .where(ParticipantCategory.participant_id.in_(list(people)))
        ):
            if category_id in keys:
                people[participant_id].append(keys[category_id])
    return catalogue, preview(
        forum_session_id, catalogue.specs(), policy.quotas,
        {stage: {keys[category_id]: count
                 for category_id, count in counts.get((forum_session_id, stage), Counter()).items()
                 if category_id in keys} for stage in STAGES},
        {stage: totals.get((forum_session_id, stage), 0) for stage in STAGES},
        [Move(tuple(people[participant_id]), None if old is None else old.value, None if new is None else new.value)
         for participant_id, (old, new) in moves.items()],
        {stage: {status.value for status in statuses} for stage, statuses in STAGE_STATUSES.items()},
    )
