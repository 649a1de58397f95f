"""Pure agenda rules: items lie within their session, overlaps are flagged, agendas run in time order.

The order of an agenda (``ForumSession.agenda``, and so every page, print, calendar and API answer) is:

1. by start time: an item added later at 15:00 sits between the ones at 14:15 and 17:00;
2. items that start at the same moment (parallel tracks, a panel and its introduction) keep the order
   staff gave them, their ``position`` (then their id: the order they were added).

Staff cannot reorder items by hand against their times: "Move up" and "Move down" (and the API's
``position``) only move an item among the items that start at the same moment. To put an item
elsewhere, change its time. Positions are kept numbered 0, 1, 2... in this order after every change,
so an item's ``position`` is its place in the agenda.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Slot:
    """A timed agenda item, identified by ``key`` (its id, or None for one not saved yet)."""

    key: int | None
    starts_at: datetime
    ends_at: datetime


def outside_session(slot: Slot, session_start: datetime, session_end: datetime) -> bool:
    """Whether the item starts before the session or ends after it."""
    return slot.starts_at < session_start or slot.ends_at > session_end


def overlapping_pairs(slots: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Every pair of items whose times overlap (touching end to start is not an overlap)."""
    ordered = sorted(slots, key=lambda slot: (slot.starts_at, slot.ends_at))
    pairs = []
    for index, slot in enumerate(ordered):
        for later in ordered[index + 1:]:
            if later.starts_at >= slot.ends_at:
                break
            pairs.append((slot, later))
    return pairs


def overlapping_keys(slots: Sequence[Slot]) -> set[int | None]:
    """Keys of the items that overlap another one."""
    return {slot.key for pair in overlapping_pairs(slots) for slot in pair}


def agenda_key(starts_at: datetime, position: int, key: int | None) -> tuple[datetime, int, int]:
    """Sort key of an agenda item in agenda order (see the module docstring); unsaved items go last among equals."""
    return (starts_at, position, key if key is not None else 2**63)


def move_target(starts: Sequence[datetime], index: int, target: int) -> int | None:
    """Where the item at ``index`` of an agenda in order (``starts``: each item's start) may go when asked
    to go to place ``target``: ``target`` clamped to the agenda, or None when that place belongs to an
    item that starts at another time (the item would break the time order)."""
    target = min(max(target, 0), len(starts) - 1)
    if any(starts[place] != starts[index] for place in range(min(index, target), max(index, target) + 1)):
        return None
    return target
