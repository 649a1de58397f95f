"""Reads of concerns for pages, the API and exports: one builder per page, eager loads, aggregates for counts.

The balance of concerns is the attendance balance's own computation (``forums.balance.rules.compute_balance``
with the session's policy in force, ``forums.balance.policies``), fed the way ``forums.balance.queries`` feeds
it: people per category id at a stage from one GROUP BY, and the stage's total. The people are the
submitters, counted in the categories they held when they submitted (``concern_category``), and the stages
are ``models.concerns.BALANCE_STAGES``: each counts the concerns that got at least that far.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from forums.balance.policies import Catalogue, PolicyInForce, load_catalogue, session_policy
from forums.balance.rules import BalanceReport, compute_balance
from forums.concerns.support import Support, support
from models import (
    AgendaItem,
    Category,
    Commitment,
    Concern,
    ConcernAnswer,
    ConcernCategory,
    ConcernIssue,
    ConcernStage,
    Dimension,
    Endorsement,
    ForumSession,
    ParticipantCategory,
    Registration,
    SessionStatus,
    db,
    utcnow,
)
from models.concerns import BALANCE_STAGES, REACHING, STAGE_CONCERNS, CommitmentStatus
from models.registrations import ON_LIST

#: the dimension whose categories are the constituencies of "support across constituencies"
CONSTITUENCY_DIMENSION = "group"


def _concern_loading() -> list[ORMOption]:
    """What every concern on a page shows: its categories at submission, its submitter and its issue."""
    return [selectinload(Concern.categories).joinedload(ConcernCategory.category),
            joinedload(Concern.submitter), joinedload(Concern.issue)]


def session_concerns(forum_session_id: int) -> list[Concern]:
    """Every concern of the session, oldest first, with its categories at submission, submitter and issue."""
    return list(db.session.scalars(
        sa.select(Concern).where(Concern.session_id == forum_session_id)
        .options(*_concern_loading(), raiseload("*")).order_by(Concern.id)
    ))


def concern(concern_id: int) -> Concern | None:
    """One concern with its categories, submitter, issue and session."""
    return db.session.scalar(
        sa.select(Concern).where(Concern.id == concern_id)
        .options(*_concern_loading(), joinedload(Concern.forum_session), raiseload("*"))
    )


def session_issues(forum_session_id: int) -> list[ConcernIssue]:
    """The session's issues (merged ones too), with their concerns, agenda item, answers and commitments."""
    return list(db.session.scalars(
        sa.select(ConcernIssue).where(ConcernIssue.session_id == forum_session_id)
        .options(selectinload(ConcernIssue.concerns).options(
                     selectinload(Concern.categories).joinedload(ConcernCategory.category),
                     joinedload(Concern.submitter), joinedload(Concern.issue)),
                 joinedload(ConcernIssue.agenda_item),
                 selectinload(ConcernIssue.answers).selectinload(ConcernAnswer.commitments), raiseload("*"))
        .order_by(ConcernIssue.id)
    ))


def issue(issue_id: int) -> ConcernIssue | None:
    """One issue with its concerns and answers (for changes)."""
    return db.session.scalar(
        sa.select(ConcernIssue).where(ConcernIssue.id == issue_id)
        .options(selectinload(ConcernIssue.concerns), selectinload(ConcernIssue.answers)
                 .selectinload(ConcernAnswer.commitments))
    )


def agenda_items(forum_session_id: int) -> list[AgendaItem]:
    """The session's agenda in time order, for choosing where an issue is heard."""
    return list(db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.session_id == forum_session_id).options(raiseload("*"))
        .order_by(AgendaItem.starts_at, AgendaItem.position, AgendaItem.id)
    ))


# Support ---------------------------------------------------------------------------------------------

def _group_of_people() -> sa.Subquery:
    """participant id -> category id in the constituency dimension."""
    return (sa.select(ParticipantCategory.participant_id, ParticipantCategory.category_id)
            .join(Dimension, Dimension.id == ParticipantCategory.dimension_id)
            .join(Category, Category.id == ParticipantCategory.category_id)
            .where(Dimension.key == CONSTITUENCY_DIMENSION, Category.counts_toward_balance)
            .subquery())


def support_of_session(forum_session_id: int) -> dict[int, Support]:
    """Raw support and support across constituencies of every concern of the session (three queries).

    Members of a group are the people on the session's list (``ON_LIST``) holding it; endorsers are counted
    in the group they hold now.
    """
    groups = _group_of_people()
    keys = dict(db.session.execute(
        sa.select(Category.id, Category.key).join(Dimension, Dimension.id == Category.dimension_id)
        .where(Dimension.key == CONSTITUENCY_DIMENSION, Category.counts_toward_balance)
        .order_by(Category.position, Category.id)
    ).all())
    members: dict[str, int] = dict.fromkeys(keys.values(), 0)
    for category_id, count in db.session.execute(
        sa.select(groups.c.category_id, sa.func.count())
        .join(Registration, Registration.participant_id == groups.c.participant_id)
        .where(Registration.session_id == forum_session_id, Registration.status.in_(ON_LIST))
        .group_by(groups.c.category_id)
    ):
        members[keys[category_id]] = int(count)
    raw: Counter[int] = Counter()
    by_group: dict[int, Counter[str]] = defaultdict(Counter)
    for concern_id, category_id, count in db.session.execute(
        sa.select(Endorsement.concern_id, groups.c.category_id, sa.func.count())
        .join(Concern, Concern.id == Endorsement.concern_id)
        .outerjoin(groups, groups.c.participant_id == Endorsement.participant_id)
        .where(Concern.session_id == forum_session_id)
        .group_by(Endorsement.concern_id, groups.c.category_id)
    ):
        raw[concern_id] += int(count)
        if category_id is not None:
            by_group[concern_id][keys[category_id]] += int(count)
    ids = db.session.scalars(sa.select(Concern.id).where(Concern.session_id == forum_session_id))
    return {concern_id: support(raw[concern_id], by_group[concern_id], members) for concern_id in ids}


