"""Flat query counts (issue 8, item 2): every page and API read costs the same number of SQL
statements with 10 rows of its data as with 1,000, and no page lazy-loads a relationship.

The routes come from ``app.url_map`` (as in the permission matrix), so a new GET route is counted
the day it is added. Each is requested as an admin (a cookie for pages, a bearer token for the API)
on one fixture database, first with 10 of everything a page lists (people in the register and in
the session, agenda items, sessions, forums, a person's own sessions, audit entries, users), then
again after ``forums.data.synthetic`` and a few bulk inserts have grown each to 1,000.

Lazy loading raises here as in every test (``reads_load_eagerly`` in tests/conftest.py): a
``do_orm_execute`` hook refuses any statement a GET request issues to load a relationship on first
access, the usual source of one query per row.
"""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from forums.accounts.tokens import issue_token
from forums.data.synthetic import generate
from forums.floor import operations as floor_operations
from forums.people.links import issue
from forums.registrations.operations import register
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    AuditEntry,
    FloorList,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    Speech,
    User,
    db,
    utcnow,
)
from tests.accounts.test_permissions_matrix import build_url
from tests.conftest import sign_in_without_password

#: routes that read nothing from the database, or stream a file that is not a page
NOT_COUNTED = {"static", "api.openapi"}
#: the sizes compared
FEW, MANY = 10, 1000


class Fixture:
    """The objects whose ids fill the URLs, and the means to grow what each page lists."""

    def __init__(self, create_user, create_forum, create_session, create_participant) -> None:
        self.admin = create_user("admin")
        self.forum = create_forum(title="Discussion Club")
        self.session = create_session(forum=self.forum, title="Open evening on water", capacity=5000)
        self.person = create_participant("Zulfiya Pubova", organisation="Union")
        self.registration = register(self.session, self.person, RegistrationStatus.registered)
        self.token = issue(self.person).token
        facilitator = create_user("facilitator")
        db.session.add(SessionFacilitator(session_id=self.session.id, user_id=facilitator.id))
        self.api_token = issue_token(self.admin)
        db.session.commit()
        self.item_id = self.add_agenda(1)[0]
        self.floor_list = floor_operations.open_list(self.session, None)
        self.speech_id = floor_operations.add_request(self.floor_list, kind="contribution",
                                                      participant_id=None, categories={"group": "uto"}).id
        self.display_token = floor_operations.create_display(self.floor_list, hide_labels=False)
        db.session.commit()
        self.size = 1
        self.seed = 0

    def url_values(self) -> dict[str, Any]:
        """The values of every URL variable."""
        return {"session_id": self.session.id, "registration_id": self.registration.id,
                "participant_id": self.person.id, "item_id": self.item_id, "token": self.token,
                "forum_id": self.forum.id, "user_id": self.admin.id, "key": "group", "filename": "app.css",
                "change": "grant", "direction": "down", "list_id": self.floor_list.id, "speech_id": self.speech_id,
                "display_token": self.display_token}

    def add_agenda(self, count: int) -> list[int]:
        """Agenda items with a speaker each, in the fixture session."""
        start = self.session.starts_at
        ids = []
        for _number in range(count):
            item = AgendaItem(session_id=self.session.id, position=0, title="Report", kind=AgendaKind.discussion,
                              starts_at=start, ends_at=start + timedelta(minutes=30))
            item.speakers.append(AgendaSpeaker(participant_id=self.person.id, position=0))
            db.session.add(item)
            db.session.flush()
            ids.append(item.id)
        db.session.commit()
        return ids

    def grow_to(self, size: int) -> None:
        """Bring everything a page lists up to ``size`` rows."""
        more = size - self.size
        self.seed += 1
        counts = generate(participants=more, sessions=more, registrations_per_session=2, seed=self.seed)
        assert counts["participants"] == more
        new_people = list(db.session.scalars(
            sa.select(Participant.id).order_by(Participant.id.desc()).limit(more)))
        new_sessions = list(db.session.scalars(
            sa.select(ForumSession.id).order_by(ForumSession.id.desc()).limit(more)))
        now = utcnow()
        db.session.execute(sa.insert(Registration.__table__), [
            {"session_id": self.session.id, "participant_id": person_id, "status": RegistrationStatus.registered,
             "created_at": now, "updated_at": now} for person_id in new_people])
        db.session.execute(sa.insert(Registration.__table__), [
            {"session_id": session_id, "participant_id": self.person.id, "status": RegistrationStatus.invited,
             "created_at": now, "updated_at": now} for session_id in new_sessions])
        db.session.execute(sa.insert(Forum.__table__), [
            {"title": f"Forum {number}", "kind": ForumKind.seminar, "description": "", "created_at": now, "version": 1}
            for number in range(more)])
        db.session.execute(sa.insert(AuditEntry.__table__), [
            {"at": now, "actor": "admin@example.org", "action": "participant.read", "object_type": "participant",
             "object_id": person_id, "detail": ""} for person_id in new_people])
        db.session.execute(sa.insert(User.__table__), [
            {"email": f"user{self.seed}-{number}@example.org", "password_hash": "x", "role": Role.facilitator,
             "is_active": True, "session_version": 0, "created_at": now, "can_export_names": False}
            for number in range(more)])
        db.session.execute(sa.insert(Speech.__table__), [
            {"list_id": self.floor_list.id, "kind": "contribution", "state": "waiting", "asked_at": now,
             "categories": {"group": "uto"}, "from_paper": False} for _number in range(more)])
        # what every change to a list does (forums.floor.operations), so kept copies of its state are made again
        db.session.execute(sa.update(FloorList).values(stamp=FloorList.stamp + 1))
        db.session.commit()
        self.add_agenda(min(more, 99))
        self.size = size


