"""Two check-ins of one person at the same moment (a double tap, two facilitators) record one attendance.

Each thread sends real requests through its own client, so each has its own app context, database
session and connection: SQLite serialises them with its write lock, PostgreSQL with the session row
lock (run with DATABASE_URL=postgresql://... to try the latter).
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from forums.registrations.operations import register
from models import AuditEntry, CheckinRequest, Registration, RegistrationStatus, db

#: people checked in by racing pairs in each test: more rounds, more chances for the requests to overlap
ROUNDS = 4


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same moment; their results in order."""
    # End this thread's transaction first: on SQLite even a read holds the write lock (forums.database).
    db.session.commit()
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except BaseException as error:  # noqa: BLE001  (re-raised in the test's thread below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def registrations(app, create_session, create_participant) -> tuple[int, list[int]]:
    """A session id and ROUNDS registration ids in it, committed and released by this thread."""
    forum_session = create_session(capacity=ROUNDS)
    ids = [register(forum_session, create_participant(f"Person {n}"), RegistrationStatus.registered).id
           for n in range(ROUNDS)]
    session_id = forum_session.id
    db.session.commit()
    return session_id, ids


def post_check_in(app, headers: dict[str, str], session_id: int, body: dict[str, Any]) -> Callable[[], Any]:
    """A call that posts one check-in through a client of its own."""
    def call() -> tuple[int, Any]:
        response = FlaskClient(app).post(f"/api/v1/sessions/{session_id}/checkin", json=body, headers=headers)
        return response.status_code, response.get_json()

    return call


def applied_check_ins(registration_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "checkin.check_in", AuditEntry.object_id == registration_id))


def test_the_same_request_sent_twice_at_once_counts_once(app, registrations, create_user, token_for):
    session_id, ids = registrations
    headers = token_for(create_user("organiser"))
    for registration_id in ids:
        body = {"registration_id": registration_id, "request_id": f"tap-{registration_id}"}
        first, second = race([post_check_in(app, headers, session_id, body) for _ in range(2)])
        assert first[0] == second[0] == 200
        assert first[1] == second[1] and first[1]["status"] == "attended"
        assert applied_check_ins(registration_id) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinRequest)) == ROUNDS


def test_two_facilitators_checking_in_one_person_at_once_count_once(app, registrations, create_user, token_for):
    session_id, ids = registrations
    door, hall = token_for(create_user("organiser")), token_for(create_user("organiser"))
    for registration_id in ids:
        results = race([
            post_check_in(app, door, session_id,
                          {"registration_id": registration_id, "request_id": f"door-{registration_id}"}),
            post_check_in(app, hall, session_id,
                          {"registration_id": registration_id, "request_id": f"hall-{registration_id}"}),
        ])
        assert [status for status, _body in results] == [200, 200]
        # Whoever came second saw the first check-in and left its time alone.
        assert results[0][1]["checked_in_at"] == results[1][1]["checked_in_at"]
        assert applied_check_ins(registration_id) == 1
    attended = db.session.scalar(sa.select(sa.func.count()).select_from(Registration).where(
        Registration.session_id == session_id, Registration.status == RegistrationStatus.attended))
    assert attended == ROUNDS
