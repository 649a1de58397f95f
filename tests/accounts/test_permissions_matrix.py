"""Every route of the app, as every role, on real objects: need-to-know holds everywhere (ASVS 8.2, 8.3).

The routes come from ``app.url_map``, so a new route is tested the day it is added. Each endpoint has
an access level: from the explicit table ``ENDPOINT_LEVELS``, else from its blueprint's default in
``BLUEPRINT_LEVELS`` (only restrictive levels may be defaults). An endpoint of a new blueprint, or a
public one nobody listed, fails ``test_every_endpoint_has_an_access_level``: nothing slips past.

Object ids are substituted from one fixture database, in variants: a published public session, an
invitation session the facilitator is *not* assigned to, one he *is* assigned to, and for personal
links a token that belongs to someone else's session or to nobody; and a session of a second forum
(``foreign``), which an organiser limited to the first forum (``scoped``) may not know exists.
"""

import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.routing import Rule

from forums.accounts.tokens import create_token, issue_token
from forums.floor import operations
from forums.registrations.operations import register
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    AuditEntry,
    OrganiserForum,
    PersonalLink,
    RegistrationStatus,
    SessionFacilitator,
    User,
    db,
    utcnow,
)
from tests.conftest import sign_in_without_password
from tests.test_security_headers import header_problems

# Access levels, from the most open to the most closed.
PUBLIC = "public"            # anyone, for published public sessions
PERSONAL = "personal"        # anyone holding that person's personal link (the token is the key)
SIGNED_IN = "signed-in"      # every staff role; facilitators only ever see their own sessions in it
FACILITATED = "facilitated"  # admins, organisers, and facilitators assigned to the session
STAFF = "staff"              # admins and organisers
ADMIN = "admin"              # admins only
SIGNING_IN = "signing-in"    # the second step of sign-in: only a caller whose password was just right gets past it

#: endpoints whose level is not their blueprint's default; PUBLIC is the explicit allowlist
ENDPOINT_LEVELS: dict[str, str] = {
    "static": PUBLIC,
    "public.index": PUBLIC,
    "public.session_page": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": SIGNED_IN,
    "auth.second_factor": SIGNING_IN,
    "api.openapi": PUBLIC,
    "api.session_calendar": PUBLIC,
    "api.get_session": PUBLIC,
    "api.list_sessions": PUBLIC,
    "api.list_dimensions": PUBLIC,
    "staff.session_list": SIGNED_IN,
    "desk.home": SIGNED_IN,
    "api.list_forums": SIGNED_IN,
    "api.get_forum": SIGNED_IN,
    "api.get_session_policy": FACILITATED,
    "api.audit_list": ADMIN,
    "lifecycle.retention_purge": ADMIN,
    "lifecycle.erase_lookup": ADMIN,
    "lifecycle.erase": ADMIN,
    "balance.session_dashboard": FACILITATED,
    "api.get_session_balance": FACILITATED,
    "api.checkin_list": FACILITATED,
    "api.checkin_summary": FACILITATED,
    "api.checkin_create": FACILITATED,
    "api.checkin_undo": FACILITATED,
    "api.checkin_roster": FACILITATED,
    "api.checkin_events": FACILITATED,
    # the check-in page's service worker: a script, the same for everyone
    "checkin.service_worker": PUBLIC,
    "checkin.review": STAFF,
    "checkin.settle_review": STAFF,
    "api.token_list": SIGNED_IN,
    "api.token_create": SIGNED_IN,
    # The matrix revokes the second facilitator's token: only an admin may revoke someone else's.
    "api.token_revoke": ADMIN,
    "account.token_revoke": ADMIN,
    "checkin.add_facilitator": STAFF,
    "checkin.remove_facilitator": STAFF,
    "signup.signup": PUBLIC,
    "signup.confirm": PUBLIC,
    # the projector: anyone holding the list's display token (the world's is a real one)
    "floor.display": PUBLIC,
    "floor.display_json": PUBLIC,
    "floor.chatham_house": STAFF,
    "api.get_floor_report": FACILITATED,
    "api.get_floor_list": FACILITATED,
}

