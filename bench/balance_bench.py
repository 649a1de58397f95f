"""Time a session's balance report against the bare aggregate query it is built on.

Builds a database with one session of 5,000 registrations (bulk inserts; every participant has a
group, a region and a gender, statuses spread over the stages), then, in one process on the same
database, times ``forums.balance.queries.session_balance`` (catalogue, policy, GROUP BY, total and
the pure computation with suggestions) against the single GROUP BY over registration ⨝
participant_category that any report needs at least. Prints the median of ``--runs`` runs of each
and their ratio, on SQLite (a temporary file) and, when ``DATABASE_URL`` is set, on PostgreSQL too.

``DATABASE_URL`` must name a throwaway database: its ``public`` schema is dropped and rebuilt.

    python bench/balance_bench.py --registrations 5000 --runs 41
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench python bench/balance_bench.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402  (the path above makes the project importable)
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from forums import policies  # noqa: E402
from forums.balance import queries as balance_queries
from forums.balance.rules import Quota, compute_balance  # noqa: E402
from forums.people.seed import seed_dimensions  # noqa: E402
from models import (  # noqa: E402
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    db,
    utcnow,
)
from models.registrations import STAGE_STATUSES  # noqa: E402

#: status of a registration and how often it occurs
STATUS_WEIGHTS = {"invited": 2, "registered": 3, "confirmed": 3, "attended": 4, "declined": 1, "cancelled": 1}
STAGE = "registered"
BATCH = 1000


def build(database_uri: str, registrations: int, seed: int) -> tuple[object, int]:
    """A migrated, seeded database with one session of ``registrations`` registrations; (app, session id)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench" * 8, "SQLALCHEMY_DATABASE_URI": database_uri})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        seed_dimensions()
        forum = Forum(title="Bench forum", kind=ForumKind.round_table)
        dushanbe = db.session.scalars(sa.select(Category).where(Category.key == "dushanbe")).one()
        start = utcnow()
        forum_session = ForumSession(forum=forum, title="Bench session", starts_at=start,
                                     ends_at=start.replace(year=start.year + 1), region=dushanbe,
                                     capacity=registrations)
        db.session.add(forum_session)
        db.session.flush()
        _policy(forum_session)
        _bulk_people(forum_session.id, registrations, _categories_by_dimension(), random.Random(seed))
        db.session.commit()
        # Statistics as autovacuum (PostgreSQL) or a routine ANALYZE (SQLite) would leave them.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        session_id = forum_session.id
    return app, session_id


def _categories_by_dimension() -> dict[int, list[int]]:
    rows = db.session.execute(sa.select(Category.dimension_id, Category.id).join(Dimension).order_by(Category.id))
    by_dimension: dict[int, list[int]] = {}
    for dimension_id, category_id in rows:
        by_dimension.setdefault(dimension_id, []).append(category_id)
    return by_dimension


def _policy(forum_session: ForumSession) -> None:
    """A round-table policy: every group present, nobody above 30%, gender near parity."""
    catalogue = policies.load_catalogue()
    group = catalogue.dimension("group")
    assert group is not None
    quotas = [Quota("group", c.key, min_count=5, max_share=0.3, target_share=0.1)
              for c in group.categories if c.counts_toward_balance]
    quotas += [Quota("gender", key, min_share=0.4, target_share=0.5) for key in ("woman", "man")]
    assert policies.save_policy(forum_session, quotas, catalogue) == []


