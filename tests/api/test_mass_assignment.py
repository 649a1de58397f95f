"""T06 mass assignment: fields a caller may not write are refused by the API and ignored by forms.

Each attempt compares every table before and after (the audit log aside), so a refused or ignored
field cannot have changed a column anywhere, not only on the object the request named.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from forums.people import links
from forums.registrations.operations import register
from models import (
    AgendaItem,
    AgendaKind,
    Forum,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    SessionStatus,
    User,
    db,
)
from tests.conftest import TEST_YEAR, dushanbe_time, sign_in_without_password
from tests.people.test_dimensions_api import assert_api_error
from tests.people.test_pages import participant_data
from tests.sessions.test_pages import session_data

#: tables whose rows a refused or ignored field must leave alone (reads and refusals may be audited)
WATCHED = [table for table in db.metadata.sorted_tables if table.name != "audit_entry"]


def database_fingerprint(*ignored: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every watched table in primary-key order, leaving out ``ignored`` tables and
    ``table.column`` columns (those a legitimate change touches)."""
    db.session.expire_all()
    fingerprint = {}
    for table in WATCHED:
        if table.name in ignored:
            continue
        columns = [column for column in table.columns if f"{table.name}.{column.name}" not in ignored]
        statement = sa.select(*columns).order_by(*table.primary_key)
        fingerprint[table.name] = [tuple(row) for row in db.session.execute(statement)]
    return fingerprint


def row(model: Any, object_id: int) -> dict[str, Any]:
    """One stored row as a dict, read afresh."""
    db.session.expire_all()
    return dict(db.session.execute(sa.select(model.__table__).where(model.id == object_id)).mappings().one())


@dataclass
class World:
    """Objects every attempt can aim at: two forums, sessions and people, one registration."""

    forum: Forum
    other_forum: Forum
    session: ForumSession
    other_session: ForumSession
    person: Participant
    other_person: Participant
    registration: Registration
    item: AgendaItem
    organiser: User
    facilitator: User


@pytest.fixture
def world(create_forum, create_session, create_participant, create_user) -> World:
    forum, other_forum = create_forum("Round table"), create_forum("Discussion club", kind="discussion_club")
    forum_session = create_session(forum=forum, capacity=5)
    other_session = create_session(forum=other_forum, title="Other", status="draft")
    person, other_person = create_participant("Rahimova Nigora"), create_participant("Sharipov Daler", group="uto")
    registration = register(forum_session, person, RegistrationStatus.invited)
    item = AgendaItem(session_id=forum_session.id, title="Opening", kind=AgendaKind.opening,
                      starts_at=dushanbe_time(3, 10), ends_at=dushanbe_time(3, 10, 30))
    facilitator = create_user("facilitator")
    db.session.add_all([item, SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id)])
    db.session.commit()
    return World(forum, other_forum, forum_session, other_session, person, other_person, registration, item,
                 create_user("organiser"), facilitator)


# API: unknown fields are a 422 naming them, and nothing changes anywhere ----------------------------

NOW = f"{TEST_YEAR}-12-03T10:00:00+05:00"
PERSON = "/api/v1/participants/{w.person.id}"
SESSION = "/api/v1/sessions/{w.session.id}"


def _new_session(w: World) -> dict[str, Any]:
    return {"forum_id": w.forum.id, "title": "Water", "starts_at": NOW, "ends_at": f"{TEST_YEAR}-12-03T12:00:00+05:00",
            "region": "dushanbe", "capacity": 10}


def _new_person() -> dict[str, Any]:
    return {"name": "Nazarov Firuz", "categories": {"group": "academia", "region": "hissar", "gender": "man"}}


def attempt(name: str, method: str, path: str, fields: list[str], body: Callable[[World], dict[str, Any]]) -> Any:
    """One API call smuggling ``fields``; ``path`` is formatted with the world as ``w``."""
    return pytest.param(method, path, body, set(fields), id=name)