#: the level of every other endpoint of a blueprint; never PUBLIC, so nothing becomes public by default
BLUEPRINT_LEVELS: dict[str, str] = {
    "admin": ADMIN,
    "audit": ADMIN,
    "account": SIGNED_IN,
    "my_account": SIGNED_IN,
    "api": STAFF,
    "staff": STAFF,
    "desk": STAFF,
    "catalogue": STAFF,
    "people": STAFF,
    "registrations": STAFF,
    "lifecycle": STAFF,
    "balance": STAFF,
    "selection": STAFF,
    "signup": STAFF,
    "reports": STAFF,
    "checkin": FACILITATED,
    "personal": PERSONAL,
    "concerns": STAFF,
    "concerns_personal": PERSONAL,
    "floor": FACILITATED,
    "mail": STAFF,
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ROLES = ("anonymous", "facilitator", "organiser", "scoped", "admin")
#: the account role of each matrix role whose name is not one
ROLE_NAMES = {"scoped": "organiser"}
#: endpoints that act on a person's records in every forum: refused (403) to an organiser limited to some forums
WHOLE_REGISTER_ENDPOINTS = frozenset({"people.participant_merge"})
#: which id variants each role is tried with (see ``World.values``)
ROLE_VARIANTS = {
    "anonymous": ("public", "private", "cross", "bad"),
    "facilitator": ("public", "private", "assigned", "cross"),
    "organiser": ("private",),
    "scoped": ("private", "foreign"),
    "admin": ("public", "private"),
}
#: URL variables that pick an object, so change between variants
OBJECT_VARIABLES = frozenset({"session_id", "registration_id", "participant_id", "item_id", "token"})


def level_of(endpoint: str) -> str | None:
    """The access level of an endpoint, or None when no table covers it."""
    if endpoint in ENDPOINT_LEVELS:
        return ENDPOINT_LEVELS[endpoint]
    return BLUEPRINT_LEVELS.get(endpoint.partition(".")[0]) if "." in endpoint else None


@dataclass
class Person:
    """A fixture participant and what must never leak about them."""

    id: int
    token: str
    registration_id: int
    secrets: tuple[str, ...]


@dataclass
class World:
    """The fixture database: three sessions, a person registered in each, four users."""

    forum_id: int
    #: the second forum, of the ``foreign`` session, outside the scoped organiser's forums
    foreign_forum_id: int
    sessions: dict[str, int]
    session_titles: dict[str, str]
    items: dict[str, int]
    people: dict[str, Person]
    users: dict[str, int]
    victim_id: int
    speaker_name: str
    #: an API token of the second facilitator (the victim), which only an admin may revoke
    victim_token_id: int
    #: ``list_id`` and ``speech_id`` per session key, and the projector token of the public session's list
    floor_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    display_token: str = ""

    def values(self, variant: str) -> dict[str, Any]:
        """URL values for a variant: ``public``, ``private`` (facilitator not assigned), ``assigned``,
        ``cross`` (a personal token used on another person's session) or ``bad`` (an unknown token)."""
        base = {"cross": "private", "bad": "public"}.get(variant, variant)
        person = self.people[base]
        token = {"cross": self.people["public"].token, "bad": "x" * 43}.get(variant, person.token)
        return {
            "session_id": self.sessions[base], "registration_id": person.registration_id,
            "participant_id": person.id, "item_id": self.items[base], "token": token,
            "forum_id": self.foreign_forum_id if variant == "foreign" else self.forum_id, "user_id": self.victim_id,
            "policy": "optional", "key": "group", "filename": "app.css",
            "change": "grant", "direction": "down", "token_id": self.victim_token_id,
            # concerns, issues, answers and commitments are changed by id only (their lists are per session)
            "concern_id": 987654, "issue_id": 987654, "answer_id": 987654, "commitment_id": 987654,
            # outbox messages are acted on by id only (their list is the whole outbox)
            "message_id": 987654,
            # check-in events flagged for staff are settled by id only (their list is per session)
            "event_id": 987654,
            # each session's list of speakers and its one speech; a display id nobody has
            **{name: ids[base] for name, ids in self.floor_ids.items()}, "display_id": 987654,
            "display_token": self.display_token,
        }

    def secrets_for(self, role: str, level: str, variant: str, refused: bool) -> list[str]:
        """Strings the response must not contain; a refusal names nobody."""
        all_people = [s for person in self.people.values() for s in person.secrets]
        if role in ("organiser", "admin"):
            return all_people if refused else []
        if role == "scoped":
            if refused:
                return all_people
            # Personal pages are the other roles' test; every other page hides the other forum entirely.
            return [] if level == PERSONAL else [self.session_titles["foreign"], *self.people["foreign"].secrets]
        hidden_sessions = ["private", "assigned", "foreign"] if role == "anonymous" else ["private", "foreign"]
        hidden_people = (["public", "private", "assigned", "foreign"] if role == "anonymous"
                         else ["public", "private", "foreign"])
        if level == PERSONAL and not refused and variant in self.people:
            # One's own page names oneself and one's own session, nobody else.
            hidden_people = [key for key in hidden_people if key != variant]
            hidden_sessions = [key for key in hidden_sessions if key != variant]
        if refused:
            hidden_people = list(self.people)
        return ([self.session_titles[key] for key in hidden_sessions]
                + [s for key in hidden_people for s in self.people[key].secrets])


@pytest.fixture
def world(app: Flask, create_user, create_forum, create_session, create_participant) -> World:
    """Build the fixture database the matrix substitutes ids from."""
    forum = create_forum(title="Discussion Club")
    other_forum = create_forum(title="Border Commission")
    titles = {"public": "Open evening on water", "private": "Closed round table Sarband",
              "assigned": "Closed round table Khorog", "foreign": "Border round table Isfara"}
    sessions = {
        "public": create_session(forum=forum, title=titles["public"]),
        "private": create_session(forum=forum, title=titles["private"], visibility="invitation"),
        "assigned": create_session(forum=forum, title=titles["assigned"], visibility="invitation",
                                   region="gorno_badakhshan"),
        "foreign": create_session(forum=other_forum, title=titles["foreign"], visibility="invitation"),
    }
    speaker = create_participant("Speaker Published Sharipov", organisation="Academy", group="academia")
    details = {"public": ("Zulfiya Pubova", "uto", "+992900000101"),
               "private": ("Farrukh Privatov", "government", "+992900000202"),
               "assigned": ("Gulnora Ownova", "minorities", "+992900000303"),
               "foreign": ("Sherali Borderov", "uto", "+992900000404")}
    people: dict[str, Person] = {}
    items: dict[str, int] = {}
    for key, forum_session in sessions.items():
        name, group, phone = details[key]
        participant = create_participant(name, organisation=f"{name} Union", group=group)
        participant.email = f"{key}.person@example.net"
        participant.phone = phone
        item = AgendaItem(forum_session=forum_session, position=1, title=f"Opening of {key}",
                          kind=AgendaKind.opening, starts_at=forum_session.starts_at,
                          ends_at=forum_session.starts_at + timedelta(minutes=30))
        item.speakers.append(AgendaSpeaker(participant=speaker, position=0))
        db.session.add(item)
        registration = register(forum_session, participant, RegistrationStatus.registered)
        token = secrets.token_urlsafe(32)
        db.session.add(PersonalLink(participant_id=participant.id, token=token, created_at=utcnow()))
        db.session.flush()
        people[key] = Person(participant.id, token, registration.id,
                             (name, participant.organisation, participant.email, participant.phone))
        items[key] = item.id
    users = {role: create_user(role) for role in ("admin", "organiser", "facilitator")}
    users["scoped"] = create_user("organiser", email="scoped.organiser@example.org")
    db.session.add(OrganiserForum(user_id=users["scoped"].id, forum_id=forum.id))
    victim = create_user("facilitator", email="second.facilitator@example.org")
    db.session.add(SessionFacilitator(session_id=sessions["assigned"].id, user_id=users["facilitator"].id))
    db.session.add(SessionFacilitator(session_id=sessions["private"].id, user_id=victim.id))
    victim_token, _token = create_token(victim, name="victim's script")
    floor_lists = {key: operations.open_list(forum_session, None) for key, forum_session in sessions.items()}
    floor_speeches = {key: operations.add_request(floor_list, kind="contribution", categories={"group": "uto"})
                      for key, floor_list in floor_lists.items()}
    display_token = operations.create_display(floor_lists["public"], hide_labels=False)
    db.session.commit()
    return World(forum.id, other_forum.id, {k: s.id for k, s in sessions.items()}, titles, items, people,
                 {role: user.id for role, user in users.items()}, victim.id, speaker.name, victim_token.id,
                 {"list_id": {key: floor_list.id for key, floor_list in floor_lists.items()},
                  "speech_id": {key: speech.id for key, speech in floor_speeches.items()}}, display_token)


@dataclass(frozen=True)
class Call:
    """One request of the matrix."""

    endpoint: str
    method: str
    url: str
    variant: str
    is_api: bool


def build_url(rule: Rule, values: dict[str, Any]) -> str:
    """The rule's path with ``values`` filled in; an unknown variable is a failure to fix here."""
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add a value for {sorted(missing)} to World.values"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^<>:]+:)?" + name + r">", str(values[name]), path)
    return path


