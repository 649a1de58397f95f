"""EXPLAIN every SELECT the benchmark's targets issue, on the database in DATABASE_URL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_big python bench/explain.py SESSION_ID TOKEN EMAIL

Requests each target once in-process as bench/load.py does (the agenda page anonymously with the
response cache off, so the stamp query and the queries a miss runs all show; the staff page as
EMAIL; the API with TOKEN), captures the statements, and prints for each SELECT its plan's scan lines
and execution time (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite). A sequential scan
of a table that grows with the data is marked ``FULL SCAN``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402  (the path above makes the project importable)
from models import User, db  # noqa: E402

#: tables that stay small whatever the data (a scan of them is not a growth problem)
SMALL_TABLES = {"dimension", "category", "alembic_version", "user", "api_token", "forum", "balance_policy", "quota",
                "speakers"}  # the agenda stamp's one-row aggregate of the session's speakers
#: rows a PostgreSQL sequential scan may read before it counts as a full scan of a growing table
FULL_SCAN_ROWS = 1000
PLAN_WORDS = ("Scan", "Execution Time", "SCAN", "SEARCH")


def targets(session_id: int) -> list[tuple[str, str, bool, str]]:
    """(name, path, as staff, with the token) of each benchmark target."""
    return [
        ("agenda page", f"/sessions/{session_id}", False, ""),
        ("staff session page", f"/sessions/{session_id}", True, ""),
        ("balance JSON", f"/api/v1/sessions/{session_id}/balance?stage=registered", False, "token"),
        ("check-in search", f"/api/v1/sessions/{session_id}/checkin?q=ra", False, "token"),
    ]


def full_scan(line: str) -> bool:
    """A sequential scan that reads a growing table: PostgreSQL's over 1,000 rows, any of SQLite's."""
    if "Seq Scan on " in line:
        actual = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", line)
        return actual is not None and int(actual.group(1)) > FULL_SCAN_ROWS
    found = re.search(r"\bSCAN (\w+)", line)
    return found is not None and "USING" not in line and found.group(1) not in SMALL_TABLES


def plan_lines(raw: Any, postgres: bool, statement: str, params: Any) -> list[str]:
    """The interesting lines of one statement's plan."""
    cursor = raw.cursor()
    cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN ") + statement, params)
    lines = [" ".join(str(value) for value in row) for row in cursor.fetchall()]
    cursor.close()
    return [line + ("   <-- FULL SCAN" if full_scan(line) else "")
            for line in lines if any(word in line for word in PLAN_WORDS)]


def main() -> None:
    """Print the plans."""
    session_id, token, email = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    # Without the response cache every request runs what a miss runs: the stamp query, then the page's own.
    os.environ["FLASK_RESPONSE_CACHE"] = "false"
    app = create_app()
    captured: list[tuple[str, Any]] = []
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        stored_id = user.get_id()
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda _c, _cur, statement, params, _ctx, _many: captured.append((statement, params)))
        postgres = db.engine.dialect.name == "postgresql"
    for name, path, as_staff, with_token in targets(session_id):
        client = app.test_client()
        if as_staff:
            now = time.time()
            with client.session_transaction() as stored:
                stored.update({"_user_id": stored_id, "_fresh": True, "signed_in_at": now, "seen": now})
        captured.clear()
        headers = {"Authorization": f"Bearer {token}"} if with_token else {}
        status = client.get(path, headers=headers).status_code
        selects = [(statement, params) for statement, params in captured
                   if statement.lstrip().upper().startswith("SELECT")]
        print(f"== {name}: GET {path} -> {status}, {len(captured)} statements, {len(selects)} SELECT")
        with app.app_context(), db.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, params in selects:
                print("--", " ".join(statement.split())[:110])
                for line in plan_lines(raw, postgres, statement, params):
                    print("     ", line.strip())


if __name__ == "__main__":
    main()
