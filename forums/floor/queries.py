"""Reads of the floor: a list's state for the facilitator and the projector, people present, reports.

Each page's state is a fixed number of queries whatever the length of the list: the list, its speeches
with their stretches (one ``selectinload``), the names when the session keeps them, the catalogue and
the attendance per category (``forums.balance.queries.stage_counts``, the balance dashboard's own count).
The arithmetic is ``forums.floor.rules``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload, subqueryload

from forums.balance.policies import Catalogue, load_catalogue
from forums.balance.queries import HELD, stage_counts
from forums.checkin.door import query_words
from forums.floor import rules
from models import (
    Category,
    Dimension,
    FloorBudget,
    FloorDisplay,
    FloorList,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    Speech,
    SpeechState,
    SpeechStretch,
    db,
    utcnow,
)
from models.floor import ON_FLOOR
from models.registrations import STAGE_STATUSES

#: the people a list may take requests from: those checked in
PRESENT = STAGE_STATUSES["attended"]
#: people the facilitator's search shows at once
SEARCH_LIMIT = 20


def catalogue() -> Catalogue:
    """Dimensions and categories (one query)."""
    return load_catalogue()


def is_chatham_house(session_id: int) -> bool:
    """Whether the session keeps no names on its lists (one query)."""
    return bool(db.session.scalar(sa.select(ForumSession.is_chatham_house).where(ForumSession.id == session_id)))


def participant_categories(participant_id: int) -> dict[str, str]:
    """A person's category key per dimension key, as they are now (one query)."""
    rows = db.session.execute(
        sa.select(Dimension.key, Category.key)
        .select_from(ParticipantCategory)
        .join(Category, Category.id == ParticipantCategory.category_id)
        .join(Dimension, Dimension.id == Category.dimension_id)
        .where(ParticipantCategory.participant_id == participant_id))
    return {dimension: category for dimension, category in rows}


def is_present(session_id: int, participant_id: int) -> bool:
    """Whether the person is checked in at the session: the only people a facilitator may put on its lists."""
    return db.session.scalar(sa.select(Registration.id).where(
        Registration.session_id == session_id, Registration.participant_id == participant_id,
        Registration.status.in_(PRESENT))) is not None


def search_present(session_id: int, query: str) -> list[tuple[int, str]]:
    """People checked in whose name contains every word of ``query`` in any script: (id, name), by name."""
    words = query_words(query)
    if not words:
        return []
    statement = (sa.select(Participant.id, Participant.name)
                 .join(Registration, Registration.participant_id == Participant.id)
                 .where(Registration.session_id == session_id, Registration.status.in_(PRESENT))
                 .order_by(Participant.search_key, Participant.id).limit(SEARCH_LIMIT))
    for word in words:
        # search keys hold only a-z, 0-9 and spaces (forums.people.names): no LIKE escaping needed
        statement = statement.where(Participant.search_key.like(f"%{word}%"))
    return [(row.id, row.name) for row in db.session.execute(statement)]


def present_counts(session_ids: Sequence[int], catalogue: Catalogue) -> dict[tuple[str, str], int]:
    """People checked in per (dimension key, category key), summed over the sessions (one query)."""
    keys = catalogue.keys_by_category_id()
    totals: Counter[tuple[str, str]] = Counter()
    for (_session, _stage), counts in stage_counts(session_ids, ("attended",)).items():
        for category_id, count in counts.items():
            if category_id in keys:
                totals[keys[category_id]] += count
    return dict(totals)


def load_list(list_id: int, session_id: int) -> FloorList | None:
    """A list of the session with its session, agenda item, speeches, stretches, speakers and budgets."""
    return db.session.scalar(
        sa.select(FloorList).where(FloorList.id == list_id, FloorList.session_id == session_id)
        .options(joinedload(FloorList.forum_session), joinedload(FloorList.agenda_item),
                 # stretches by subquery: one query however many speeches (selectin sends one per 500)
                 selectinload(FloorList.speeches).options(subqueryload(Speech.stretches),
                                                          joinedload(Speech.participant).raiseload("*"),
                                                          raiseload("*")),
                 selectinload(FloorList.budgets), raiseload("*")))


def session_lists(session_id: int) -> list[FloorList]:
    """The session's lists, the whole session's first, then by agenda item (one query)."""
    return list(db.session.scalars(
        sa.select(FloorList).where(FloorList.session_id == session_id)
        .options(joinedload(FloorList.agenda_item), raiseload("*"))
        .order_by(FloorList.agenda_item_id.is_not(None), FloorList.agenda_item_id, FloorList.id)))