def calls_for(app: Flask, world: World, variants: tuple[str, ...]) -> list[Call]:
    """Every rule and method in the given variants: reads first, then writes, deletes last."""
    calls: dict[tuple[str, str], Call] = {}
    for rule in app.url_map.iter_rules():
        for variant in variants:
            # A forum is an object only to the scoped organiser: it is the one whose forums differ.
            object_variables = (OBJECT_VARIABLES | ({"forum_id"} if variant == "foreign" else set())) & set(
                rule.arguments)
            if not object_variables and variant != variants[0]:
                continue  # nothing differs between variants
            if variant in ("cross", "bad") and "token" not in object_variables:
                continue
            url = build_url(rule, world.values(variant))
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                calls.setdefault((method, url), Call(rule.endpoint, method, url,
                                                     variant if object_variables else "none",
                                                     rule.rule.startswith("/api/")))
    order = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}
    return sorted(calls.values(), key=lambda call: (order.get(call.method, 5), call.url))


def may_be_granted(role: str, level: str, variant: str, endpoint: str = "") -> bool:
    """Whether ``role`` may succeed on an endpoint of ``level`` with the objects of ``variant``."""
    if level == SIGNING_IN:
        return False  # the matrix signs in without the password, so no one is between the two steps
    if role == "admin":
        return True
    if role == "organiser":
        return level != ADMIN
    if role == "scoped":
        if level == ADMIN or endpoint in WHOLE_REGISTER_ENDPOINTS:
            return False
        # Signed in, even a personal link of someone known only in another forum leads nowhere.
        return variant != "foreign" and (variant in ("public", "private", "assigned") if level == PERSONAL else True)
    if level == PERSONAL:
        return variant in ("public", "private", "assigned")
    if level == PUBLIC:
        visible = ("none", "public", "assigned") if role == "facilitator" else ("none", "public")
        return variant in visible
    if role == "facilitator":
        return level == SIGNED_IN or (level == FACILITATED and variant == "assigned")
    return False


