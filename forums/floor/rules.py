"""The list of speakers: who speaks next and why, speaking-time budgets, and the floor balance report.

Pure computation (no Flask, no SQLAlchemy, no models): the web layer reads the records (requests for
the floor, stretches of speaking, attendance per category) and hands them in as the dataclasses
below. Everything a page shows about the floor is derived here from those records, never kept as a
counter, so a corrected record corrects every total.

**Ordering** (:func:`order_queue`). The waiting requests are ordered in three tiers:

1. Requests the facilitator moved, by the order they were moved to (reason ``moved``).
2. Points of order, then interposed questions, each first come first served (reasons ``point_of_order``,
   ``interposed_question``): procedure comes before substance.
3. Everything else by the list's policy:

   - ``first_come``: by the time of the request (``asked_first``).
   - ``first_time``: people who have not spoken on this list yet first (``first_time``), then those who
     have (``spoke_before``); a request whose speaker is not recorded (a Chatham House session keeps no
     names) cannot be told apart and is ordered with those who spoke before (``speaker_unknown``).
   - ``balance``: on the chosen dimension, the next speaker comes from the category furthest below its
     share of the room, measured as attendance share minus share of the time spoken so far (both among
     categories that count toward balance); ties go to the earlier request. After each pick the category
     is credited with one expected speech (the list's mean speech so far, else ``EXPECTED_SPEECH_SECONDS``)
     so that the rest of the queue is ordered as the floor would evolve. Requests with no counting
     category in that dimension have a gap of 0: they come once every waiting category has its share
     (``not_counted``).
   - ``alternate``: two named categories of the chosen dimension take turns in the places they hold
     together in first-come order, starting with the one that did not speak last; when one has nobody
     waiting the other keeps the place (``alternation_none_waiting``). Everyone else keeps their
     first-come place (``asked_first``), so strict alternation of the two camps never pushes the rest
     of the room to the end.

**Budgets** (:func:`budget_lines`): per category of the list's dimension, ``initial + added - used``,
``used`` summed from the stretches of speeches made in that category. A speech or a budget past its time
is shown as over; nothing is ever cut.

**Report** (:func:`floor_report`): per dimension and category, people present and their share of the
counted room, requests, speeches given the floor, seconds spoken and their share of the counted time,
mean wait (request to first start) of the speeches that got the floor, and categories present that never
spoke. The Gallagher index of the floor is ``sqrt(0.5 * sum((100*time_share - 100*attendance_share)^2))``
over the counting categories, in **percentage points** (as ``forums.balance.rules.gallagher_index``, which
computes it); None when nobody counted was present or no counted time was spoken.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from forums.balance.rules import DimensionSpec, gallagher_index

#: the ordering policies a list can follow
POLICIES = ("first_come", "first_time", "balance", "alternate")
#: kinds of request that go ahead of the queue, in this order
PRIORITY_KINDS = ("point_of_order", "interposed_question")
#: every kind of request for the floor
KINDS = ("contribution", "pro", "contra", "reply", *PRIORITY_KINDS)
#: the length assumed for a speech not yet made, when the list has no speech to take the mean of
EXPECTED_SPEECH_SECONDS = 120

#: why a request holds its place (``Position.reason``); the web layer words each one
REASONS = ("moved", "point_of_order", "interposed_question", "asked_first", "first_time", "spoke_before",
           "speaker_unknown", "furthest_below_share", "not_counted", "alternation", "alternation_none_waiting")


@dataclass(frozen=True)
class Request:
    """A request for the floor waiting to be given it."""

    id: int
    kind: str
    asked_at: datetime
    #: the speaker's category key per dimension key, as they were when they asked
    categories: Mapping[str, str]
    #: who asked; None when the session keeps no names (Chatham House)
    speaker: int | None = None
    #: the place the facilitator moved the request to (smaller first); None when not moved
    moved_rank: int | None = None


@dataclass(frozen=True)
class Policy:
    """How a list orders the requests of tier 3 (see the module docstring)."""

    name: str = "first_come"
    #: the dimension ``balance`` and ``alternate`` look at
    dimension: str = "group"
    #: the two categories ``alternate`` takes turns between
    alternate: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.name not in POLICIES:
            raise ValueError(f"unknown policy {self.name!r}")
        if self.name == "alternate" and (self.alternate is None or self.alternate[0] == self.alternate[1]):
            raise ValueError("alternation needs two different categories")


@dataclass(frozen=True)
class FloorState:
    """What the floor looks like before the queue: who spoke, how long each category spoke, who is present."""

    #: seconds spoken so far per category key of the policy's dimension
    spoken: Mapping[str, float] = field(default_factory=dict)
    #: people present per category key of the policy's dimension, counting categories only
    present: Mapping[str, int] = field(default_factory=dict)
    #: speakers who have had the floor on this list
    heard: frozenset[int] = frozenset()
    #: the category (of the policy's dimension) of the latest speech given the floor, if any
    last_category: str | None = None
    #: the mean length of the speeches made so far; None when none was made
    mean_speech_seconds: float | None = None


@dataclass(frozen=True)
class Position:
    """One place in the queue and why the request holds it."""

    request_id: int
    reason: str
    #: the category the reason speaks of (``furthest_below_share``, ``alternation``…), else None
    category: str | None = None


def order_queue(requests: Sequence[Request], policy: Policy, state: FloorState) -> list[Position]:
    """The waiting requests in speaking order, each with its reason (rules in the module docstring)."""
    moved = sorted((r for r in requests if r.moved_rank is not None), key=lambda r: (r.moved_rank, r.asked_at, r.id))
    rest = [r for r in requests if r.moved_rank is None]
    positions = [Position(r.id, "moved") for r in moved]
    for kind in PRIORITY_KINDS:
        positions += [Position(r.id, kind) for r in _first_come(r for r in rest if r.kind == kind)]
    ordinary = _first_come(r for r in rest if r.kind not in PRIORITY_KINDS)
    if policy.name == "first_time":
        positions += _first_time(ordinary, state)
    elif policy.name == "balance":
        positions += _balanced(ordinary, policy.dimension, state)
    elif policy.name == "alternate":
        assert policy.alternate is not None
        positions += _alternating(ordinary, policy.dimension, policy.alternate, state.last_category)
    else:
        positions += [Position(r.id, "asked_first") for r in ordinary]
    return positions


def _first_come(requests: Iterable[Request]) -> list[Request]:
    return sorted(requests, key=lambda r: (r.asked_at, r.id))


def _first_time(ordinary: list[Request], state: FloorState) -> list[Position]:
    new = [Position(r.id, "first_time") for r in ordinary if r.speaker is not None and r.speaker not in state.heard]
    new_ids = {position.request_id for position in new}
    again = [Position(r.id, "spoke_before" if r.speaker is not None else "speaker_unknown")
             for r in ordinary if r.id not in new_ids]
    return new + again


def _balanced(ordinary: list[Request], dimension: str, state: FloorState) -> list[Position]:
    present_total = sum(state.present.values())
    spoken = {key: Fraction(seconds).limit_denominator(1000) for key, seconds in state.spoken.items()
              if key in state.present}
    expected = Fraction(state.mean_speech_seconds or EXPECTED_SPEECH_SECONDS).limit_denominator(1000)
    remaining = list(ordinary)
    positions = []
    while remaining:
        gaps = {id(r): _gap(r.categories.get(dimension), state.present, present_total, spoken) for r in remaining}
        # the earliest request of the category furthest below its share (remaining is in first-come order)
        chosen = max(remaining, key=lambda r: (gaps[id(r)], -remaining.index(r)))
        key = chosen.categories.get(dimension)
        if key is not None and key in state.present and present_total:
            positions.append(Position(chosen.id, "furthest_below_share", key))
            spoken[key] = spoken.get(key, Fraction(0)) + expected
        else:
            positions.append(Position(chosen.id, "not_counted"))
        remaining.remove(chosen)
    return positions


def _gap(key: str | None, present: Mapping[str, int], present_total: int, spoken: Mapping[str, Fraction]) -> Fraction:
    """Attendance share minus share of the time spoken; 0 for a category not counted in the room."""
    if key is None or key not in present or not present_total:
        return Fraction(0)
    spoken_total = sum(spoken.values())
    time_share = spoken.get(key, Fraction(0)) / spoken_total if spoken_total else Fraction(0)
    return Fraction(present[key], present_total) - time_share


def _alternating(ordinary: list[Request], dimension: str, pair: tuple[str, str],
                 last: str | None) -> list[Position]:
    queues = {key: [r for r in ordinary if r.categories.get(dimension) == key] for key in pair}
    turn = pair[1] if last == pair[0] else pair[0]
    positions = []
    for request in ordinary:
        if request.categories.get(dimension) not in pair:
            positions.append(Position(request.id, "asked_first"))
            continue
        # this place belongs to the two categories: it goes to the one whose turn it is, if anyone of it waits
        if queues[turn]:
            positions.append(Position(queues[turn].pop(0).id, "alternation", turn))
            turn = pair[0] if turn == pair[1] else pair[1]
        else:
            other = pair[0] if turn == pair[1] else pair[1]
            positions.append(Position(queues[other].pop(0).id, "alternation_none_waiting", turn))
    return positions


def spoken_seconds(stretches: Iterable[tuple[datetime, datetime | None]], now: datetime) -> float:
    """Seconds spoken in ``stretches`` (start, end); a stretch still running counts up to ``now``."""
    return sum(max(0.0, ((end or now) - start).total_seconds()) for start, end in stretches)


def is_over(seconds: float, limit_seconds: int | None) -> bool:
    """Whether a speech is past its time: shown, never cut. No limit (None or 0) is never over."""
    return bool(limit_seconds) and seconds > (limit_seconds or 0)


@dataclass(frozen=True)
class Budget:
    """The time a category of the list's dimension was given: at first and added since, in seconds."""

    category: str
    initial: int
    added: int = 0