API_ATTEMPTS = [
    attempt("participant created as admin", "POST", "/api/v1/participants", ["role"],
            lambda w: {**_new_person(), "role": "admin"}),
    attempt("participant created with a group column", "POST", "/api/v1/participants", ["political_group"],
            lambda w: {**_new_person(), "political_group": "uto"}),
    attempt("participant created with an id and version", "POST", "/api/v1/participants", ["id", "version"],
            lambda w: {**_new_person(), "id": 1, "version": 7}),
    attempt("participant created with consent and search key", "POST", "/api/v1/participants",
            ["consent_at", "search_key"], lambda w: {**_new_person(), "consent_at": NOW, "search_key": "x"}),
    attempt("participant moved to another id", "PATCH", PERSON, ["id"], lambda w: {"id": w.other_person.id}),
    attempt("participant given a group column and a forum", "PATCH", PERSON, ["political_group", "forum_id"],
            lambda w: {"political_group": "uto", "forum_id": w.forum.id}),
    attempt("participant given a role", "PATCH", PERSON, ["role"], lambda w: {"name": "X", "role": "admin"}),
    attempt("participant version as text", "PATCH", PERSON, ["version"], lambda w: {"name": "X", "version": "1"}),
    attempt("participant version as a boolean", "PATCH", PERSON, ["version"],
            lambda w: {"name": "X", "version": True}),
    attempt("session created with id, version and sequence", "POST", "/api/v1/sessions", ["id", "version", "sequence"],
            lambda w: {**_new_session(w), "id": 1, "version": 9, "sequence": 4}),
    attempt("session created with an agenda", "POST", "/api/v1/sessions", ["agenda"],
            lambda w: {**_new_session(w), "agenda": []}),
    attempt("session id changed", "PATCH", SESSION, ["id"], lambda w: {"id": w.other_session.id}),
    attempt("session agenda replaced", "PATCH", SESSION, ["agenda"], lambda w: {"agenda": []}),
    attempt("session counters changed", "PATCH", SESSION, ["sequence", "balance_stamp", "region_id"],
            lambda w: {"sequence": 0, "balance_stamp": 0, "region_id": 1}),
    attempt("session version as text", "PATCH", SESSION, ["version"], lambda w: {"title": "X", "version": "1"}),
    attempt("agenda item put in another session", "POST", SESSION + "/agenda", ["session_id"],
            lambda w: {"title": "Talk", "kind": "presentation", "starts_at": NOW,
                       "ends_at": f"{TEST_YEAR}-12-03T11:00:00+05:00", "session_id": w.other_session.id}),
    attempt("agenda item moved to another session", "PATCH", SESSION + "/agenda/{w.item.id}",
            ["session_id", "forum_id"], lambda w: {"session_id": w.other_session.id, "forum_id": w.other_forum.id}),
    attempt("registration created as attended", "POST", SESSION + "/registrations", ["status"],
            lambda w: {"participant_id": w.other_person.id, "status": "attended"}),
    attempt("registration created as confirmed", "POST", SESSION + "/registrations", ["status"],
            lambda w: {"participant_id": w.other_person.id, "status": "confirmed"}),
    attempt("registration created checked in", "POST", SESSION + "/registrations", ["checked_in_at"],
            lambda w: {"participant_id": w.other_person.id, "status": "registered", "checked_in_at": NOW}),
    attempt("registration moved to another person and session", "PATCH", "/api/v1/registrations/{w.registration.id}",
            ["participant_id", "session_id"],
            lambda w: {"status": "registered", "participant_id": w.other_person.id, "session_id": w.other_session.id}),
    attempt("registration check-in time forged", "PATCH", "/api/v1/registrations/{w.registration.id}",
            ["checked_in_at"], lambda w: {"status": "registered", "checked_in_at": NOW}),
    attempt("check-in with a chosen status", "POST", SESSION + "/checkin", ["status"],
            lambda w: {"registration_id": w.registration.id, "status": "confirmed"}),
    attempt("facilitator added as admin", "POST", SESSION + "/facilitators", ["role"],
            lambda w: {"email": w.facilitator.email, "role": "admin"}),
    attempt("forum created with an id and version", "POST", "/api/v1/forums", ["id", "version"],
            lambda w: {"title": "Club", "kind": "discussion_club", "id": w.forum.id, "version": 3}),
    attempt("forum id and creation time changed", "PATCH", "/api/v1/forums/{w.forum.id}", ["id", "created_at"],
            lambda w: {"id": w.other_forum.id, "created_at": NOW}),
    attempt("category put in another dimension", "POST", "/api/v1/dimensions/group/categories", ["dimension_id"],
            lambda w: {"key": "farmers", "name": "Farmers", "dimension_id": 2}),
]


@pytest.mark.parametrize(("method", "path", "body", "fields"), API_ATTEMPTS)
def test_api_refuses_fields_it_does_not_write_and_changes_nothing(client, token_for, world, method, path, body, fields):
    headers = token_for(world.organiser)
    before = database_fingerprint()
    response = client.open(path.format(w=world), method=method, json=body(world), headers=headers)
    assert_api_error(response, 422, *fields)
    assert database_fingerprint() == before


def test_the_version_is_the_servers_to_count_not_the_clients_to_set(client, token_for, world):
    headers = token_for(world.organiser)
    url = f"/api/v1/participants/{world.person.id}"
    version = row(Participant, world.person.id)["version"]
    before = database_fingerprint()
    ahead = client.patch(url, headers=headers, json={"name": "Rahimova N.", "version": version + 5})
    assert_api_error(ahead, 409)
    assert database_fingerprint() == before
    saved = client.patch(url, headers=headers, json={"name": "Rahimova N.", "version": version})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_json()["version"] == row(Participant, world.person.id)["version"] == version + 1


# Forms: fields the form does not have are ignored; the database says so --------------------------

SMUGGLED = {"id": "999", "version": "42", "role": "admin", "political_group": "uto", "is_active": "",
            "can_export_names": "y", "search_key": "forged", "consent_at": "2020-01-01T00:00:00",
            "created_at": "2020-01-01T00:00:00", "sequence": "77", "balance_stamp": "0",
            "checked_in_at": "2020-01-01T00:00:00", "session_id": "1", "participant_id": "1"}


