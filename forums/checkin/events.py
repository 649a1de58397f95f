"""Taking a batch of check-in events from a device, once each (issue 18; the rules are ``forums.checkin.sync``).

``apply_events`` works inside the caller's transaction (the view commits). It takes the session's lock
first, so two devices syncing at once are taken one after the other; an event whose ``(session, client
id)`` is stored already is not applied again, and the answer repeats what was made of it. The
database's unique constraint is the last word: a client id taken meanwhile fails the whole batch, which
the device sends again. Every status change goes through ``forums.registrations.operations`` (audited
there), and every event gets an audit entry of its own (``checkin.event``) with what was made of it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from forums import validation
from forums.audit import log as audit
from forums.checkin import door, scope, sync
from forums.people import operations as people_operations
from forums.registrations import operations
from models import (
    CheckinEvent,
    CheckinEventKind,
    CheckinOutcome,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    ReviewReason,
    SessionStatus,
    db,
    utcnow,
)
from models.registrations import ON_LIST, SEATED

#: events one request may carry: a morning's queue of a busy door
MAX_BATCH = 1000

#: the kinds that check a person in
CHECK_IN_KINDS = frozenset({CheckinEventKind.check_in, CheckinEventKind.paper, CheckinEventKind.walk_in})

#: the device id of a paper sheet typed back
PAPER_DEVICE = "paper"


@dataclass(frozen=True)
class IncomingEvent:
    """One event as a device sent it (checked by the API: ids, lengths, a time with an offset)."""

    client_id: str
    kind: CheckinEventKind
    device_id: str
    device_at: datetime
    #: the registration acted on; None for a walk-in
    registration_id: int | None = None
    #: the new person of a walk-in
    walk_in: people_operations.ParticipantInput | None = None


@dataclass(frozen=True)
class EventResult:
    """What the server made of one event, as the device is told."""

    client_id: str
    outcome: CheckinOutcome
    review: ReviewReason | None
    registration_id: int | None
    #: the registration's status after the event (None when there is none)
    status: RegistrationStatus | None
    #: True when the event had been received before and nothing was done now
    replayed: bool = False
    #: a walk-in the register refused, field -> what is wrong (the event is kept as refused)
    fields: dict[str, str] | None = None


class _Batch:
    """The state a batch reads once and keeps current while its events are applied."""

    def __init__(self, forum_session: ForumSession, registration_ids: set[int]) -> None:
        self.session = forum_session
        self.cancelled = forum_session.status is SessionStatus.cancelled
        self.registrations: dict[int, Registration] = {
            registration.id: registration for registration in db.session.scalars(
                sa.select(Registration)
                .where(Registration.session_id == forum_session.id, Registration.id.in_(registration_ids))
                .execution_options(populate_existing=True))
        } if registration_ids else {}
        self.seated = operations.seated_count(forum_session.id)
        # The check-in event that made each attended person attended: the undo rule compares with it.
        self.made_by: dict[int, sync.CheckInMade] = {}
        if registration_ids:
            rows = db.session.execute(
                sa.select(CheckinEvent.registration_id, CheckinEvent.device_id, CheckinEvent.device_at)
                .where(CheckinEvent.registration_id.in_(registration_ids),
                       CheckinEvent.kind.in_(CHECK_IN_KINDS), CheckinEvent.outcome == CheckinOutcome.applied)
                .order_by(CheckinEvent.id))
            for registration_id, device_id, device_at in rows:
                if registration_id is not None:
                    self.made_by[registration_id] = sync.CheckInMade(device_id, device_at)

    def seat_free(self) -> bool:
        return self.seated < self.session.capacity


def apply_events(forum_session: ForumSession, user_id: int, events: Sequence[IncomingEvent]) -> list[EventResult]:
    """Apply a device's events in order, each once (rules: ``forums.checkin.sync``); one result per event."""
    operations.lock_session(forum_session.id)
    db.session.refresh(forum_session, ["status", "capacity"])
    stored = {event.client_id: event for event in db.session.scalars(
        sa.select(CheckinEvent).where(CheckinEvent.session_id == forum_session.id,
                                      CheckinEvent.client_id.in_({event.client_id for event in events})))}
    batch = _Batch(forum_session, {event.registration_id for event in events if event.registration_id})
    received_at = utcnow()
    results = []
    for event in events:
        previous = stored.get(event.client_id)
        if previous is not None:
            registration = batch.registrations.get(previous.registration_id or 0)
            results.append(EventResult(event.client_id, previous.outcome, previous.review, previous.registration_id,
                                       registration.status if registration else None, replayed=True))
            continue
        if event.kind is not CheckinEventKind.walk_in and event.registration_id not in batch.registrations:
            # Not on this session (or erased since): nothing to keep, and a replay answers the same.
            results.append(EventResult(event.client_id, CheckinOutcome.refused, None, None, None))
            continue
        result, record = _apply(batch, user_id, event, received_at)
        db.session.add(record)
        stored[event.client_id] = record
        audit.record("checkin.event", "registration", record.registration_id,
                     detail=f"{event.kind.value} {result.outcome.value}"
                            + (f" review {result.review.value}" if result.review else "")
                            + f" device {event.device_id}")
        results.append(result)
    db.session.flush()
    return results