@dataclass(frozen=True)
class BudgetLine:
    """A budget with what was used of it."""

    category: str
    initial: int
    added: int
    used: float

    @property
    def left(self) -> float:
        """Seconds left; negative once the category spoke past its budget."""
        return self.initial + self.added - self.used

    @property
    def over(self) -> bool:
        """Whether the category spoke past its budget (shown, never cut)."""
        return self.left < 0


def budget_lines(budgets: Sequence[Budget], used: Mapping[str, float]) -> list[BudgetLine]:
    """Each budget with the seconds its category spoke (``used``, derived from the records)."""
    return [BudgetLine(b.category, b.initial, b.added, used.get(b.category, 0.0)) for b in budgets]


@dataclass(frozen=True)
class SpeechRecord:
    """A request for the floor as the report reads it."""

    kind: str
    asked_at: datetime
    #: the speaker's category key per dimension key at the time of the request
    categories: Mapping[str, str]
    #: when the speaker first got the floor; None when they never did (still waiting, skipped)
    started_at: datetime | None
    seconds: float
    #: who spoke; None when not recorded (Chatham House)
    speaker: int | None = None
    #: whether the speech holds the floor now (speaking or paused): its length is not final
    on_floor: bool = False


def floor_state(records: Iterable[SpeechRecord], dimension: str, pair: tuple[str, str],
                present: Mapping[str, int]) -> FloorState:
    """The floor before the queue, from a list's records: seconds spoken per category of ``dimension``, who was
    heard, the category of ``pair`` that spoke last, and the mean length of the speeches ended so far."""
    given = sorted((record for record in records if record.started_at is not None),
                   key=lambda record: record.started_at or record.asked_at)
    spoken: dict[str, float] = {}
    for record in given:
        key = record.categories.get(dimension)
        if key is not None:
            spoken[key] = spoken.get(key, 0.0) + record.seconds
    last = next((record.categories.get(dimension) for record in reversed(given)
                 if record.categories.get(dimension) in pair), None)
    done = [record.seconds for record in given if not record.on_floor]
    return FloorState(spoken=spoken, present=present,
                      heard=frozenset(record.speaker for record in given if record.speaker is not None),
                      last_category=last, mean_speech_seconds=sum(done) / len(done) if done else None)