#: endpoints every role uses on its own objects (its tokens); the matrix tries them on someone else's, which by the
#: rule is an object the caller may not know: 404 for every role but admin
OWN_OBJECT_ENDPOINTS = frozenset({"api.token_revoke", "account.token_revoke"})


def expected_refusal(role: str, level: str, variant: str, is_api: bool, endpoint: str = "") -> int | str:
    """The one refusal ``forums.accounts.permissions`` prescribes (``"login"``: a redirect to the sign-in page).

    Role first: a signed-in role that may never use the endpoint gets 403 whatever the id. Then the object: one
    the reader may not know exists (a session neither public nor theirs, someone else's token) is a 404; one
    the reader may see but not act on (the check-in of a public session not theirs) is a 403.
    """
    if level == SIGNING_IN:
        return "login"
    if role == "anonymous":
        if level in (PUBLIC, PERSONAL):
            return 404
        return 401 if is_api else "login"
    if endpoint in OWN_OBJECT_ENDPOINTS:
        return 404
    if role == "scoped":
        # Another forum's objects do not exist for an organiser limited to theirs; whole-register acts are 403.
        return 403 if level == ADMIN or endpoint in WHOLE_REGISTER_ENDPOINTS or variant != "foreign" else 404
    if level in (STAFF, ADMIN) or variant == "none":
        return 403
    if level == FACILITATED and variant == "public":
        return 403
    return 404


