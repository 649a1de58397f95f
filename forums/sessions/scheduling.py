"""Pure agenda rules: items must lie within their session; overlapping items are flagged."""

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
