"""The conflict rules of check-in events that reach the server late (issue 18; docs/CHECKIN.md).

A device records each check-in, undo and walk-in as an event with its own time and applies it on the
page at once; the server decides, event by event in the order received, what it makes of it:

1. **Attendance is a fact.** A check-in is always recorded and always applied, even past the
   session's capacity or for someone who declined (or was cancelled) meanwhile; those two are
   flagged for staff to review (``past_capacity``, ``not_expected``). Only a cancelled session takes
   no attendance: the event is kept, ``refused``, and flagged (``session_cancelled``).
2. **Once per person.** A check-in of someone already attended (another device, a paper sheet, the
   page) changes nothing and is kept in the log as ``counted_once``.
3. **An undo wins only when it is sure.** An undo is applied only when it came from the device whose
   check-in made the person attended and is later than that check-in by that device's clock. Any other
   undo of someone attended (another device, an earlier time, a check-in made without an event) is
   kept as ``reconcile`` on the staff reconciliation list (``undo_conflict``); attendance stays. An
   undo of someone not attended is ``no_change``.
4. **Walk-ins are provisional.** An offline walk-in becomes a new person in the register, checked in
   under rule 1; when the duplicate finder sees someone with a similar name, the new person is flagged
   for staff (``possible_duplicate``) and never merged automatically.
5. **Times.** The device's time is kept as it was sent; the attendance time is the device's time, but
   never later than the time the server received it (a device clock running fast cannot put an
   arrival in the future).

The words of the outcomes and reasons are the values of ``models.checkin.CheckinOutcome`` and
``ReviewReason`` (tests/checkin/test_sync_rules.py keeps them equal). Pure: no Flask, SQLAlchemy or
models import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Outcome = Literal["applied", "counted_once", "no_change", "reconcile", "refused"]
Review = Literal["past_capacity", "not_expected", "possible_duplicate", "undo_conflict", "session_cancelled"]


@dataclass(frozen=True)
class Decision:
    """What the server makes of one event, and why staff should look at it (None: no need)."""

    outcome: Outcome
    review: Review | None = None


@dataclass(frozen=True)
class CheckInMade:
    """The check-in event that made a person attended: which device, at what time by its clock."""

    device_id: str
    device_at: datetime


def decide_check_in(*, cancelled: bool, attended: bool, expected: bool, holds_seat: bool,
                    seat_free: bool) -> Decision:
    """A check-in (from a device, a paper sheet or a walk-in), by rules 1 and 2.

    ``expected``: the person is on the session's list (not declined or cancelled); ``holds_seat``: their
    registration already holds a seat; ``seat_free``: the session has a seat left for them.
    """
    if cancelled:
        return Decision("refused", "session_cancelled")
    if attended:
        return Decision("counted_once")
    if not expected:
        return Decision("applied", "not_expected")
    if not holds_seat and not seat_free:
        return Decision("applied", "past_capacity")
    return Decision("applied")


def decide_undo(*, cancelled: bool, attended: bool, device_id: str, device_at: datetime,
                made_by: CheckInMade | None) -> Decision:
    """An undo from ``device_id`` at ``device_at`` (its clock), by rule 3.

    ``made_by`` is the check-in event that made the person attended; None when their attendance came
    from somewhere that records no device (the page without JavaScript, staff).
    """
    if cancelled:
        return Decision("refused", "session_cancelled")
    if not attended:
        return Decision("no_change")
    if made_by is None or made_by.device_id != device_id or device_at <= made_by.device_at:
        return Decision("reconcile", "undo_conflict")
    return Decision("applied")


def attendance_time(device_at: datetime, received_at: datetime) -> datetime:
    """When the person arrived: the device's time, never later than the server received it (rule 5)."""
    return min(device_at, received_at)


def may_hold_offline(starts_on: date, ends_on: date, today: date) -> bool:
    """Whether a device may keep a session's list offline today: only on the session's own day(s).

    Days are wall-clock days where the session is held; the device wipes the list when the session ends.
    """
    return starts_on <= today <= ends_on