def refusal_of(response: Any) -> int | str:
    """The refusal a response gives, in ``expected_refusal``'s terms."""
    if 300 <= response.status_code < 400:
        return "login"
    return int(response.status_code)


def is_refusal(response: Any) -> bool:
    """401, 403, 404, or a redirect to the sign-in page."""
    if 300 <= response.status_code < 400:
        return "/login" in response.headers.get("Location", "")
    return response.status_code in (401, 403, 404)


def is_granted(response: Any) -> bool:
    """A 2xx, or a redirect anywhere but the sign-in page (a form that did its work)."""
    if 300 <= response.status_code < 400:
        return "/login" not in response.headers.get("Location", "")
    return 200 <= response.status_code < 300


class Actor:
    """Sends the matrix's requests as one role: a session cookie for pages, a bearer token for the API."""

    def __init__(self, app: Flask, world: World, role: str) -> None:
        self.role = role
        self.client = app.test_client()
        self.user_id = world.users.get(role)
        self.api_headers: dict[str, str] = {}
        if self.user_id is not None:
            self.api_headers = {"Authorization": f"Bearer {issue_token(db.session.get(User, self.user_id))}"}
            db.session.commit()
        self.signed_in = False

    def send(self, call: Call) -> Any:
        """One call; a write may have signed the actor out (sign-out), so sign in again after it."""
        if self.user_id is not None and not call.is_api and not self.signed_in:
            db.session.expire_all()
            sign_in_without_password(self.client, db.session.get(User, self.user_id))
            self.signed_in = True
        kwargs: dict[str, Any] = {"method": call.method}
        if call.is_api:
            kwargs["headers"] = self.api_headers
            if call.method in WRITE_METHODS:
                kwargs["json"] = {}
        elif call.method in WRITE_METHODS:
            kwargs["data"] = {}
        with self.client.open(call.url, **kwargs) as response:
            response.get_data()
        if call.method != "GET":
            self.signed_in = False
        return response


def run_matrix(app: Flask, world: World, role: str) -> Iterator[tuple[Call, Any]]:
    """Every call of ``role``'s variants, with its response."""
    actor = Actor(app, world, role)
    for call in calls_for(app, world, ROLE_VARIANTS[role]):
        yield call, actor.send(call)


def problems_of(role: str, world: World, call: Call, response: Any) -> list[str]:
    """What is wrong with one response, in words."""
    level = level_of(call.endpoint) or STAFF
    granted = is_granted(response)
    status = response.status_code
    found: list[str] = []
    if status >= 500:
        found.append(f"server error {status}")
    elif not may_be_granted(role, level, call.variant, call.endpoint):
        if granted:
            found.append(f"granted ({status}) on a {level} route")
        elif not is_refusal(response):
            # Refuse before reading input: a 422 to someone without access means validation ran first.
            found.append(f"refused with {status} instead of 401/403/404 or a sign-in redirect")
        elif refusal_of(response) != (expected := expected_refusal(role, level, call.variant, call.is_api,
                                                                                call.endpoint)):
            found.append(f"refused with {refusal_of(response)}, but the rule says {expected}")
    found += header_problems(response)
    personal = role != "anonymous" or (level == PERSONAL and not is_refusal(response))
    if personal and call.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
        found.append("personal or staff response without Cache-Control: no-store")
    body = response.get_data(as_text=True)
    leaked = [text for text in world.secrets_for(role, level, call.variant, is_refusal(response)) if text in body]
    if leaked:
        found.append(f"shows {leaked}")
    return [f"{role} {call.method} {call.url} [{call.variant}, {level}] -> {status}: {what}" for what in found]


