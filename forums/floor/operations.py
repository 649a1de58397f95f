"""Changes to lists of speakers: each flushes inside the caller's transaction (the view commits) and audits itself.

Every change first locks the list's row (``FOR UPDATE`` on PostgreSQL; SQLite has one writer) and gives it a
new ``stamp``, so two facilitator phones pressing "next" together give the floor once, and every screen
polling the stamp sees the change. Overrides of the order (start out of turn, move, skip, add) and every
correction are written to the audit log with what changed, never with a name.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from forums import validation
from forums.accounts.tokens import token_digest
from forums.audit import log as audit
from forums.floor import queries
from forums.floor.rules import POLICIES
from forums.registrations.operations import lock_session
from models import (
    FloorBudget,
    FloorDisplay,
    FloorList,
    FloorPolicy,
    ForumSession,
    Speech,
    SpeechKind,
    SpeechState,
    SpeechStretch,
    db,
    utcnow,
)
from models.events import new_stamp
from models.floor import ON_FLOOR

#: the longest speech limit and budget a form or the API accepts, in seconds (a whole day)
MAX_SECONDS = 24 * 3600


class FloorError(Exception):
    """A change that cannot be made; ``code`` says why (``not_found``, ``nobody_waiting``, ``not_on_floor``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def locked_list(list_id: int, session_id: int) -> FloorList:
    """The list of this session, locked for the transaction and with a new stamp; FloorError when not found."""
    floor_list = db.session.scalar(
        sa.select(FloorList).where(FloorList.id == list_id, FloorList.session_id == session_id)
        .with_for_update().execution_options(populate_existing=True))
    if floor_list is None:
        raise FloorError("not_found")
    floor_list.stamp = new_stamp()
    return floor_list


def _about(floor_list: FloorList, what: str) -> str:
    """The detail of an audit entry on a list, recorded as its session's (the audit page names sessions); ``what``
    never holds a name."""
    return f"list {floor_list.id}: {what}"


def open_list(forum_session: ForumSession, agenda_item_id: int | None) -> FloorList:
    """The session's list (or its agenda item's), created if it has none yet.

    Under the session's lock, so two phones opening the same list at once open one.
    """
    lock_session(forum_session.id)
    existing = db.session.scalar(sa.select(FloorList).where(
        FloorList.session_id == forum_session.id,
        FloorList.agenda_item_id.is_(None) if agenda_item_id is None else FloorList.agenda_item_id == agenda_item_id))
    if existing is not None:
        return existing
    floor_list = FloorList(session_id=forum_session.id, agenda_item_id=agenda_item_id)
    db.session.add(floor_list)
    db.session.flush()
    audit.record("floor.list_open", "session", forum_session.id, detail=f"list {floor_list.id}")
    return floor_list


def configure(floor_list: FloorList, *, policy: str, dimension_key: str, alternate: tuple[str, str],
              speech_seconds: int) -> None:
    """Set the list's ordering policy, its dimension, the two alternating categories and the time of a speech.

    Raises ``ValidationFailed`` naming the field at fault; the catalogue decides which keys exist.
    """
    errors: dict[str, str] = {}
    catalogue = queries.catalogue()
    dimension = catalogue.dimension(dimension_key)
    if policy not in POLICIES:
        errors["policy"] = _("Choose one of the policies.")
    if dimension is None:
        errors["dimension"] = _("Choose one of the dimensions.")
    elif policy == "alternate":
        keys = {category.key for category in dimension.categories}
        if alternate[0] not in keys or alternate[1] not in keys or alternate[0] == alternate[1]:
            errors["alternate_first"] = _("Choose two different categories of the dimension to alternate.")
    if not 0 <= speech_seconds <= MAX_SECONDS:
        errors["speech_seconds"] = _("A number of seconds from 0 (no limit) to %(n)d.", n=MAX_SECONDS)
    validation.check(errors)
    floor_list.policy = FloorPolicy(policy)
    floor_list.dimension_key = dimension_key
    floor_list.alternate_first, floor_list.alternate_second = alternate if policy == "alternate" else ("", "")
    floor_list.speech_seconds = speech_seconds
    audit.record("floor.configure", "session", floor_list.session_id,
                 detail=_about(floor_list, f"policy={policy} dimension={dimension_key} speech={speech_seconds}s"))


def _categories(categories: Mapping[str, str]) -> dict[str, str]:
    """Only pairs of the catalogue: a dimension and one of its categories."""
    catalogue = queries.catalogue()
    return {dimension: category for dimension, category in categories.items()
            if catalogue.category(dimension, category) is not None}


def add_request(floor_list: FloorList, *, kind: str, participant_id: int | None = None,
                categories: Mapping[str, str] | None = None, asked_at: datetime | None = None,
                from_paper: bool = False) -> Speech:
    """Put someone on the list: a person present (their categories of now are kept), or categories alone.

    In a Chatham House session the person's categories are kept and their identity is not.
    Raises ``ValidationFailed`` for an unknown kind or a request with neither a person nor a category.
    """
    errors: dict[str, str] = {}
    if kind not in SpeechKind.__members__:
        errors["kind"] = _("Choose what the request is for.")
    kept = queries.participant_categories(participant_id) if participant_id is not None else {}
    kept.update(_categories(categories or {}))
    if not kept:
        errors["participant"] = _("Choose a person present, or at least one category.")
    validation.check(errors)
    chatham = queries.is_chatham_house(floor_list.session_id)
    speech = Speech(floor_list=floor_list, kind=SpeechKind(kind), categories=kept,
                    participant_id=None if chatham else participant_id,
                    asked_at=asked_at or utcnow(), from_paper=from_paper)
    db.session.add(speech)
    db.session.flush()
    audit.record("floor.add", "session", floor_list.session_id,
                 detail=_about(floor_list, f"speech {speech.id} {kind}"))
    return speech


def _speech(floor_list: FloorList, speech_id: int) -> Speech:
    speech = db.session.scalar(sa.select(Speech).where(Speech.id == speech_id, Speech.list_id == floor_list.id))
    if speech is None:
        raise FloorError("not_found")
    return speech


def _on_floor(floor_list: FloorList) -> Speech | None:
    return db.session.scalar(sa.select(Speech).where(Speech.list_id == floor_list.id, Speech.state.in_(ON_FLOOR)))


def _close_running(speech: Speech, now: datetime) -> None:
    db.session.execute(sa.update(SpeechStretch)
                       .where(SpeechStretch.speech_id == speech.id, SpeechStretch.ended_at.is_(None))
                       .values(ended_at=now))


def start(floor_list: FloorList, speech_id: int | None = None) -> Speech:
    """Give the floor: to ``speech_id``, or to the first of the queue; whoever holds it is stopped first.

    A paused speech resumes. Starting anyone but the first of the queue is an override, audited as such.
    """
    current = _on_floor(floor_list)
    if speech_id is None and current is not None and current.state is SpeechState.paused:
        return _start(floor_list, current, current, None)
    first = queries.first_in_queue(floor_list)
    chosen = first if speech_id is None else speech_id
    if chosen is None:
        raise FloorError("nobody_waiting")
    return _start(floor_list, _speech(floor_list, chosen), current, first)


def _start(floor_list: FloorList, speech: Speech, current: Speech | None, first: int | None) -> Speech:
    """Give ``speech`` the floor, ending ``current`` (the speech holding it) if another; ``first`` is the id of
    the first of the queue, to tell an override."""
    if speech.state is SpeechState.speaking:
        return speech
    now = utcnow()
    if current is not None and current.id != speech.id:
        _close_running(current, now)
        current.state = SpeechState.done
    if speech.state is SpeechState.waiting and speech.id != first:
        audit.record("floor.out_of_turn", "session", floor_list.session_id,
                     detail=_about(floor_list, f"speech {speech.id}"))
    speech.state = SpeechState.speaking
    speech.moved_rank = None
    db.session.add(SpeechStretch(speech=speech, started_at=now))
    db.session.flush()
    return speech


def pause(floor_list: FloorList) -> Speech:
    """Stop the clock of the speech holding the floor, keeping the floor for it."""
    speech = _on_floor(floor_list)
    if speech is None or speech.state is not SpeechState.speaking:
        raise FloorError("not_on_floor")
    _close_running(speech, utcnow())
    speech.state = SpeechState.paused
    return speech


def stop(floor_list: FloorList) -> Speech:
    """End the speech holding the floor."""
    speech = _on_floor(floor_list)
    if speech is None:
        raise FloorError("not_on_floor")
    _close_running(speech, utcnow())
    speech.state = SpeechState.done
    return speech


def next_speaker(floor_list: FloorList) -> Speech:
    """End the speech holding the floor, if any, and give it to the first of the queue."""
    current = _on_floor(floor_list)
    if current is not None:
        _close_running(current, utcnow())
        current.state = SpeechState.done
        db.session.flush()  # the queue is ordered with the ended speech counted
    first = queries.first_in_queue(floor_list)
    if first is None:
        raise FloorError("nobody_waiting")
    return _start(floor_list, _speech(floor_list, first), None, first)


def move_to_top(floor_list: FloorList, speech_id: int) -> None:
    """Put a waiting request at the head of the queue, ahead of everything (an override, audited)."""
    speech = _speech(floor_list, speech_id)
    if speech.state is not SpeechState.waiting:
        raise FloorError("not_waiting")
    lowest = db.session.scalar(sa.select(sa.func.min(Speech.moved_rank)).where(Speech.list_id == floor_list.id))
    speech.moved_rank = 0 if lowest is None else lowest - 1
    audit.record("floor.move", "session", floor_list.session_id,
                 detail=_about(floor_list, f"speech {speech.id} to the top"))


def skip(floor_list: FloorList, speech_id: int) -> None:
    """Take a waiting request off the queue; it stays on the record as skipped (an override, audited)."""
    speech = _speech(floor_list, speech_id)
    if speech.state is not SpeechState.waiting:
        raise FloorError("not_waiting")
    speech.state = SpeechState.skipped
    audit.record("floor.skip", "session", floor_list.session_id,
                 detail=_about(floor_list, f"speech {speech.id}"))


def set_budget(floor_list: FloorList, category_key: str, *, initial: int | None = None, added: int = 0) -> FloorBudget:
    """Give a category of the list's dimension a budget (``initial``), or add time to it (``added``, may be < 0)."""
    errors: dict[str, str] = {}
    if queries.catalogue().category(floor_list.dimension_key, category_key) is None:
        errors["category"] = _("Choose a category of the list's dimension.")
    if initial is not None and not 0 <= initial <= MAX_SECONDS:
        errors["initial"] = _("A number of seconds from 0 (no limit) to %(n)d.", n=MAX_SECONDS)
    if not -MAX_SECONDS <= added <= MAX_SECONDS:
        errors["added"] = _("A number of seconds from 0 (no limit) to %(n)d.", n=MAX_SECONDS)
    validation.check(errors)
    budget = db.session.scalar(sa.select(FloorBudget).where(FloorBudget.list_id == floor_list.id,
                                                            FloorBudget.category_key == category_key))
    if budget is None:
        budget = FloorBudget(floor_list=floor_list, category_key=category_key, initial_seconds=initial or 0)
        db.session.add(budget)
    elif initial is not None:
        budget.initial_seconds = initial
    budget.added_seconds = (budget.added_seconds or 0) + added
    db.session.flush()
    audit.record("floor.budget", "session", floor_list.session_id,
                 detail=_about(floor_list, f"budget {budget.id}: initial={budget.initial_seconds}s "
                                           f"added={budget.added_seconds}s"))
    return budget


def correct(floor_list: FloorList, speech_id: int, *, kind: str, categories: Mapping[str, str],
            asked_at: datetime, stretches: list[tuple[datetime, datetime]]) -> list[str]:
    """Correct a speech after the fact: its kind, categories, time of request and stretches of speaking.

    Every stretch must end after it starts; an empty ``stretches`` means the person never got the floor.
    Returns what changed (field names), audited as ``floor.correct``; the report recomputes from the records.
    """
    speech = _speech(floor_list, speech_id)
    errors: dict[str, str] = {}
    if kind not in SpeechKind.__members__:
        errors["kind"] = _("Choose what the request is for.")
    kept = _categories(categories)
    if not kept:
        errors["categories"] = _("Choose a person present, or at least one category.")
    if any(end < begin for begin, end in stretches):
        errors["stretches"] = _("A stretch of speaking must end after it starts.")
    validation.check(errors)
    changed = []
    if speech.kind != kind:
        speech.kind = SpeechKind(kind)
        changed.append("kind")
    if dict(speech.categories) != kept:
        speech.categories = kept
        changed.append("categories")
    if speech.asked_at != asked_at:
        speech.asked_at = asked_at
        changed.append("asked_at")
    old = [(stretch.started_at, stretch.ended_at) for stretch in speech.stretches]
    if old != stretches and speech.state not in ON_FLOOR:
        speech.stretches = [SpeechStretch(started_at=begin, ended_at=end) for begin, end in stretches]
        # with no stretch left the person never had the floor: off the queue (skipped), not back in it
        speech.state = SpeechState.done if stretches else (
            SpeechState.skipped if speech.state is SpeechState.done else speech.state)
        changed.append("times")
    if changed:
        audit.record("floor.correct", "session", floor_list.session_id,
                     detail=_about(floor_list, f"speech {speech.id}: {', '.join(changed)}"))
    return changed


def add_from_paper(floor_list: FloorList, *, kind: str, participant_id: int | None, categories: Mapping[str, str],
                   asked_at: datetime, started_at: datetime | None, ended_at: datetime | None) -> Speech:
    """Type back a line of the printed timing sheet: a request and, when it got the floor, its one stretch."""
    errors: dict[str, str] = {}
    if (started_at is None) != (ended_at is None):
        errors["ended_at"] = _("Give both the start and the end, or neither.")
    elif started_at is not None and ended_at is not None and ended_at < started_at:
        errors["ended_at"] = _("A stretch of speaking must end after it starts.")
    validation.check(errors)
    speech = add_request(floor_list, kind=kind, participant_id=participant_id, categories=categories,
                         asked_at=asked_at, from_paper=True)
    if started_at is not None and ended_at is not None:
        speech.stretches.append(SpeechStretch(started_at=started_at, ended_at=ended_at))
        speech.state = SpeechState.done
    audit.record("floor.paper", "session", floor_list.session_id,
                 detail=_about(floor_list, f"speech {speech.id}"))
    return speech


def create_display(floor_list: FloorList, *, hide_labels: bool) -> str:
    """A new projector token for the list; returned now only, stored as its hash the way API tokens are
    (``forums.accounts.tokens.token_digest``)."""
    token = secrets.token_urlsafe(24)
    display = FloorDisplay(floor_list=floor_list, token_hash=token_digest(token), hide_labels=hide_labels)
    db.session.add(display)
    db.session.flush()
    audit.record("floor.display_create", "session", floor_list.session_id,
                 detail=_about(floor_list, f"display {display.id}"))
    return token


def revoke_display(floor_list: FloorList, display_id: int) -> bool:
    """Revoke one projector token of the list; False when it was already revoked or is not the list's."""
    display = db.session.scalar(sa.select(FloorDisplay).where(FloorDisplay.id == display_id,
                                                              FloorDisplay.list_id == floor_list.id))
    if display is None or display.revoked_at is not None:
        return False
    display.revoked_at = utcnow()
    audit.record("floor.display_revoke", "session", floor_list.session_id,
                 detail=_about(floor_list, f"display {display.id}"))
    return True


def set_chatham_house(forum_session: ForumSession, on: bool) -> int:
    """Mark a session Chatham House (or not). Marking it drops the names its lists kept; returns how many.

    Turning the mark off keeps no name back: what was dropped stays dropped.
    """
    forum_session.is_chatham_house = on
    dropped = 0
    if on:
        dropped = db.session.execute(  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
            sa.update(Speech).where(Speech.participant_id.is_not(None),
                                    Speech.list_id.in_(sa.select(FloorList.id)
                                                       .where(FloorList.session_id == forum_session.id)))
            .values(participant_id=None).execution_options(synchronize_session=False)).rowcount
        db.session.execute(sa.update(FloorList).where(FloorList.session_id == forum_session.id)
                           .values(stamp=new_stamp()).execution_options(synchronize_session=False))
    audit.record("floor.chatham_house", "session", forum_session.id, detail=f"on={on} names dropped={dropped}")
    return dropped


def json_categories(value: Any) -> dict[str, str]:
    """The ``categories`` of an API body as {dimension key: category key}; anything else is empty."""
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if isinstance(key, str) and isinstance(item, str)}
