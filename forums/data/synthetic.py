"""Synthetic data at scale for benchmarks: bulk inserts, not one ORM object at a time."""

import itertools
import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from forums.people.names import search_key
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Model,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    SessionStatus,
    Visibility,
    db,
    utcnow,
)

BATCH = 10_000
SYLLABLES = ["ra", "hi", "mo", "sha", "ri", "po", "ka", "di", "ro", "na", "za", "ro", "ju", "ra", "gu", "li",
             "ҳа", "қо", "ғу", "ҷа", "ми", "ро", "на", "ди"]
STATUS_MIX = ([RegistrationStatus.invited] * 3 + [RegistrationStatus.registered] * 3 +
              [RegistrationStatus.confirmed] * 2 + [RegistrationStatus.attended] * 2 +
              [RegistrationStatus.declined, RegistrationStatus.cancelled, RegistrationStatus.waitlisted])


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _table(model: type[Model]) -> sa.Table:
    """The model's table (declarative classes type ``__table__`` as any FROM clause; these are plain tables)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def _insert(table: sa.Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert the rows (all with the same keys) in bulk, in the session's transaction."""
    if db.engine.dialect.name == "postgresql":
        return _copy(table, rows)
    count = 0
    for batch in _batches(rows):
        db.session.execute(sa.insert(table), batch)
        count += len(batch)
    return count


def _copy(table: sa.Table, rows: Iterator[dict[str, Any]]) -> int:
    """PostgreSQL's COPY, the fastest bulk load; the balance-stamp triggers run once for all of it.

    (psycopg's executemany sends one INSERT per row, so the statement-level triggers would renew a
    session's stamp once per registration; a multi-row INSERT spends its time compiling parameters.)
    """
    first = next(rows, None)
    if first is None:
        return 0
    columns = list(first)
    # The column types' own conversions (enums to their values, times to UTC), as an INSERT would apply.
    processors = [_copy_processor(table.c[name].type) for name in columns]
    count = 0
    names = ", ".join(f'"{name}"' for name in columns)
    driver_connection = db.session.connection().connection.driver_connection
    assert driver_connection is not None  # the session's connection is checked out, so its driver's is there
    with driver_connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([process(row[name]) for name, process in zip(columns, processors, strict=True)])
            count += 1
    return count


def _copy_processor(column_type: sa.types.TypeEngine[Any]) -> Callable[[Any], Any]:
    """What turns a Python value into what COPY takes for a column of this type."""
    if isinstance(column_type, sa.JSON):  # psycopg leaves JSON to its own adapter, which COPY does not call
        return json.dumps
    return column_type.bind_processor(db.engine.dialect) or _unchanged


def _unchanged(value: Any) -> Any:
    return value


def _next_id(model: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def generate(participants: int, sessions: int, registrations_per_session: int, seed: int) -> dict[str, int]:
    """Insert that many people, sessions (with agendas) and registrations; returns row counts."""
    rng = random.Random(seed)
    dimensions = list(db.session.scalars(sa.select(Dimension)))
    categories = {d.id: list(db.session.scalars(sa.select(Category).where(Category.dimension_id == d.id)))
                  for d in dimensions}
    regions = next(categories[d.id] for d in dimensions if d.key == "region")
    now = utcnow()

    forum_ids = []
    for kind in ForumKind:
        forum = Forum(title=f"Synthetic {kind.value} {seed}", kind=kind, description="")
        db.session.add(forum)
        db.session.flush()
        forum_ids.append(forum.id)

    first_participant = _next_id(Participant)

    def people() -> Iterator[dict[str, Any]]:
        for offset in range(participants):
            name = " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize() for _ in range(2))
            yield {"id": first_participant + offset, "name": name, "search_key": search_key(name),
                   "organisation": f"Org {rng.randrange(2000)}", "email": "", "phone": "", "languages": "ru",
                   "consent_at": now, "created_at": now, "updated_at": now, "version": 1}

    def links() -> Iterator[dict[str, Any]]:
        for offset in range(participants):
            for dimension in dimensions:
                category = rng.choice(categories[dimension.id])
                yield {"participant_id": first_participant + offset, "dimension_id": dimension.id,
                       "category_id": category.id}

    counts = {"participants": _insert(_table(Participant), people()),
              "participant_categories": _insert(_table(ParticipantCategory), links())}

    first_session = _next_id(ForumSession)
    start = datetime.now(ZoneInfo("Asia/Dushanbe")).replace(hour=10, minute=0, second=0, microsecond=0)

    def session_rows() -> Iterator[dict[str, Any]]:
        for offset in range(sessions):
            begins = start + timedelta(days=offset % 365, hours=offset % 3)
            yield {"id": first_session + offset, "forum_id": rng.choice(forum_ids), "title": f"Session {offset}",
                   "description": "", "translations": {}, "starts_at": begins, "ends_at": begins + timedelta(hours=3),
                   "venue": "Hall", "region_id": rng.choice(regions).id, "capacity": registrations_per_session,
                   "visibility": rng.choice(list(Visibility)), "status": SessionStatus.published,
                   "sequence": 0, "created_at": now, "updated_at": now, "version": 1}

    counts["sessions"] = _insert(_table(ForumSession), session_rows())

    first_item = _next_id(AgendaItem)
    plan = [("Opening", AgendaKind.opening, 0, 30), ("Discussion", AgendaKind.discussion, 30, 150),
            ("Closing", AgendaKind.closing, 150, 180)]

    def agenda_rows() -> Iterator[dict[str, Any]]:
        for offset in range(sessions):
            begins = start + timedelta(days=offset % 365, hours=offset % 3)
            for position, (title, kind, from_minute, to_minute) in enumerate(plan):
                yield {"id": first_item + offset * len(plan) + position, "session_id": first_session + offset,
                       "position": position, "title": title, "kind": kind, "translations": {},
                       "starts_at": begins + timedelta(minutes=from_minute),
                       "ends_at": begins + timedelta(minutes=to_minute)}

    def speaker_rows() -> Iterator[dict[str, Any]]:
        for offset in range(sessions):
            yield {"agenda_item_id": first_item + offset * len(plan) + 1, "position": 0,
                   "participant_id": first_participant + rng.randrange(participants)}

    counts["agenda_items"] = _insert(_table(AgendaItem), agenda_rows())
    counts["speakers"] = _insert(_table(AgendaSpeaker), speaker_rows())
    per_session = min(registrations_per_session, participants)

    def registration_rows() -> Iterator[dict[str, Any]]:
        for offset in range(sessions):
            for participant_offset in rng.sample(range(participants), per_session):
                status = rng.choice(STATUS_MIX)
                attended = status is RegistrationStatus.attended
                yield {"session_id": first_session + offset, "participant_id": first_participant + participant_offset,
                       "status": status, "created_at": now, "updated_at": now,
                       "status_before_checkin": RegistrationStatus.confirmed if attended else None,
                       "checked_in_at": now if attended else None,
                       "waitlisted_at": now if status is RegistrationStatus.waitlisted else None}

    counts["registrations"] = _insert(_table(Registration), registration_rows())
    if db.engine.dialect.name == "postgresql":
        # Fresh statistics: without them the planner guesses a few rows per session and scans.
        db.session.execute(sa.text("ANALYZE"))
        for model in (Participant, ForumSession, AgendaItem):
            table = _table(model).name
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"))
    return counts