def refusal_log_problems(role: str, world: World, call: Call, response: Any, records: list[Any]) -> list[str]:
    """A refusal is logged once, naming the rule, the status and the caller; no log line names a person."""
    messages = [record.getMessage() for record in records]
    found = []
    if response.status_code in (401, 403, 404):
        caller = "an anonymous caller" if role == "anonymous" else f"({ROLE_NAMES.get(role, role)})"
        logged = [message for message in messages if message.startswith(f"Refused {call.method} ")
                  and f" with {response.status_code} for " in message and caller in message]
        if len(logged) != 1:
            found.append(f"refusal logged {len(logged)} times: {messages}")
    secrets = [s for person in world.people.values() for s in (*person.secrets, person.token)]
    leaked = [s for s in secrets for message in messages if s in message]
    if leaked:
        found.append(f"log names {leaked}")
    return [f"{role} {call.method} {call.url} -> {response.status_code}: {what}" for what in found]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role(app, world, role, caplog):
    caplog.set_level(logging.INFO)
    problems: list[str] = []
    granted_reads: set[tuple[str, str]] = set()
    logged = 0
    for call, response in run_matrix(app, world, role):
        problems += problems_of(role, world, call, response)
        problems += refusal_log_problems(role, world, call, response, caplog.records[logged:])
        logged = len(caplog.records)
        if call.method == "GET" and is_granted(response):
            granted_reads.add((call.endpoint, call.variant))
    problems += _missing_grants(role, app, granted_reads)
    assert problems == [], "\n".join(problems)
    if role == "admin":
        _assert_audit_holds_no_personal_values(world)


def _missing_grants(role: str, app: Flask, granted_reads: set[tuple[str, str]]) -> list[str]:
    """The tables say who may read; check they are right, so the matrix is not passing by refusing all."""
    expected_variant = {"admin": ("public", "private", "none"), "facilitator": ("assigned", "none"),
                        "anonymous": ("public", "none"), "organiser": ("private", "none"),
                        "scoped": ("private", "none")}[role]
    missing = []
    for rule in app.url_map.iter_rules():
        level = level_of(rule.endpoint)
        if "GET" not in (rule.methods or ()) or level is None:
            continue
        variants = {variant for endpoint, variant in granted_reads if endpoint == rule.endpoint}
        if any(may_be_granted(role, level, variant, rule.endpoint) for variant in expected_variant) and not (
                variants & set(expected_variant)):
            missing.append(f"{role} GET {rule.rule} [{level}]: refused, but its level says it may read it")
    return missing


def _assert_audit_holds_no_personal_values(world: World) -> None:
    """The admin run read every register page and API: the log names objects, never people."""
    db.session.expire_all()
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert entries, "reading the register as admin should leave audit entries"
    stored = "\n".join(f"{e.actor}|{e.action}|{e.object_type}|{e.detail}" for e in entries)
    for person in world.people.values():
        for text in person.secrets:
            assert text not in stored
    for affiliation in ("United Tajik Opposition", "Government", "National minorities"):
        assert affiliation.lower() not in stored.lower()


def test_every_endpoint_has_an_access_level(app):
    unclassified = sorted({rule.endpoint for rule in app.url_map.iter_rules() if level_of(rule.endpoint) is None})
    assert unclassified == [], (
        f"add these endpoints to ENDPOINT_LEVELS or their blueprint to BLUEPRINT_LEVELS: {unclassified}")
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted(set(ENDPOINT_LEVELS) - endpoints)
    assert stale == [], f"these endpoints no longer exist: {stale}"
    assert PUBLIC not in BLUEPRINT_LEVELS.values(), "public access is granted per endpoint, never per blueprint"
