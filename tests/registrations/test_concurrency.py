"""No overbooking under real concurrency, and no lost update (SECURITY.md T11, T12).

The capacity race runs against gunicorn with 4 worker processes on its own database: a SQLite file
in WAL mode, or a separate PostgreSQL database when the suite runs with ``DATABASE_URL``.
"""

import http.client
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from forums import validation
from forums.accounts.tokens import issue_token
from forums.people import operations as people_operations
from forums.people.operations import ParticipantInput
from forums.sessions import operations as session_operations
from models import (
    Forum,
    ForumKind,
    ForumSession,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    User,
    Visibility,
    db,
)
from tests.conftest import category, dushanbe_time
from tests.servers import Server, prepared_app, running_server, server_database

CAPACITY = 10
PEOPLE = 50
ROUNDS = 3


@dataclass
class Seeded:
    """A server database with sessions of 10 seats, 50 people and a staff token."""

    url: str
    app: Flask
    session_ids: list[int]
    double_submit_session_id: int
    participant_ids: list[int]
    headers: dict[str, str]


def _new_session(forum: Forum, title: str) -> ForumSession:
    forum_session = ForumSession(
        forum=forum, title=title, capacity=CAPACITY, starts_at=dushanbe_time(3),
        ends_at=dushanbe_time(3) + timedelta(hours=3), region=category("region", "dushanbe"),
        visibility=Visibility.public, status=SessionStatus.published)
    db.session.add(forum_session)
    return forum_session


@pytest.fixture
def seeded(tmp_path: Path, password_hash: str) -> Iterator[Seeded]:
    """Seed the server's own database."""
    with server_database(tmp_path) as url:
        application = prepared_app(url)
        with application.app_context():
            forum = Forum(title="Discussion Club", kind=ForumKind.discussion_club)
            sessions = [_new_session(forum, f"Evening {n}") for n in range(ROUNDS + 1)]
            people = [people_operations.create_participant(ParticipantInput(name=f"Person {n}",
                                                                            categories={"group": "media"}))
                      for n in range(PEOPLE)]
            user = User(email="organiser@example.org", password_hash=password_hash, role=Role.organiser)
            db.session.add(user)
            db.session.flush()
            headers = {"Authorization": f"Bearer {issue_token(user)}"}
            seeded = Seeded(url, application, [s.id for s in sessions[:ROUNDS]], sessions[ROUNDS].id,
                            [p.id for p in people], headers)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield seeded
        with application.app_context():
            db.engine.dispose()


def _all_at_once(count: int, send: Callable[[int], tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Run ``send(i)`` for i in range(count) in threads released together by a barrier."""
    results: list[tuple[int, Any]] = [(0, None)] * count
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = send(index)
        except (OSError, http.client.HTTPException) as error:
            results[index] = (-1, repr(error))

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _register(server: Server, seeded: Seeded, session_id: int, participant_id: int) -> tuple[int, Any]:
    return server.request("POST", f"/api/v1/sessions/{session_id}/registrations",
                          {"participant_id": participant_id, "status": "registered"}, seeded.headers)


@pytest.mark.slow
def test_fifty_concurrent_registrations_for_ten_seats(seeded: Seeded, tmp_path: Path):
    log_path = tmp_path / "gunicorn.log"
    with running_server(seeded.url, log_path) as server:
        rounds = [
            _all_at_once(PEOPLE, lambda i, sid=session_id: _register(server, seeded, sid, seeded.participant_ids[i]))
            for session_id in seeded.session_ids
        ]
        double = _all_at_once(2, lambda _i: _register(server, seeded, seeded.double_submit_session_id,
                                                      seeded.participant_ids[0]))
    log = log_path.read_text(errors="replace")
    assert "database is locked" not in log
    assert "Traceback" not in log
    for results in rounds:
        assert Counter(status for status, _body in results) == {201: PEOPLE}, results
        assert Counter(body["status"] for _status, body in results) == {"registered": CAPACITY,
                                                                          "waitlisted": PEOPLE - CAPACITY}
    assert sorted(status for status, _body in double) == [201, 409], double
    with seeded.app.app_context():
        for session_id in seeded.session_ids:
            stored = Counter(db.session.scalars(
                sa.select(Registration.status).where(Registration.session_id == session_id)))
            assert stored == {RegistrationStatus.registered: CAPACITY, RegistrationStatus.waitlisted: PEOPLE - CAPACITY}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
            Registration.session_id == seeded.double_submit_session_id)) == 1
        db.session.commit()


# Stale edits ----------------------------------------------------------------------------------------

def test_a_stale_session_edit_gets_a_conflict_not_an_overwrite(client, create_user, token_for, create_session):
    headers = token_for(create_user("organiser"))
    forum_session = create_session(title="Water and land")
    path = f"/api/v1/sessions/{forum_session.id}"
    version = client.get(path, headers=headers).get_json()["version"]
    first = client.patch(path, json={"title": "Water, land and roads", "version": version}, headers=headers)
    assert first.status_code == 200
    stale = client.patch(path, json={"title": "Water only", "version": version}, headers=headers)
    assert stale.status_code == 409
    assert "Someone else changed this" in stale.get_json()["error"]["message"]
    assert client.get(path, headers=headers).get_json()["title"] == "Water, land and roads"


def test_a_stale_person_edit_gets_a_conflict_not_an_overwrite(client, create_user, token_for, create_participant):
    headers = token_for(create_user("organiser"))
    person = create_participant("Rahimova Nigora")
    path = f"/api/v1/participants/{person.id}"
    version = client.get(path, headers=headers).get_json()["version"]
    assert client.patch(path, json={"email": "nigora@example.org", "version": version},
                        headers=headers).status_code == 200
    stale = client.patch(path, json={"name": "Rahimova N.", "version": version}, headers=headers)
    assert stale.status_code == 409
    current = client.get(path, headers=headers).get_json()
    assert (current["name"], current["email"]) == ("Rahimova Nigora", "nigora@example.org")


def test_the_service_refuses_a_stale_version(app, create_session):
    forum_session = create_session()
    with app.test_request_context(), pytest.raises(validation.Conflict):
        session_operations.update_session(forum_session, {"title": "Changed"},
                                          expected_version=forum_session.version - 1)
    db.session.rollback()
    assert db.session.get(ForumSession, forum_session.id).title == "Water and land"