def _apply(batch: _Batch, user_id: int, event: IncomingEvent,
           received_at: datetime) -> tuple[EventResult, CheckinEvent]:
    """Decide and apply one new event; the event row to store and the device's answer."""
    fields = None
    if event.kind is CheckinEventKind.walk_in:
        registration, decision, fields = _walk_in(batch, event, received_at)
    else:
        registration = batch.registrations[event.registration_id or 0]
        if event.kind is CheckinEventKind.undo:
            decision = _undo(batch, registration, event)
        else:
            decision = _check_in(batch, registration, event, received_at)
    record = CheckinEvent(
        session_id=batch.session.id, client_id=event.client_id, kind=event.kind,
        registration_id=registration.id if registration else None, user_id=user_id, device_id=event.device_id,
        device_at=event.device_at, received_at=received_at, outcome=CheckinOutcome(decision.outcome),
        review=ReviewReason(decision.review) if decision.review else None,
    )
    result = EventResult(event.client_id, record.outcome, record.review, record.registration_id,
                         registration.status if registration else None, fields=fields)
    return result, record


def _check_in(batch: _Batch, registration: Registration, event: IncomingEvent, received_at: datetime) -> sync.Decision:
    """Rules 1 and 2: a check-in is recorded whatever the status or the seats, once."""
    decision = sync.decide_check_in(
        cancelled=batch.cancelled, attended=registration.status is RegistrationStatus.attended,
        expected=registration.status in ON_LIST, holds_seat=registration.status in SEATED,
        seat_free=batch.seat_free())
    if decision.outcome == "applied":
        if registration.status not in SEATED:
            batch.seated += 1
        operations.mark_attended(registration, via="sync" if event.kind is CheckinEventKind.check_in else "paper",
                                 at=sync.attendance_time(event.device_at, received_at))
        batch.made_by[registration.id] = sync.CheckInMade(event.device_id, event.device_at)
    return decision


def _undo(batch: _Batch, registration: Registration, event: IncomingEvent) -> sync.Decision:
    """Rule 3: an undo wins only from the device that made the check-in, and later by its clock."""
    decision = sync.decide_undo(
        cancelled=batch.cancelled, attended=registration.status is RegistrationStatus.attended,
        device_id=event.device_id, device_at=event.device_at, made_by=batch.made_by.get(registration.id))
    if decision.outcome == "applied":
        operations.unmark_attended(registration)
        if registration.status not in SEATED:
            batch.seated = operations.seated_count(batch.session.id)
        batch.made_by.pop(registration.id, None)
    return decision