def _bulk_people(session_id: int, count: int, categories: dict[int, list[int]], rng: random.Random) -> None:
    """Insert people, their categories and registrations with executemany, a batch at a time."""
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    now = utcnow()
    first_id = (db.session.scalar(sa.select(sa.func.max(Participant.id))) or 0) + 1
    for batch_start in range(0, count, BATCH):
        ids = range(first_id + batch_start, first_id + min(batch_start + BATCH, count))
        db.session.execute(sa.insert(Participant), [
            {"id": pid, "name": f"Person {pid}", "search_key": f"person {pid}", "created_at": now,
             "updated_at": now, "version": 1} for pid in ids])
        db.session.execute(sa.insert(ParticipantCategory), [
            {"participant_id": pid, "dimension_id": dimension_id, "category_id": rng.choice(category_ids)}
            for pid in ids for dimension_id, category_ids in categories.items()])
        db.session.execute(sa.insert(Registration), [
            {"session_id": session_id, "participant_id": pid, "status": rng.choices(statuses, weights)[0],
             "created_at": now, "updated_at": now} for pid in ids])


def bare_aggregate(session_id: int) -> list[tuple[int, int]]:
    """The least any report needs: people per category at the stage, one GROUP BY."""
    return db.session.execute(
        sa.select(ParticipantCategory.category_id, sa.func.count())
        .select_from(Registration)
        .join(ParticipantCategory, ParticipantCategory.participant_id == Registration.participant_id)
        .where(Registration.session_id == session_id, Registration.status.in_(sorted(STAGE_STATUSES[STAGE])))
        .group_by(ParticipantCategory.category_id)
    ).all()


def interleaved_medians(first: Callable[[], object], second: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall times of ``runs`` calls of each, alternating so both see the same machine load."""
    timings: tuple[list[float], list[float]] = ([], [])
    for action in (first, second):
        action()  # warm-up: statement caches, page cache
    for _ in range(runs):
        for action, times in zip((first, second), timings, strict=True):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
            db.session.rollback()  # each run starts its own transaction, as a request would
    return statistics.median(timings[0]), statistics.median(timings[1])


def measure(label: str, database_uri: str, registrations: int, runs: int, seed: int) -> None:
    """Build one database and print both timings and their ratio."""
    started = time.perf_counter()
    app, session_id = build(database_uri, registrations, seed)
    built = time.perf_counter() - started
    with app.app_context():  # type: ignore[attr-defined]
        report = balance_queries.session_balance(session_id, STAGE)
        statements: list[str] = []

        def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        balance_queries.session_balance(session_id, STAGE)
        sa.event.remove(db.engine, "before_cursor_execute", record)
        queries = sum(1 for s in statements if not s.lstrip().upper().startswith(("BEGIN", "PRAGMA")))
        details = balance_queries.session_balance_details(session_id, STAGE)
        counts = {(d.key, c.key): c.count for d in details.report.dimensions for c in d.categories}
        specs = details.catalogue.specs()
        compute_time, _same = interleaved_medians(
            lambda: compute_balance(session_id, STAGE, report.total, specs, counts, details.policy.quotas),
            lambda: None, runs)
        report_time, bare_time = interleaved_medians(
            lambda: balance_queries.session_balance(session_id, STAGE), lambda: bare_aggregate(session_id), runs)
        db.engine.dispose()
    print(f"{label}: {registrations} registrations ({report.total} at stage {STAGE}), built in {built:.1f} s")
    print(f"  session_balance(): {report_time * 1000:8.2f} ms median of {runs} ({queries} queries)")
    print(f"    of which the pure computation (forums.balance.rules): {compute_time * 1000:.2f} ms")
    print(f"  bare GROUP BY:     {bare_time * 1000:8.2f} ms median of {runs}")
    print(f"  ratio:             {report_time / bare_time:8.2f}x")


def main() -> None:
    """Run the benchmark on SQLite, and on PostgreSQL when DATABASE_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=5000, help="registrations in the session")
    parser.add_argument("--runs", type=int, default=41, help="timed runs of each; the median is reported")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generated people")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure("SQLite", "sqlite:///" + os.path.join(folder, "bench.sqlite"), args.registrations, args.runs, args.seed)
    if os.environ.get("DATABASE_URL"):
        measure("PostgreSQL", os.environ["DATABASE_URL"], args.registrations, args.runs, args.seed)


if __name__ == "__main__":
    main()
