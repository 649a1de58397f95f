"""SIGKILL in the middle of writes loses no committed write (SECURITY.md T17).

gunicorn serves a SQLite file (WAL, synchronous=NORMAL: a killed process loses nothing the OS has;
only a power cut could cost the last transactions). A writer adds people and registrations through
the API; master and workers are killed at once mid-way; then every write that was answered with a
2xx must be in the database, the file must pass ``integrity_check`` and ``foreign_key_check``, and
a restarted server must serve and accept writes again.
"""

import http.client
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from forums.accounts.tokens import issue_token
from models import (
    Forum,
    ForumKind,
    ForumSession,
    Role,
    SessionStatus,
    User,
    Visibility,
    db,
)
from tests.conftest import category, dushanbe_time
from tests.servers import Server, prepared_app, start_server

#: answered writes to see before pulling the plug, and an upper bound on the attempt
WRITES_BEFORE_KILL = 25
MAX_WRITES = 2000
WRITE_WINDOW_SECONDS = 15


class Writer(threading.Thread):
    """Adds a person, then registers them, until the server stops answering."""

    def __init__(self, server: Server, headers: dict[str, str], session_id: int) -> None:
        super().__init__(daemon=True)
        self.server, self.headers, self.session_id = server, headers, session_id
        self.participant_ids: list[int] = []
        self.registration_ids: list[int] = []
        self.failures: list[str] = []
        self.enough = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + WRITE_WINDOW_SECONDS
        for number in range(MAX_WRITES):
            if time.monotonic() > deadline:
                break
            try:
                status, body = self.server.request("POST", "/api/v1/participants",
                                                   {"name": f"Crash Test {number}", "categories": {"group": "media"}},
                                                   self.headers, timeout=5)
                if status != 201:
                    self.failures.append(f"participant {status}: {body}")
                    continue
                self.participant_ids.append(body["id"])
                status, body = self.server.request(
                    "POST", f"/api/v1/sessions/{self.session_id}/registrations",
                    {"participant_id": body["id"], "status": "registered"}, self.headers, timeout=5)
                if status != 201:
                    self.failures.append(f"registration {status}: {body}")
                    continue
                self.registration_ids.append(body["id"])
            except (OSError, http.client.HTTPException):
                return  # the server is gone: whatever was not answered does not count
            finally:
                if len(self.registration_ids) >= WRITES_BEFORE_KILL:
                    self.enough.set()


def _ids(database: Path, table: str) -> set[int]:
    connection = sqlite3.connect(database)
    try:
        return {row[0] for row in connection.execute(f"SELECT id FROM {table}")}  # noqa: S608 - fixed names
    finally:
        connection.close()


@pytest.mark.slow
def test_sigkill_mid_write_loses_no_answered_write(tmp_path: Path, password_hash: str):
    database = tmp_path / "crash.sqlite"
    url = f"sqlite:///{database}"
    application = prepared_app(url)
    with application.app_context():
        user = User(email="organiser@example.org", password_hash=password_hash, role=Role.organiser)
        forum_session = ForumSession(
            forum=Forum(title="Economic forum", kind=ForumKind.economic_forum), title="Kulyab", capacity=500,
            starts_at=dushanbe_time(3), ends_at=dushanbe_time(3) + timedelta(hours=4),
            region=category("region", "kulyab"), visibility=Visibility.public, status=SessionStatus.published)
        db.session.add_all([user, forum_session])
        db.session.flush()
        headers = {"Authorization": f"Bearer {issue_token(user)}"}
        session_id = forum_session.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    log_path = tmp_path / "gunicorn.log"
    server = start_server(url, log_path, workers=2)
    try:
        writer = Writer(server, headers, session_id)
        writer.start()
        assert writer.enough.wait(WRITE_WINDOW_SECONDS), f"too few writes answered: {writer.failures[:3]}"
        server.kill()
        writer.join(timeout=10)
    finally:
        server.stop()
    assert not writer.failures, writer.failures[:3]

    assert set(writer.participant_ids) <= _ids(database, "participant")
    assert set(writer.registration_ids) <= _ids(database, "registration")
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        connection.execute("PRAGMA foreign_keys=ON")
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        connection.close()

    restarted = start_server(url, tmp_path / "gunicorn-restarted.log", workers=1)
    try:
        status, body = restarted.request("GET", f"/api/v1/participants/{writer.participant_ids[-1]}", headers=headers)
        assert status == 200 and body["name"].startswith("Crash Test")
        status, _body = restarted.request("POST", "/api/v1/participants",
                                          {"name": "After Restart", "categories": {}}, headers)
        assert status == 201
    finally:
        restarted.stop()
    assert "database is locked" not in log_path.read_text(errors="replace")