def _walk_in(batch: _Batch, event: IncomingEvent,
             received_at: datetime) -> tuple[Registration | None, sync.Decision, dict[str, str] | None]:
    """Rule 4: a new, provisional person, checked in; flagged when the duplicate finder sees someone alike."""
    assert event.walk_in is not None  # the API refuses a walk-in event without its person
    if batch.cancelled:
        return None, sync.Decision("refused", "session_cancelled"), None
    seat_free = batch.seat_free()
    try:
        participant = people_operations.create_participant(event.walk_in)
    except validation.ValidationFailed as failed:
        return None, sync.Decision("refused"), failed.fields
    registration = operations.register(batch.session, participant, RegistrationStatus.registered, via="walk-in")
    decision = sync.decide_check_in(cancelled=False, attended=False, expected=True, holds_seat=False,
                                    seat_free=seat_free)
    batch.seated += 1
    operations.mark_attended(registration, via="walk-in", at=sync.attendance_time(event.device_at, received_at))
    batch.registrations[registration.id] = registration
    batch.made_by[registration.id] = sync.CheckInMade(event.device_id, event.device_at)
    alike = [hint.participant_id for hint in door.duplicate_hints(batch.session.id, participant.name)
             if hint.participant_id != participant.id]
    if alike:
        scope.flag_possible_duplicate(participant, alike[0])
        if decision.review is None:
            decision = sync.Decision(decision.outcome, "possible_duplicate")
    return registration, decision, None


def paper_events(registration_ids: Sequence[int], device_at: datetime) -> list[IncomingEvent]:
    """The lines of a signed sheet typed back, as events of the same stream (each a new client id)."""
    return [IncomingEvent(client_id=f"paper-{new_client_id()}", kind=CheckinEventKind.paper, device_id=PAPER_DEVICE,
                          device_at=device_at, registration_id=registration_id)
            for registration_id in registration_ids]


def new_client_id() -> str:
    """A random client id, for events the server makes itself (paper sheets)."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class ReviewLine:
    """An event staff should look at, with the person's name (staff only)."""

    event: CheckinEvent
    name: str
    status: RegistrationStatus | None


def open_reviews(session_id: int) -> list[ReviewLine]:
    """The session's events flagged for staff and not yet settled, oldest first: one query."""
    rows = db.session.execute(
        sa.select(CheckinEvent, Participant.name, Registration.status)
        .outerjoin(Registration, Registration.id == CheckinEvent.registration_id)
        .outerjoin(Participant, Participant.id == Registration.participant_id)
        .where(CheckinEvent.session_id == session_id, CheckinEvent.review.is_not(None),
               CheckinEvent.resolved_at.is_(None))
        .order_by(CheckinEvent.id))
    return [ReviewLine(event, name or "", status) for event, name, status in rows]


def settle(session_id: int, event_id: int, *, apply_undo: bool) -> CheckinEvent | None:
    """Staff settle a flagged event; for an undo on the reconciliation list, ``apply_undo`` undoes the check-in.

    None when the session has no such open event. Audited as ``checkin.review``.
    """
    operations.lock_session(session_id)
    event = db.session.scalar(sa.select(CheckinEvent).where(
        CheckinEvent.id == event_id, CheckinEvent.session_id == session_id, CheckinEvent.review.is_not(None),
        CheckinEvent.resolved_at.is_(None)))
    if event is None:
        return None
    undone = apply_undo and event.outcome is CheckinOutcome.reconcile and event.registration_id is not None
    if undone:
        registration = db.session.get(Registration, event.registration_id, populate_existing=True)
        assert registration is not None
        operations.unmark_attended(registration)
    event.resolved_at = utcnow()
    audit.record("checkin.review", "registration", event.registration_id,
                 detail=f"event {event.id} {'undo applied' if undone else 'kept'}")
    return event
