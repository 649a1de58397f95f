"""Benchmark the check-in sync (issue 18): 500 queued events in one batch against 500 single online check-ins.

The run, on a fresh schema in ``--database-url`` (everything in it is dropped; SQLite in a temporary
file by default):

1. two sessions of today with ``--count`` people registered at each, and a facilitator with an API token;
2. baseline: the first session's people checked in one request each (``POST .../checkin``), as a door with
   a good link does it;
3. the second session's people checked in by one batch of ``--count`` events (``POST .../checkin/events``),
   as a device sends its queue when the link returns;
4. the same batch sent again (a reply lost on the way back): nothing may change;
5. checks that everyone is attended exactly once in both sessions, and prints the times and the ratios
   (batch / baseline) in the same run.

Requests go through Flask's test client (no sockets), so the times are the app's and the database's.

    nice -n 10 .venv/bin/python bench/checkin_sync_bench.py
    nice -n 10 .venv/bin/python bench/checkin_sync_bench.py --database-url postgresql://postgres@127.0.0.1:5432/dd_sync
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from forums.accounts.tokens import issue_token  # noqa: E402
from forums.people.names import search_key  # noqa: E402
from forums.people.seed import seed_dimensions  # noqa: E402
from models import (  # noqa: E402
    AuditEntry,
    Category,
    CheckinEvent,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    SessionStatus,
    User,
    Visibility,
    db,
)

SECRET = "checkin-sync-bench-secret-key-0123456789abcdef"


def build(app, count: int) -> tuple[int, int, list[int], list[int], str]:
    """Two sessions of ``count`` registered people each and a facilitator's token."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        seed_dimensions()
        region = db.session.scalar(sa.select(Category).join(Dimension).where(Dimension.key == "region"))
        forum = Forum(title="Bench", kind=ForumKind.round_table)
        facilitator = User(email="door@example.org", password_hash="!", role=Role.facilitator)
        db.session.add_all([forum, facilitator])
        now = datetime.now(UTC)
        sessions = [ForumSession(forum=forum, title=f"Door {n}", starts_at=now - timedelta(hours=1),
                                 ends_at=now + timedelta(hours=3), venue="Hall", region=region, capacity=count,
                                 visibility=Visibility.invitation, status=SessionStatus.published)
                    for n in range(2)]
        db.session.add_all(sessions)
        db.session.flush()
        registration_ids: list[list[int]] = []
        for forum_session in sessions:
            db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
            people = [Participant(name=f"Person {forum_session.id} {n}", search_key=search_key(f"Person {n}"))
                      for n in range(count)]
            db.session.add_all(people)
            db.session.flush()
            registrations = [Registration(forum_session=forum_session, participant=person,
                                          status=RegistrationStatus.registered) for person in people]
            db.session.add_all(registrations)
            db.session.flush()
            registration_ids.append([registration.id for registration in registrations])
        token = issue_token(facilitator)
        db.session.commit()
        return sessions[0].id, sessions[1].id, registration_ids[0], registration_ids[1], token


def attended(app, session_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
            Registration.session_id == session_id, Registration.status == RegistrationStatus.attended)) or 0


def snapshot(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(table))  # type: ignore[return-value]
                     for table in (CheckinEvent, AuditEntry, Registration))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: SQLite in a temporary file")
    parser.add_argument("--count", type=int, default=500, help="events in the batch, and single check-ins")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/sync-bench.sqlite"
        app = create_app({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
        online_session, batch_session, online_ids, batch_ids, token = build(app, args.count)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        started = time.perf_counter()
        for registration_id in online_ids:
            response = client.post(f"/api/v1/sessions/{online_session}/checkin", headers=headers,
                                   json={"registration_id": registration_id, "request_id": secrets.token_hex(16)})
            assert response.status_code == 200, response.get_data(as_text=True)
        online_seconds = time.perf_counter() - started

        device_at = datetime.now(UTC).isoformat()
        batch = {"events": [{"client_id": secrets.token_hex(16), "kind": "check_in", "device_id": "bench-tablet",
                             "device_at": device_at, "registration_id": registration_id}
                            for registration_id in batch_ids]}
        started = time.perf_counter()
        response = client.post(f"/api/v1/sessions/{batch_session}/checkin/events", headers=headers, json=batch)
        batch_seconds = time.perf_counter() - started
        assert response.status_code == 200, response.get_data(as_text=True)
        assert all(item["outcome"] == "applied" for item in response.get_json()["items"])

        before = snapshot(app)
        started = time.perf_counter()
        response = client.post(f"/api/v1/sessions/{batch_session}/checkin/events", headers=headers, json=batch)
        replay_seconds = time.perf_counter() - started
        assert response.status_code == 200 and all(item["replayed"] for item in response.get_json()["items"])
        assert snapshot(app) == before, "a replayed batch changed something"
        assert attended(app, online_session) == attended(app, batch_session) == args.count

        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"{backend}, {args.count} check-ins")
        print(f"  baseline: {args.count} single online check-ins  {online_seconds:8.3f} s"
              f"  ({online_seconds / args.count * 1000:.2f} ms each)")
        print(f"  one batch of {args.count} queued events        {batch_seconds:8.3f} s"
              f"  ratio {batch_seconds / online_seconds:.3f}")
        print(f"  the same batch replayed                 {replay_seconds:8.3f} s"
              f"  ratio {replay_seconds / online_seconds:.3f}")


if __name__ == "__main__":
    main()