@pytest.fixture
def fixture(app, create_user, create_forum, create_session, create_participant) -> Fixture:
    """The fixture database, at its smallest."""
    return Fixture(create_user, create_forum, create_session, create_participant)


def counted_reads(app: Flask, fixture: Fixture) -> list[tuple[str, str, bool]]:
    """(endpoint, URL, is API) of every GET route."""
    reads = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_COUNTED:
            reads.append((rule.endpoint, build_url(rule, fixture.url_values()), rule.rule.startswith("/api/")))
    return sorted(reads)


def query_counts(app: Flask, fixture: Fixture, count_queries, reads_load_eagerly: list[str]) -> dict[str, int | str]:
    """Statements per endpoint (or the lazy loads it tried) for one request of each, as the admin."""
    client = app.test_client()
    sign_in_without_password(client, fixture.admin)
    api_headers = {"Authorization": f"Bearer {fixture.api_token}"}
    counts: dict[str, int | str] = {}
    for endpoint, url, is_api in counted_reads(app, fixture):
        reads_load_eagerly.clear()
        with count_queries() as counted:
            with client.get(url, headers=api_headers if is_api else {}) as response:
                response.get_data()
        if reads_load_eagerly:
            counts[endpoint] = f"lazy loads {sorted(set(reads_load_eagerly))}"
            continue
        assert response.status_code < 400, f"{url}: {response.status_code}"
        counts[endpoint] = counted()
    return counts


def test_every_read_costs_the_same_queries_with_10_and_1000_rows(app, fixture, count_queries, reads_load_eagerly):
    fixture.grow_to(FEW)
    few = query_counts(app, fixture, count_queries, reads_load_eagerly)
    fixture.grow_to(MANY)
    many = query_counts(app, fixture, count_queries, reads_load_eagerly)

    lazy = {endpoint: found for endpoint, found in (few | many).items() if isinstance(found, str)}
    assert lazy == {}, "\n".join(f"{endpoint}: {found}" for endpoint, found in lazy.items())
    # Fewer is not growth: the audit log names its objects with one query per kind of object on the page, and the
    # newest 50 of 1000 entries may be of fewer kinds than all 10.
    growing = {endpoint: (few[endpoint], many[endpoint]) for endpoint in few if many[endpoint] > few[endpoint]}
    assert growing == {}, f"queries with {FEW} rows, with {MANY}: {growing}"
    assert len(few) > 40, "the url map should give every page and API read"