# Balance over the stages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernBalance:
    """The balance of a session's submitters at every concern stage, with what pages need to show it."""

    forum_session_id: int
    catalogue: Catalogue
    policy: PolicyInForce
    #: one report per stage of ``BALANCE_STAGES``, in that order
    reports: Mapping[str, BalanceReport]

    def report(self, stage: str) -> BalanceReport:
        """The report at one stage."""
        return self.reports[stage]


def concern_balance(forum_session_id: int) -> ConcernBalance:
    """The balance report of the session's concerns at every stage, in four queries whatever their number."""
    catalogue = load_catalogue()
    policy = session_policy(forum_session_id)
    per_stage: dict[ConcernStage, Counter[int]] = defaultdict(Counter)
    for stage, category_id, count in db.session.execute(
        sa.select(Concern.stage, ConcernCategory.category_id, sa.func.count())
        .join(ConcernCategory, ConcernCategory.concern_id == Concern.id)
        .where(Concern.session_id == forum_session_id)
        .group_by(Concern.stage, ConcernCategory.category_id)
    ):
        per_stage[stage][category_id] += int(count)
    totals = Counter({stage: int(count) for stage, count in db.session.execute(
        sa.select(Concern.stage, sa.func.count()).where(Concern.session_id == forum_session_id)
        .group_by(Concern.stage))})
    keys = catalogue.keys_by_category_id()
    reports = {}
    for balance_stage in BALANCE_STAGES:
        counted = STAGE_CONCERNS[balance_stage]
        by_category: Counter[int] = sum((per_stage[stage] for stage in counted), Counter())
        counts = {keys[category_id]: count for category_id, count in by_category.items() if category_id in keys}
        reports[balance_stage] = compute_balance(forum_session_id, balance_stage,
                                                 sum(totals[stage] for stage in counted), catalogue.specs(), counts,
                                                 policy.quotas, stages=BALANCE_STAGES)
    return ConcernBalance(forum_session_id, catalogue, policy, reports)


# Commitments across a forum ---------------------------------------------------------------------------------

def forum_commitments(forum_id: int) -> list[Commitment]:
    """The open commitments of every session of the forum, soonest due first, with answer, issue and session."""
    return list(db.session.scalars(
        sa.select(Commitment)
        .join(Commitment.answer).join(ConcernAnswer.issue).join(ConcernIssue.forum_session)
        .where(ForumSession.forum_id == forum_id, Commitment.status == CommitmentStatus.open)
        .options(joinedload(Commitment.answer).joinedload(ConcernAnswer.issue).joinedload(ConcernIssue.forum_session),
                 raiseload("*"))
        .order_by(Commitment.due_on, Commitment.id)
    ))


def is_overdue(commitment: Commitment, today: date) -> bool:
    """An open commitment past its due date (``Commitment.is_overdue_on``, which the home panel runs in SQL)."""
    return bool(commitment.is_overdue_on(today))


# The participant's own ------------------------------------------------------------------------------------

def _with_answers() -> list[ORMOption]:
    return [joinedload(Concern.forum_session), joinedload(Concern.submitter),
            joinedload(Concern.issue).selectinload(ConcernIssue.answers), raiseload("*")]


def submitted_by(participant_id: int) -> list[Concern]:
    """The person's own concerns, newest first, with their session, issue and its answers."""
    return list(db.session.scalars(
        sa.select(Concern).where(Concern.submitter_id == participant_id)
        .options(*_with_answers()).order_by(Concern.id.desc())
    ))


def open_to_support(participant_id: int) -> list[Concern]:
    """Accepted concerns (at any later stage) of the sessions the person is on the list of, not their own."""
    theirs = sa.select(Registration.session_id).where(Registration.participant_id == participant_id,
                                                      Registration.status.in_(ON_LIST))
    return list(db.session.scalars(
        sa.select(Concern)
        .where(Concern.session_id.in_(theirs), Concern.stage.in_(REACHING),
               sa.or_(Concern.submitter_id.is_(None), Concern.submitter_id != participant_id))
        .options(*_with_answers()).order_by(Concern.session_id, Concern.id)
    ))


def endorsed_by(participant_id: int) -> set[int]:
    """The ids of the concerns the person supports."""
    return set(db.session.scalars(
        sa.select(Endorsement.concern_id).where(Endorsement.participant_id == participant_id)))


def sessions_open_for(participant_id: int) -> list[ForumSession]:
    """The sessions the person may raise concerns for: on their list, not draft or cancelled, not over."""
    return list(db.session.scalars(
        sa.select(ForumSession).join(Registration, Registration.session_id == ForumSession.id)
        .where(Registration.participant_id == participant_id, Registration.status.in_(ON_LIST),
               ForumSession.status == SessionStatus.published, ForumSession.ends_at > utcnow())
        .options(raiseload("*")).order_by(ForumSession.starts_at)
    ))
