"""Balanced invitations for a session: the pool from the register, the policy as count quotas, the draw
audited, the panel turned into invitations.

The rules of a draw are written, and those that need no database applied, in ``forums.selection.rules``.
- **Audit.** Every draw records ``selection.run`` with its seed, and confirming records
  ``selection.confirm``: the seed and the parameters reproduce the panel.

Functions work in the caller's transaction; confirming flushes, the caller commits once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from forums.audit import log as audit
from forums.balance.policies import Catalogue, load_catalogue, session_policy
from forums.balance.rules import BalanceReport, compute_balance
from forums.people.duplicates import identity_keys
from forums.registrations import operations
from forums.selection.rules import (
    MAX_POOL,
    MAX_TIME_LIMIT_SECONDS,
    TIME_LIMIT_SECONDS,
    WAITLIST,
    count_quotas,
    one_record_per_person,
    organisation_key,
)
from forums.selection.solver import (
    CountQuota,
    Person,
    SelectionRequest,
    SelectionResult,
    select_panel,
)
from models import (
    Category,
    Dimension,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)
from models.registrations import CLOSED, HOLDING


class PoolError(Exception):
    """The pool or the exclusions cannot be used; ``field`` is the input at fault, ``code`` says why.

    Codes: ``unknown_people`` (ids not in the register, listed in ``ids``), ``pool_too_large``,
    ``exclude_outside_pool``, ``exclude_kept`` (a person holding an invitation cannot be excluded).
    """

    def __init__(self, field: str, code: str, ids: Sequence[int] = ()) -> None:
        super().__init__(code)
        self.field = field
        self.code = code
        self.ids = tuple(ids)


class PanelChanged(Exception):
    """Confirming drew another panel than the one shown: the pool, the policy or the list changed."""


@dataclass(frozen=True)
class PanelSpec:
    """Everything that determines a draw: with the same database, the same spec gives the same panel."""

    session_id: int
    #: ``WAITLIST`` or participant ids
    pool: str | tuple[int, ...]
    size: int
    seed: int
    algorithm: str = "maximin"
    max_per_organisation: int | None = None
    exclude: frozenset[int] = field(default_factory=frozenset)
    #: seconds the optimisation may take
    time_limit: float = TIME_LIMIT_SECONDS
    #: replay a search the time limit stopped: exactly this many solver steps (``SelectionResult.steps``)
    steps: int | None = None


@dataclass(frozen=True)
class PanelDraw:
    """A drawn panel with the people and quotas it was drawn from."""

    spec: PanelSpec
    result: SelectionResult
    people: Mapping[int, Person]
    #: people already holding an invitation: on the panel whatever the seed
    kept: frozenset[int]
    #: people of the pool who declined or were cancelled for the session
    closed: frozenset[int]
    quotas: tuple[CountQuota, ...]
    #: records left out of the pool as another record of the same person: {left out: record drawn from}
    same_person: Mapping[int, int] = field(default_factory=dict)

    @property
    def newcomers(self) -> tuple[int, ...]:
        """Panel members who do not hold an invitation yet: those confirming invites."""
        return tuple(pid for pid in self.result.selected if pid not in self.kept)


def _statuses(session_id: int) -> dict[int, RegistrationStatus]:
    """Each registered person's status for the session."""
    return dict(db.session.execute(
        sa.select(Registration.participant_id, Registration.status).where(Registration.session_id == session_id)
    ).all())


def _pool_ids(spec: PanelSpec) -> list[int]:
    """The requested pool's ids, in a stable order, checked against the register."""
    if isinstance(spec.pool, str):  # WAITLIST, the one word a pool can be (PanelSpec)
        return list(db.session.scalars(
            sa.select(Registration.participant_id)
            .where(Registration.session_id == spec.session_id, Registration.status == RegistrationStatus.waitlisted)
            .order_by(Registration.participant_id)))
    wanted = sorted(set(spec.pool))
    if len(wanted) > MAX_POOL:
        raise PoolError("pool", "pool_too_large")
    known = set(db.session.scalars(sa.select(Participant.id).where(Participant.id.in_(wanted))))
    unknown = [pid for pid in wanted if pid not in known]
    if unknown:
        raise PoolError("pool", "unknown_people", unknown)
    return wanted


def _people(participant_ids: Sequence[int]) -> dict[int, Person]:
    """Pool members as the selection engine wants them: categories by dimension key, organisation."""
    categories: dict[int, dict[str, str]] = {pid: {} for pid in participant_ids}
    rows = db.session.execute(
        sa.select(ParticipantCategory.participant_id, Dimension.key, Category.key)
        .join(Category, Category.id == ParticipantCategory.category_id)
        .join(Dimension, Dimension.id == Category.dimension_id)
        .where(ParticipantCategory.participant_id.in_(list(participant_ids))))
    for pid, dimension_key, category_key in rows:
        categories[pid][dimension_key] = category_key
    organisations = dict(db.session.execute(
        sa.select(Participant.id, Participant.organisation).where(Participant.id.in_(list(participant_ids)))
    ).all())
    return {pid: Person(pid, categories[pid], organisation_key(organisations.get(pid, "")))
            for pid in participant_ids}