@dataclass(frozen=True)
class CategoryFloor:
    """One category's line of the floor report."""

    key: str
    counts_toward_balance: bool
    present: int
    #: share of the counted people present (0 for a category that does not count)
    attendance_share: float
    requests: int
    speeches: int
    seconds: float
    #: share of the counted time spoken (0 for a category that does not count)
    time_share: float
    #: mean seconds from request to first start, of the speeches that got the floor; None when none did
    mean_wait: float | None

    @property
    def never_spoke(self) -> bool:
        """Present but not heard: people of this counting category were in the room and none spoke."""
        return self.counts_toward_balance and self.present > 0 and self.seconds == 0

    def to_json(self) -> dict[str, Any]:
        """The category as the API gives it (shares to 4 decimals, seconds to 1)."""
        return {"key": self.key, "counts_toward_balance": self.counts_toward_balance, "present": self.present,
                "attendance_share": round(self.attendance_share, 4), "requests": self.requests,
                "speeches": self.speeches, "seconds": round(self.seconds, 1),
                "time_share": round(self.time_share, 4),
                "mean_wait_seconds": None if self.mean_wait is None else round(self.mean_wait, 1),
                "never_spoke": self.never_spoke}


@dataclass(frozen=True)
class DimensionFloor:
    """One dimension of the floor report."""

    key: str
    #: counted people present (categories that count toward balance)
    counted_present: int
    #: counted seconds spoken
    counted_seconds: float
    #: in percentage points; None when nobody counted was present or nothing counted was spoken
    gallagher: float | None
    categories: tuple[CategoryFloor, ...]

    @property
    def never_spoke(self) -> tuple[str, ...]:
        """Keys of the counting categories present that never spoke."""
        return tuple(category.key for category in self.categories if category.never_spoke)

    def to_json(self) -> dict[str, Any]:
        """The dimension as the API gives it (the index to 2 decimals)."""
        return {"key": self.key, "counted_present": self.counted_present,
                "counted_seconds": round(self.counted_seconds, 1),
                "gallagher": None if self.gallagher is None else round(self.gallagher, 2),
                "never_spoke": list(self.never_spoke),
                "categories": [category.to_json() for category in self.categories]}