def list_stamp(list_id: int) -> int | None:
    """The list's change stamp, for conditional GETs (one query)."""
    return db.session.scalar(sa.select(FloorList.stamp).where(FloorList.id == list_id))


def seconds_of(speech: Speech, now: datetime) -> float:
    """Seconds the speech has spoken so far."""
    return rules.spoken_seconds(((stretch.started_at, stretch.ended_at) for stretch in speech.stretches), now)


def _started_at(speech: Speech) -> datetime | None:
    return speech.stretches[0].started_at if speech.stretches else None


@dataclass(frozen=True)
class QueueLine:
    """A waiting request in its place, with why it is there."""

    speech: Speech
    position: rules.Position


@dataclass(frozen=True)
class ListState:
    """Everything the facilitator's page and the projector show of a list, derived from its records."""

    floor_list: FloorList
    catalogue: Catalogue
    now: datetime
    current: Speech | None
    current_seconds: float
    #: seconds of the current speech's closed stretches, and when its running stretch began (None: paused)
    current_closed_seconds: float
    current_running_since: datetime | None
    queue: tuple[QueueLine, ...]
    #: speeches given the floor or skipped, latest first
    past: tuple[Speech, ...]
    budgets: tuple[rules.BudgetLine, ...]
    #: seconds spoken per category of the list's dimension
    spoken: dict[str, float]
    present: dict[tuple[str, str], int]
    dimension_floor: rules.DimensionFloor | None

    @property
    def is_chatham_house(self) -> bool:
        """Whether names are kept on this list's session."""
        return self.floor_list.forum_session.is_chatham_house

    @property
    def current_over(self) -> bool:
        """Whether the speech holding the floor is past the list's time for a speech."""
        return rules.is_over(self.current_seconds, self.floor_list.speech_seconds)

    def seconds(self, speech: Speech) -> float:
        """Seconds a speech of this list spoke."""
        return seconds_of(speech, self.now)


def policy_of(floor_list: FloorList) -> rules.Policy:
    """The list's ordering policy as the rules read it."""
    pair = (floor_list.alternate_first, floor_list.alternate_second)
    return rules.Policy(str(floor_list.policy), floor_list.dimension_key,
                        pair if floor_list.policy == "alternate" else None)


def _present_here(floor_list: FloorList, present: dict[tuple[str, str], int], cat: Catalogue) -> dict[str, int]:
    """People present per category of the list's dimension, counting categories only (what balance weighs)."""
    dimension = floor_list.dimension_key
    counting = {category.key for d in cat.dimensions if d.key == dimension for category in d.categories
                if category.counts_toward_balance}
    return {key: count for (d, key), count in present.items() if d == dimension and key in counting}


def _pair(floor_list: FloorList) -> tuple[str, str]:
    return floor_list.alternate_first, floor_list.alternate_second


def _request(speech: Any) -> rules.Request:
    """A waiting request as the ordering reads it, from a speech or a row with the same fields."""
    return rules.Request(speech.id, str(speech.kind), speech.asked_at, speech.categories, speech.participant_id,
                         speech.moved_rank)


def list_state(floor_list: FloorList, *, present: dict[tuple[str, str], int] | None = None,
               cat: Catalogue | None = None) -> ListState:
    """The state of a list loaded by :func:`load_list` (two more queries: catalogue and attendance)."""
    now = utcnow()
    cat = cat or catalogue()
    present = present_counts([floor_list.session_id], cat) if present is None else present
    records = [_record(speech, now) for speech in floor_list.speeches]
    state = rules.floor_state(records, floor_list.dimension_key, _pair(floor_list),
                              _present_here(floor_list, present, cat))
    waiting = {speech.id: speech for speech in floor_list.speeches if speech.state is SpeechState.waiting}
    positions = rules.order_queue([_request(speech) for speech in waiting.values()], policy_of(floor_list), state)
    current = next((speech for speech in floor_list.speeches if speech.state in ON_FLOOR), None)
    spec = next((d for d in cat.specs() if d.key == floor_list.dimension_key), None)
    spoken = dict(state.spoken)
    return ListState(
        floor_list=floor_list, catalogue=cat, now=now, current=current,
        current_seconds=seconds_of(current, now) if current else 0.0,
        current_closed_seconds=rules.spoken_seconds(((s.started_at, s.ended_at) for s in current.stretches
                                                     if s.ended_at is not None), now) if current else 0.0,
        current_running_since=next((s.started_at for s in current.stretches if s.ended_at is None), None)
        if current else None,
        queue=tuple(QueueLine(waiting[position.request_id], position) for position in positions),
        past=tuple(sorted((speech for speech in floor_list.speeches
                           if speech.state in (SpeechState.done, SpeechState.skipped)),
                          key=lambda speech: (_started_at(speech) or speech.asked_at), reverse=True)),
        budgets=tuple(rules.budget_lines([rules.Budget(b.category_key, b.initial_seconds, b.added_seconds)
                                          for b in floor_list.budgets], spoken)),
        spoken=spoken, present=present,
        dimension_floor=rules.floor_report([spec], present, records)[0] if spec else None,
    )