def draw_panel(spec: PanelSpec) -> PanelDraw:
    """Draw a panel for the session and record the seed in the audit log.

    Raises ``PoolError`` for an unusable pool or exclusion, ``InfeasibleSelection`` when no panel
    meets the policy, ``ValueError`` for a malformed request (e.g. an unknown algorithm), and
    ``SessionCancelled`` for a cancelled session.
    """
    draw = _compute(spec)
    audit.record("selection.run", "session", spec.session_id, detail=_detail(draw))
    return draw


def _compute(spec: PanelSpec) -> PanelDraw:
    # A cancelled session draws nobody (forums.registrations.operations), refused before the solver runs.
    operations.refuse_if_cancelled(spec.session_id)
    pool = _pool_ids(spec)
    statuses = _statuses(spec.session_id)
    kept = {pid for pid, status in statuses.items() if status in HOLDING}
    in_pool = set(pool)
    if spec.exclude & kept:
        raise PoolError("exclude", "exclude_kept", sorted(spec.exclude & kept))
    outside = spec.exclude - in_pool
    if outside:
        raise PoolError("exclude", "exclude_outside_pool", sorted(outside))
    closed = {pid for pid in pool if statuses.get(pid) in CLOSED}
    everyone = sorted(in_pool | kept)
    # A record with a registration here stands for its person, in the pool or not (so a decline holds); one
    # holding an invitation is never left out, even beside another such record of the same person.
    records = sorted(in_pool | set(statuses))
    same_person = {pid: holder for pid, holder in
                   one_record_per_person(records, identity_keys(records), preferred=set(statuses)).items()
                   if pid in in_pool and pid not in kept}
    everyone = [pid for pid in everyone if pid not in same_person]
    people = _people(everyone)
    quotas = count_quotas(session_policy(spec.session_id).quotas, spec.size)
    result = select_panel(SelectionRequest(
        pool=[people[pid] for pid in everyone], size=spec.size, quotas=quotas, keep=frozenset(kept),
        exclude=frozenset((spec.exclude | closed) - set(same_person)),
        max_per_organisation=spec.max_per_organisation,
        algorithm=spec.algorithm, seed=spec.seed, max_steps=spec.steps,
        # A replay must get through every step it is told to take, however busy the machine is now.
        time_limit_seconds=MAX_TIME_LIMIT_SECONDS if spec.steps is not None else spec.time_limit,
    ))
    return PanelDraw(spec, result, people, frozenset(kept), frozenset(closed), quotas, same_person)


def _detail(draw: PanelDraw, **extra: int) -> str:
    spec = draw.spec
    source = WAITLIST if spec.pool == WAITLIST else "list"
    words = [f"seed={spec.seed}", f"size={spec.size}", f"algorithm={spec.algorithm}",
             f"pool={len(draw.people)}", f"source={source}", f"kept={len(draw.kept)}",
             f"excluded={len(spec.exclude)}", f"max_per_organisation={spec.max_per_organisation or '-'}",
             f"same_person={len(draw.same_person)}", f"time_limit={spec.time_limit:g}",
             f"optimal={'yes' if draw.result.is_optimal else 'no'}", f"steps={draw.result.steps}"]
    words += [f"{name}={value}" for name, value in extra.items()]
    return " ".join(words)


def panel_balance(draw: PanelDraw, catalogue: Catalogue | None = None) -> BalanceReport:
    """The balance report the panel would have as the session's invitation list."""
    catalogue = catalogue or load_catalogue()
    counts: Counter[tuple[str, str]] = Counter()
    for pid in draw.result.selected:
        counts.update(draw.people[pid].categories.items())
    return compute_balance(draw.spec.session_id, "invited", len(draw.result.selected), catalogue.specs(), counts,
                           session_policy(draw.spec.session_id).quotas)


def confirm_panel(spec: PanelSpec, shown: Collection[int]) -> PanelDraw:
    """Draw again with the same spec and, if the panel is the one ``shown``, invite its newcomers.

    Newcomers without a registration are invited; waitlisted ones move to invited. Everything runs
    in the caller's transaction (one commit for the whole panel) and is audited. Raises
    ``PanelChanged`` when the draw differs from ``shown``, and what ``draw_panel`` raises.
    """
    forum_session = db.session.get(ForumSession, spec.session_id)
    if forum_session is None:
        raise ValueError("unknown_session")
    # Hold the session while drawing, so nobody changes its list between the draw and the invitations.
    operations.lock_session(spec.session_id)
    draw = _compute(spec)
    if set(draw.result.selected) != set(shown):
        raise PanelChanged()
    registrations = {registration.participant_id: registration for registration in db.session.scalars(
        sa.select(Registration).where(Registration.session_id == spec.session_id,
                                      Registration.participant_id.in_(list(draw.newcomers))))}
    participants = {participant.id: participant for participant in db.session.scalars(
        sa.select(Participant).where(Participant.id.in_(list(draw.newcomers))))}
    for pid in draw.newcomers:
        existing = registrations.get(pid)
        if existing is None:
            operations.register(forum_session, participants[pid], RegistrationStatus.invited, via="selection")
        else:
            # Only waitlisted people can be newcomers with a registration: holders are kept, closed never drawn.
            operations.change_status(existing, RegistrationStatus.invited, via="selection")
    audit.record("selection.confirm", "session", spec.session_id,
                 detail=_detail(draw, invited=len(draw.newcomers)))
    db.session.flush()
    return draw