@pytest.fixture
def organiser_client(client, world):
    return sign_in_without_password(client, world.organiser)


def test_participant_form_ignores_smuggled_fields(organiser_client, world):
    users = database_fingerprint()["user"]
    form = {**SMUGGLED, **participant_data(name="Nazarov Firuz")}
    response = organiser_client.post("/staff/participants/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(sa.select(Participant).where(Participant.name == "Nazarov Firuz")).one()
    stored = row(Participant, created.id)
    assert stored["id"] != 999 and stored["version"] == 1
    assert stored["search_key"] != "forged" and stored["created_at"].year >= 2026
    assert stored["consent_at"] is None or stored["consent_at"].year >= 2026
    assert database_fingerprint()["user"] == users

    # Changing someone's categories rightly changes the participant rows and the balance stamp of their sessions.
    legitimate = ("participant", "participant_category", "forum_session.balance_stamp")
    others = database_fingerprint(*legitimate)
    version = row(Participant, world.person.id)["version"]
    edit = {**participant_data(name="Rahimova Nigora", cat_group="media"), **SMUGGLED, "version": str(version)}
    assert organiser_client.post(f"/staff/participants/{world.person.id}/edit", data=edit).status_code == 302
    edited = row(Participant, world.person.id)
    # Counted by the server (a category change may count twice), never the smuggled 42.
    assert edited["id"] == world.person.id and version < edited["version"] <= version + 2
    assert edited["search_key"] != "forged"
    assert database_fingerprint(*legitimate) == others
    assert row(Participant, world.other_person.id)["name"] == "Sharipov Daler"


def test_session_form_ignores_smuggled_status_counters_and_ids(organiser_client, world):
    form = {**SMUGGLED, "status": "published", **session_data(world.forum.id, title="Trust")}
    response = organiser_client.post("/staff/sessions/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(sa.select(ForumSession).where(ForumSession.title == "Trust")).one()
    stored = row(ForumSession, created.id)
    assert stored["status"] is SessionStatus.draft  # publishing is its own button, with its own checks
    assert stored["version"] == 1 and stored["sequence"] == 0 and stored["id"] != 999

    version = row(ForumSession, world.session.id)["version"]
    edit = {**session_data(world.forum.id, title="Water and land, again"), **SMUGGLED,
            "status": "cancelled", "version": str(version)}
    assert organiser_client.post(f"/staff/sessions/{world.session.id}/edit", data=edit).status_code == 302
    edited = row(ForumSession, world.session.id)
    assert edited["status"] is SessionStatus.published and edited["version"] == version + 1
    assert edited["title"] == "Water and land, again"
    assert row(ForumSession, world.other_session.id)["title"] == "Other"


def test_forum_form_ignores_smuggled_fields(organiser_client, world):
    form = {**SMUGGLED, "title": "Economic forum", "kind": "economic_forum"}
    response = organiser_client.post("/staff/forums/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(sa.select(Forum).where(Forum.title == "Economic forum")).one()
    stored = row(Forum, created.id)
    assert stored["version"] == 1 and stored["id"] != 999 and stored["created_at"].year >= 2026


def test_status_form_changes_only_the_status(organiser_client, world):
    before = database_fingerprint("registration", "forum_session.balance_stamp")
    form = {**SMUGGLED, "status": "registered", "session_id": str(world.other_session.id),
            "participant_id": str(world.other_person.id)}
    response = organiser_client.post(f"/staff/registrations/{world.registration.id}/status", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = row(Registration, world.registration.id)
    assert stored["status"] is RegistrationStatus.registered and stored["checked_in_at"] is None
    assert (stored["session_id"], stored["participant_id"]) == (world.session.id, world.person.id)
    assert database_fingerprint("registration", "forum_session.balance_stamp") == before


def test_new_staff_account_takes_only_the_role_chosen(client, create_user, world):
    sign_in_without_password(client, create_user("admin"))
    form = {**SMUGGLED, "email": "new.organiser@example.org", "password": "a long and unusual passphrase 42",
            "role": "organiser"}
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    created = db.session.scalars(sa.select(User).where(User.email == "new.organiser@example.org")).one()
    stored = row(User, created.id)
    assert stored["role"].value == "organiser"
    assert stored["can_export_names"] is False and stored["is_active"] is True and stored["session_version"] == 1


def test_personal_answer_cannot_choose_a_status_or_another_person(client, world):
    token = links.issue(world.person).token
    other = register(world.session, world.other_person, RegistrationStatus.invited)
    db.session.commit()
    response = client.post(f"/p/{token}/sessions/{world.session.id}/answer",
                           data={"answer": "accept", "status": "attended", "participant_id": str(world.other_person.id),
                                 "registration_id": str(other.id), "checked_in_at": "2020-01-01T00:00:00"})
    assert response.status_code == 302
    mine, theirs = row(Registration, world.registration.id), row(Registration, other.id)
    assert mine["status"] is RegistrationStatus.registered and mine["checked_in_at"] is None
    assert theirs["status"] is RegistrationStatus.invited