_SPEECH = Speech.__table__.c
_STRETCH = SpeechStretch.__table__.c
#: a list's speeches with their stretches as plain rows, in the list's order: all the queue's order needs,
#: without making an object per row (a facilitator's "next" runs it under the list's lock)
_ORDERING_ROWS = (sa.select(Speech.id, Speech.kind, Speech.state, Speech.asked_at, Speech.categories,
                            Speech.participant_id, Speech.moved_rank, _STRETCH.started_at, _STRETCH.ended_at)
                  .outerjoin(SpeechStretch.__table__, _STRETCH.speech_id == _SPEECH.id)
                  .where(_SPEECH.list_id == sa.bindparam("list_id"))
                  .order_by(_SPEECH.asked_at, _SPEECH.id, _STRETCH.started_at, _STRETCH.id))


def first_in_queue(floor_list: FloorList) -> int | None:
    """The id of the request the list's policy gives the floor next, or None when nobody waits.

    The same order as :func:`list_state`'s queue, from one query of plain rows (three under the balance
    policy, which also weighs the attendance); the list's pending changes are flushed first.
    """
    now = utcnow()
    speeches: dict[int, Any] = {}
    stretches: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for row in db.session.execute(_ORDERING_ROWS, {"list_id": floor_list.id}):
        speeches.setdefault(row.id, row)
        spoken = stretches.setdefault(row.id, [])
        if row.started_at is not None:
            spoken.append((row.started_at, row.ended_at))
    records = [rules.SpeechRecord(kind=str(row.kind), asked_at=row.asked_at, categories=row.categories,
                                  started_at=stretches[row.id][0][0] if stretches[row.id] else None,
                                  seconds=rules.spoken_seconds(stretches[row.id], now), speaker=row.participant_id,
                                  on_floor=row.state in ON_FLOOR)
               for row in speeches.values()]
    policy = policy_of(floor_list)
    present: dict[str, int] = {}
    if policy.name == "balance":
        cat = catalogue()
        present = _present_here(floor_list, present_counts([floor_list.session_id], cat), cat)
    positions = rules.order_queue([_request(row) for row in speeches.values() if row.state is SpeechState.waiting],
                                  policy, rules.floor_state(records, floor_list.dimension_key, _pair(floor_list),
                                                            present))
    return positions[0].request_id if positions else None


def _record(speech: Speech, now: datetime) -> rules.SpeechRecord:
    return rules.SpeechRecord(kind=str(speech.kind), asked_at=speech.asked_at, categories=speech.categories,
                              started_at=_started_at(speech), seconds=seconds_of(speech, now),
                              speaker=speech.participant_id, on_floor=speech.state in ON_FLOOR)


@dataclass(frozen=True)
class LiveDisplay:
    """What a projector's poll needs to know before anything else: its list, that list's stamp, its labels."""

    list_id: int
    session_id: int
    stamp: int
    hide_labels: bool


_DISPLAY = FloorDisplay.__table__.c
_LIST = FloorList.__table__.c
#: built once, from the tables' own columns: 200 projectors ask it every second, and building the statement
#: and the ORM's compile and result steps would cost more than running it
_LIVE_DISPLAY = (sa.select(_DISPLAY.list_id, _LIST.session_id, _LIST.stamp, _DISPLAY.hide_labels)
                 .join_from(FloorDisplay.__table__, FloorList.__table__, _LIST.id == _DISPLAY.list_id)
                 .where(_DISPLAY.token_hash == sa.bindparam("token_hash"), _DISPLAY.revoked_at.is_(None)))


def live_display(token_hash: str) -> LiveDisplay | None:
    """The unrevoked projector token with this hash, with its list's stamp (one query)."""
    row = db.session.execute(_LIVE_DISPLAY, {"token_hash": token_hash}).first()
    return None if row is None else LiveDisplay(row.list_id, row.session_id, int(row.stamp), bool(row.hide_labels))