@dataclass(frozen=True)
class PersonTotal:
    """One speaker's total on the floor."""

    speaker: int
    speeches: int
    seconds: float


def floor_report(dimensions: Sequence[DimensionSpec], present: Mapping[tuple[str, str], int],
                 records: Sequence[SpeechRecord]) -> tuple[DimensionFloor, ...]:
    """The floor balance per dimension against the room (rules in the module docstring).

    ``present`` maps (dimension key, category key) to the people present in it; missing pairs are 0.
    """
    return tuple(_dimension_floor(dimension, present, records) for dimension in dimensions)


def _dimension_floor(dimension: DimensionSpec, present: Mapping[tuple[str, str], int],
                     records: Sequence[SpeechRecord]) -> DimensionFloor:
    requests: dict[str, int] = defaultdict(int)
    speeches: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    waits: dict[str, list[float]] = defaultdict(list)
    for record in records:
        key = record.categories.get(dimension.key)
        if key is None:
            continue
        requests[key] += 1
        seconds[key] += record.seconds
        if record.started_at is not None:
            speeches[key] += 1
            waits[key].append(max(0.0, (record.started_at - record.asked_at).total_seconds()))
    counting = {category.key for category in dimension.categories if category.counts_toward_balance}
    counted_present = sum(present.get((dimension.key, key), 0) for key in counting)
    counted_seconds = sum(seconds[key] for key in counting)
    lines = []
    for category in dimension.categories:
        here = present.get((dimension.key, category.key), 0)
        counts = category.key in counting
        lines.append(CategoryFloor(
            key=category.key, counts_toward_balance=counts, present=here,
            attendance_share=here / counted_present if counts and counted_present else 0.0,
            requests=requests[category.key], speeches=speeches[category.key], seconds=seconds[category.key],
            time_share=seconds[category.key] / counted_seconds if counts and counted_seconds else 0.0,
            mean_wait=sum(waits[category.key]) / len(waits[category.key]) if waits[category.key] else None,
        ))
    gallagher = None
    if counted_present and counted_seconds:
        gallagher = gallagher_index([(line.time_share, line.attendance_share) for line in lines
                                     if line.counts_toward_balance])
    return DimensionFloor(dimension.key, counted_present, counted_seconds, gallagher, tuple(lines))


def shown_to_facilitator(dimension: DimensionFloor, k: int) -> bool:
    """Whether a facilitator's report shows a dimension: only when at least ``k`` counted people were present.

    The small-count rule of the live balance (``forums.balance.coarse``, SECURITY.md T23): per-category
    figures of a handful of people present are their categories.
    """
    return dimension.counted_present >= k


def person_totals(records: Iterable[SpeechRecord]) -> list[PersonTotal]:
    """Speeches given the floor and seconds spoken per recorded speaker, the longest first."""
    speeches: dict[int, int] = defaultdict(int)
    seconds: dict[int, float] = defaultdict(float)
    for record in records:
        if record.speaker is None or record.started_at is None:
            continue
        speeches[record.speaker] += 1
        seconds[record.speaker] += record.seconds
    return sorted((PersonTotal(speaker, speeches[speaker], seconds[speaker]) for speaker in speeches),
                  key=lambda total: (-total.seconds, total.speaker))


def clock_text(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a duration, rounded down to the second; negative durations as ``-m:ss``."""
    sign = "-" if seconds < 0 else ""
    whole = int(math.floor(abs(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"