def displays(list_id: int) -> list[FloorDisplay]:
    """The list's projector tokens, live ones first (one query)."""
    return list(db.session.scalars(sa.select(FloorDisplay).where(FloorDisplay.list_id == list_id)
                                   .order_by(FloorDisplay.revoked_at.is_not(None), FloorDisplay.id.desc())))


@dataclass(frozen=True)
class PersonLine:
    """A speaker's total, with the name (staff and the session's facilitators read the report)."""

    name: str
    total: rules.PersonTotal


@dataclass(frozen=True)
class SessionFloorReport:
    """The floor of a session over all its lists, against who was in the room."""

    session_id: int
    catalogue: Catalogue
    dimensions: tuple[rules.DimensionFloor, ...]
    people: tuple[PersonLine, ...]
    requests: int
    speeches: int
    seconds: float
    is_chatham_house: bool

    def to_json(self) -> dict[str, Any]:
        """The report as the API gives it (no per-person totals in a Chatham House session)."""
        return {"session_id": self.session_id, "gallagher_unit": "percentage_points",
                "requests": self.requests, "speeches": self.speeches, "seconds": round(self.seconds, 1),
                "dimensions": [dimension.to_json() for dimension in self.dimensions],
                "people": [{"participant_id": line.total.speaker, "name": line.name,
                            "speeches": line.total.speeches, "seconds": round(line.total.seconds, 1)}
                           for line in self.people]}


def shown_dimensions(report: SessionFloorReport, is_staff: bool, k: int) -> list[rules.DimensionFloor]:
    """The dimensions a reader sees: all for staff; for a facilitator those with at least ``k`` counted people
    present (``rules.shown_to_facilitator``)."""
    return [d for d in report.dimensions if is_staff or rules.shown_to_facilitator(d, k)]


def _session_records(session_ids: Sequence[int], now: datetime) -> list[tuple[Speech, rules.SpeechRecord]]:
    speeches = db.session.scalars(
        sa.select(Speech).join(FloorList, FloorList.id == Speech.list_id)
        .where(FloorList.session_id.in_(session_ids))
        .options(subqueryload(Speech.stretches), raiseload("*")))
    return [(speech, _record(speech, now)) for speech in speeches]


def session_report(forum_session: ForumSession) -> SessionFloorReport:
    """The floor report of a session (four queries: catalogue, attendance, speeches with stretches, names)."""
    now = utcnow()
    cat = catalogue()
    pairs = _session_records([forum_session.id], now)
    records = [record for _speech, record in pairs]
    totals = [] if forum_session.is_chatham_house else rules.person_totals(records)
    names = {row.id: row.name for row in db.session.execute(
        sa.select(Participant.id, Participant.name).where(Participant.id.in_([t.speaker for t in totals])))}
    return SessionFloorReport(
        session_id=forum_session.id, catalogue=cat,
        dimensions=rules.floor_report(cat.specs(), present_counts([forum_session.id], cat), records),
        people=tuple(PersonLine(names.get(total.speaker, ""), total) for total in totals),
        requests=len(records), speeches=sum(1 for r in records if r.started_at is not None),
        seconds=sum(r.seconds for r in records), is_chatham_house=forum_session.is_chatham_house)


def forum_floor(forum_id: int, cat: Catalogue) -> tuple[rules.DimensionFloor, ...] | None:
    """The floor over a forum's held sessions against their attendance, summed; None when nobody had the floor.

    Sessions held are those the balance overview counts attendance of (``forums.balance.queries.HELD``).
    """
    session_ids = list(db.session.scalars(
        sa.select(ForumSession.id).where(ForumSession.forum_id == forum_id, HELD,
                                         ForumSession.id.in_(sa.select(FloorList.session_id)))))
    return floor_over(session_ids, cat)


def sessions_with_lists(session_ids: Sequence[int]) -> list[int]:
    """Those of these sessions that had a list of speakers."""
    return list(db.session.scalars(sa.select(FloorList.session_id).distinct()
                                   .where(FloorList.session_id.in_(session_ids)).order_by(FloorList.session_id)))


def floor_over(session_ids: Sequence[int], cat: Catalogue) -> tuple[rules.DimensionFloor, ...] | None:
    """The floor over these sessions against their attendance, summed; None when nobody had the floor."""
    if not session_ids:
        return None
    records = [record for _speech, record in _session_records(session_ids, utcnow())]
    if not any(record.started_at for record in records):
        return None
    return rules.floor_report(cat.specs(), present_counts(session_ids, cat), records)


def budget_of(floor_list: FloorList, category_key: str) -> FloorBudget | None:
    """The list's budget for a category, if it has one."""
    return next((budget for budget in floor_list.budgets if budget.category_key == category_key), None)
