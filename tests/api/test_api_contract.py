"""The API contract (shared/contracts/API.md), checked line by line as a client would meet it.

Each test names the contract line it holds the app to. Lines covered in depth elsewhere are only
walked through here (shapes and statuses), not repeated:
- create-token, revoked tokens, CSRF for cookie calls: test_api_catalog, test_cli, test_csrf;
- 401 without a token on every route, same permissions as the pages: test_permissions_matrix;
- waitlist basics, duplicates, audited reads of people and lists: test_api_people;
- check-in search, paging, request ids, undo: test_checkin_api; old link stops working: test_personal;
- balance shape, stages, rounding, policy refusals and fallback: test_balance_api;
- OpenAPI 3.1, every route documented: test_api_openapi.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from models import Registration, RegistrationStatus, SessionFacilitator, User, db
from tests.conftest import TEST_YEAR, sign_in_without_password

#: a time as the contract shows it: ISO 8601 with the display zone's offset
DUSHANBE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?\+05:00$")
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
API = "/api/v1"
START, END = f"{TEST_YEAR}-12-03T10:00:00+05:00", f"{TEST_YEAR}-12-03T13:00:00+05:00"

# Answer shapes: each key the contract lists, with its JSON type (None allowed where it says so).
DIMENSION = {"key": str, "name": str, "categories": list}
CATEGORY = {"key": str, "name": str, "counts_toward_balance": bool}
FORUM = {"id": int, "title": str, "kind": str, "description": str}
SPEAKER = {"name": str, "organisation": str}
AGENDA_ITEM = {"id": int, "position": int, "starts_at": str, "ends_at": str, "title": str, "kind": str,
               "speakers": list}
SESSION = {"id": int, "forum_id": int, "title": str, "starts_at": str, "ends_at": str, "venue": str,
           "region": str, "capacity": int, "visibility": str, "status": str, "agenda": list}
REGISTRATION = {"id": int, "participant_id": int, "session_id": int, "status": str}
CHECKIN_LIST = {"items": list, "attended": int, "expected": int}
CHECKIN_ITEM = {"registration_id": int, "participant_id": int, "name": str, "status": str,
                "checked_in_at": (str, type(None))}
AUDIT_ENTRY = {"id": int, "at": str, "actor": str, "action": str, "object_type": str,
               "object_id": (int, type(None))}
QUOTA = {"dimension": str, "category": str}
REPORT = {"session_id": int, "stage": str, "total": int, "ok": bool, "dimensions": list, "suggestions": list}
REPORT_DIMENSION = {"key": str, "counted": int, "gallagher": (float, int, type(None)), "ok": bool,
                    "categories": list}
REPORT_CATEGORY = {"key": str, "count": int, "share": (float, int), "target_share": (float, int, type(None)),
                   "min_count": (int, type(None)), "max_count": (int, type(None)),
                   "min_share": (float, int, type(None)), "max_share": (float, int, type(None)), "status": str}


def assert_shape(body: Any, shape: dict[str, Any]) -> None:
    """``body`` is an object with at least ``shape``'s keys, each of its JSON type (true is no number)."""
    assert isinstance(body, dict), body
    missing = set(shape) - set(body)
    assert not missing, f"missing {missing} in {body}"
    for key, expected in shape.items():
        value = body[key]
        assert isinstance(value, expected), f"{key}={value!r} is not {expected}"
        if isinstance(value, bool):
            assert expected is bool or (isinstance(expected, tuple) and bool in expected), f"{key} is a boolean"


def assert_list(body: Any, item_shape: dict[str, Any]) -> list[dict[str, Any]]:
    """A list answer: ``{"items", "next"}`` with at most 100 items of ``item_shape``."""
    assert_shape(body, {"items": list, "next": (str, type(None))})
    assert len(body["items"]) <= 100
    for item in body["items"]:
        assert_shape(item, item_shape)
    return body["items"]


def times_in(body: Any) -> Iterator[str]:
    """Every non-null time of an answer: values under ``at`` and ``*_at`` keys, at any depth."""
    if isinstance(body, dict):
        for key, value in body.items():
            if (key == "at" or key.endswith("_at")) and value is not None:
                yield value
            else:
                yield from times_in(value)
    elif isinstance(body, list):
        for value in body:
            yield from times_in(value)


def answer(response: Any, status: int, *, check_times: bool = True) -> Any:
    """The JSON of a successful answer, after checking its status and that its times show +05:00."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    body = response.get_json()
    for moment in times_in(body) if check_times else ():
        assert DUSHANBE_TIME.match(moment), f"{moment!r} is not ISO 8601 with the +05:00 offset"
    return body


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Exactly ``{"error": {"code", "message", "fields"}}`` with ``status``; ``field`` named if given."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert SLUG.match(error["code"]) and isinstance(error["message"], str) and error["message"].strip()
    assert isinstance(error["fields"], dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items())
    if field is not None:
        assert field in error["fields"], error
    return error


def database_snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a failed request changed nothing."""
    db.session.expire_all()
    return {table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables}


def assign_facilitator(user: User, session_id: int) -> None:
    """Make ``user`` a facilitator of the session."""
    db.session.add(SessionFacilitator(session_id=session_id, user_id=user.id))
    db.session.commit()


@pytest.fixture
def organiser(create_user, token_for) -> dict[str, str]:
    """Headers of an organiser's token."""
    return token_for(create_user("organiser"))


@pytest.fixture
def admin(create_user, token_for) -> dict[str, str]:
    """Headers of an admin's token."""
    return token_for(create_user("admin"))


@pytest.fixture
def seat(create_participant) -> Callable[..., Registration]:
    """``seat(forum_session, name, status)``: a registration stored in that status as-is."""
    def _seat(forum_session, name: str = "Rahimova Nigora", status: str = "registered", **categories: str):
        registration = Registration(forum_session=forum_session, status=RegistrationStatus(status),
                                    participant=create_participant(name, **categories))
        db.session.add(registration)
        db.session.commit()
        return registration

    return _seat


# Resources: every row of the table, walked in the order a client builds a session ----------------

def test_a_client_walks_every_resource_row_of_the_contract(client, create_user, organiser, admin):
    dimensions = assert_list(answer(client.get(f"{API}/dimensions"), 200), DIMENSION)
    for dimension in dimensions:
        for each in dimension["categories"]:
            assert_shape(each, CATEGORY)
    assert_shape(answer(client.post(f"{API}/dimensions", headers=organiser,
                                    json={"key": "age_band", "name": "Age band"}), 201), DIMENSION)
    category = answer(client.post(f"{API}/dimensions/age_band/categories", headers=organiser,
                                  json={"key": "under_30", "name": "Under 30", "counts_toward_balance": True}), 201)
    assert_shape(category, CATEGORY)
    assert category["counts_toward_balance"] is True

    forum = answer(client.post(f"{API}/forums", headers=organiser, json={
        "title": "Discussion Club", "kind": "discussion_club", "description": "Urgent issues"}), 201)
    assert_shape(forum, FORUM)
    assert [f["id"] for f in assert_list(answer(client.get(f"{API}/forums", headers=organiser), 200), FORUM)] \
        == [forum["id"]]

    session = answer(client.post(f"{API}/sessions", headers=organiser, json={
        "forum_id": forum["id"], "title": "Water and land", "starts_at": START, "ends_at": END,
        "venue": "Hotel Tajikistan", "region": "kurgan_tyube", "capacity": 30, "visibility": "invitation"}), 201)
    assert_shape(session, SESSION)
    assert (session["starts_at"], session["region"], session["visibility"], session["agenda"]) \
        == (START, "kurgan_tyube", "invitation", [])
    sid = session["id"]
    assert answer(client.patch(f"{API}/sessions/{sid}", headers=organiser, json={"capacity": 40}), 200)["capacity"] \
        == 40

    person = answer(client.post(f"{API}/participants", headers=organiser, json={
        "name": "Раҳимова Нигора", "organisation": "Women's Council", "email": "nigora@example.org",
        "phone": "+992 37 221 00 00", "languages": ["ru", "tg"],
        "categories": {"group": "civil_society", "region": "kulyab", "gender": "woman"}}), 201)
    assert_shape(person, {"id": int, "name": str})
    registration = answer(client.post(f"{API}/sessions/{sid}/registrations", headers=organiser,
                                      json={"participant_id": person["id"], "status": "registered"}), 201)
    assert_shape(registration, REGISTRATION)
    assert (registration["participant_id"], registration["session_id"], registration["status"]) \
        == (person["id"], sid, "registered")
    confirmed = answer(client.patch(f"{API}/registrations/{registration['id']}", headers=organiser,
                                    json={"status": "confirmed"}), 200)
    assert_shape(confirmed, REGISTRATION)
    assert confirmed["status"] == "confirmed"

    item = answer(client.post(f"{API}/sessions/{sid}/agenda", headers=organiser, json={
        "title": "Water rights in the south", "starts_at": START, "ends_at": f"{TEST_YEAR}-12-03T11:00:00+05:00",
        "kind": "presentation", "speaker_ids": [person["id"]]}), 201)
    assert_shape(item, AGENDA_ITEM)
    assert item["speakers"] == [{"name": "Раҳимова Нигора", "organisation": "Women's Council"}]
    shown = answer(client.get(f"{API}/sessions/{sid}", headers=organiser), 200)
    assert_shape(shown, SESSION)
    assert_shape(shown["agenda"][0], AGENDA_ITEM)
    assert_shape(shown["agenda"][0]["speakers"][0], SPEAKER)
    listed = assert_list(answer(client.get(f"{API}/sessions", headers=organiser,
                                           query_string={"forum": forum["id"], "from": START, "to": END}), 200),
                         SESSION)
    assert [s["id"] for s in listed] == [sid]
    calendar = client.get(f"{API}/sessions/{sid}/calendar.ics", headers=organiser)
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    assert calendar.get_data(as_text=True).count("BEGIN:VEVENT") == 1

    registrations = assert_list(answer(client.get(f"{API}/sessions/{sid}/registrations", headers=organiser,
                                                  query_string={"status": "confirmed"}), 200),
                                {**REGISTRATION, "name": str, "categories": dict})
    assert registrations[0]["categories"] == {"group": "civil_society", "region": "kulyab", "gender": "woman"}
    assert answer(client.get(f"{API}/participants/{person['id']}", headers=organiser), 200)["id"] == person["id"]

    create_user("facilitator", email="door@example.org")
    assert client.post(f"{API}/sessions/{sid}/facilitators", headers=organiser,
                       json={"email": "door@example.org"}).status_code == 201
    checkin = answer(client.get(f"{API}/sessions/{sid}/checkin", headers=organiser, query_string={"q": "НИГОРА"}),
                     200)
    assert_shape(checkin, CHECKIN_LIST)
    assert_shape(checkin["items"][0], CHECKIN_ITEM)
    checked_in = answer(client.post(f"{API}/sessions/{sid}/checkin", headers=organiser,
                                    json={"registration_id": registration["id"], "request_id": "tablet-1"}), 200)
    assert_shape(checked_in, REGISTRATION)
    assert checked_in["status"] == "attended"
    undone = answer(client.delete(f"{API}/sessions/{sid}/checkin/{registration['id']}", headers=organiser), 200)
    assert undone["status"] == "confirmed"

    link = answer(client.get(f"{API}/participants/{person['id']}/link", headers=organiser), 200)
    assert set(link) >= {"url"} and isinstance(link["url"], str)
    assert answer(client.post(f"{API}/participants/{person['id']}/link", headers=organiser), 201)["url"] \
        != link["url"]

    policy = answer(client.put(f"{API}/sessions/{sid}/policy", headers=organiser, json={"quotas": [
        {"dimension": "group", "category": "civil_society", "min_count": 1, "max_count": 20, "min_share": 0.1,
         "max_share": 0.5, "target_share": 0.25}]}), 200, check_times=False)
    assert_shape(policy["quotas"][0], {**QUOTA, "min_count": int, "max_count": int, "min_share": float,
                                       "max_share": float, "target_share": float})
    # (the policy's updated_at: test_the_policy_shows_when_it_changed_in_the_display_zone)
    assert answer(client.get(f"{API}/sessions/{sid}/policy", headers=organiser), 200,
                  check_times=False)["quotas"] == policy["quotas"]
    report = answer(client.get(f"{API}/sessions/{sid}/balance", headers=organiser), 200)
    assert_shape(report, REPORT)
    for dimension in report["dimensions"]:
        assert_shape(dimension, REPORT_DIMENSION)
        for line in dimension["categories"]:
            assert_shape(line, REPORT_CATEGORY)
            assert line["status"] in {"under", "over", "ok"}

    entries = assert_list(answer(client.get(f"{API}/audit", headers=admin), 200), AUDIT_ENTRY)
    assert {"participant.read", "registrations.read"} <= {entry["action"] for entry in entries}


# Conventions ------------------------------------------------------------------------------------

def test_every_kind_of_failure_answers_exactly_the_error_format(client, create_user, token_for, organiser,
                                                                 create_session):
    forum_session = create_session()
    facilitator = token_for(create_user("facilitator"))
    assert_error(client.post(f"{API}/forums", headers=organiser, data="{", content_type="application/json"), 400)
    assert_error(client.get(f"{API}/forums"), 401)
    assert_error(client.get(f"{API}/forums", headers={"Authorization": "Bearer wrong"}), 401)
    assert_error(client.post(f"{API}/forums", headers=facilitator, json={"title": "X", "kind": "seminar"}), 403)
    assert_error(client.get(f"{API}/sessions/{forum_session.id + 1000}", headers=organiser), 404)
    assert_error(client.get(f"{API}/no-such-resource", headers=organiser), 404)
    assert_error(client.delete(f"{API}/forums", headers=organiser), 405)
    assert_error(client.post(f"{API}/dimensions", headers=organiser, json={"key": "group", "name": "Again"}), 409)
    assert_error(client.post(f"{API}/forums", headers=organiser, json={"title": "X", "kind": "party"}), 422, "kind")


#: every route of the contract's table, with {session}, {participant} and {registration} to fill in
CONTRACT_ROUTES = [
    ("GET", "/dimensions"), ("POST", "/dimensions"), ("POST", "/dimensions/group/categories"),
    ("GET", "/forums"), ("POST", "/forums"), ("GET", "/sessions"), ("POST", "/sessions"),
    ("GET", "/sessions/{session}"), ("PATCH", "/sessions/{session}"), ("POST", "/sessions/{session}/agenda"),
    ("GET", "/sessions/{session}/calendar.ics"), ("POST", "/participants"), ("GET", "/participants/{participant}"),
    ("POST", "/sessions/{session}/registrations"), ("PATCH", "/registrations/{registration}"),
    ("GET", "/sessions/{session}/registrations"), ("POST", "/sessions/{session}/facilitators"),
    ("GET", "/sessions/{session}/checkin"), ("POST", "/sessions/{session}/checkin"),
    ("DELETE", "/sessions/{session}/checkin/{registration}"), ("GET", "/participants/{participant}/link"),
    ("POST", "/participants/{participant}/link"), ("GET", "/audit"), ("PUT", "/sessions/{session}/policy"),
    ("GET", "/sessions/{session}/policy"), ("GET", "/sessions/{session}/balance"),
]
#: the routes that read a JSON body
BODY_ROUTES = [(method, path) for method, path in CONTRACT_ROUTES
               if method in ("POST", "PUT", "PATCH") and not path.endswith("/link")]


def fill(path: str, registration: Registration, offset: int = 0) -> str:
    """A contract path with real ids (``offset`` added to make them unknown)."""
    return API + path.format(session=registration.session_id + offset,
                             participant=registration.participant_id + offset,
                             registration=registration.id + offset)


def test_a_bad_token_is_a_401_on_every_route_even_public_reads(client, create_session, seat):
    registration = seat(create_session())
    before = database_snapshot()
    for method, path in CONTRACT_ROUTES:
        response = client.open(fill(path, registration), method=method, json={},
                               headers={"Authorization": "Bearer not-a-token"})
        assert_error(response, 401)
    assert database_snapshot() == before


def test_malformed_json_is_a_400_on_every_route_with_a_body_and_changes_nothing(client, organiser, create_session,
                                                                               seat):
    registration = seat(create_session())
    before = database_snapshot()
    for method, path in BODY_ROUTES:
        response = client.open(fill(path, registration), method=method, headers=organiser,
                               data='{"title": "unterminated', content_type="application/json")
        assert_error(response, 400)
    assert database_snapshot() == before


def test_unknown_ids_are_a_404_on_every_route_with_an_id(client, organiser, create_session, seat):
    registration = seat(create_session())
    with_ids = [(m, p) for m, p in CONTRACT_ROUTES if "{" in p] + [("POST", "/dimensions/caste/categories")]
    for method, path in with_ids:
        body = {"status": "cancelled"} if path.startswith("/registrations") else {}
        assert_error(client.open(fill(path, registration, offset=1000), method=method, headers=organiser, json=body),
                     404)


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/sessions", {"starts_at": f"{TEST_YEAR}-12-03T10:00:00"}),
    ("PATCH", "/sessions/{session}", {"ends_at": f"{TEST_YEAR}-12-03T18:00:00"}),
    ("POST", "/sessions/{session}/agenda", {"starts_at": f"{TEST_YEAR}-12-03T10:00", "ends_at": END}),
    ("GET", f"/sessions?from={TEST_YEAR}-12-01T00:00:00", None),
    ("GET", f"/sessions?to={TEST_YEAR}-12-31", None),
    ("GET", f"/audit?since={TEST_YEAR}-12-01T08:00:00", None),
])
def test_a_time_without_an_offset_is_a_422(client, organiser, admin, create_session, seat, method, path, body):
    registration = seat(create_session())
    field = re.search(r"\?(\w+)=", path).group(1) if body is None else next(iter(body))
    if body is not None:
        defaults = {"forum_id": registration.forum_session.forum_id, "title": "T", "starts_at": START,
                    "ends_at": END, "region": "dushanbe", "capacity": 5, "kind": "discussion"}
        wanted = {"/sessions": ("forum_id", "title", "starts_at", "ends_at", "region", "capacity"),
                  "/sessions/{session}": (),
                  "/sessions/{session}/agenda": ("title", "starts_at", "ends_at", "kind")}[path]
        body = {**{key: defaults[key] for key in wanted}, **body}
    before = database_snapshot()
    headers = admin if path.startswith("/audit") else organiser
    response = client.open(fill(path, registration), method=method, headers=headers, json=body)
    assert_error(response, 422, field)
    assert database_snapshot() == before


def test_times_are_shown_in_the_configured_zone(app_config, create_session):
    from app import create_app

    app_config["DISPLAY_TIMEZONE"] = "Europe/Moscow"
    session_id = create_session().id
    db.session.commit()  # on SQLite an open transaction would lock the other app out
    moscow = create_app(app_config).test_client()
    body = moscow.get(f"{API}/sessions/{session_id}").get_json()
    assert body["starts_at"] == f"{TEST_YEAR}-12-03T08:00:00+03:00"


LIST_ROUTES = ["/forums", "/sessions", "/sessions/{session}/registrations", "/sessions/{session}/checkin",
               "/audit", "/dimensions"]


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_every_list_pages_with_limit_and_cursor_without_gaps_or_repeats(client, admin, create_forum, create_session,
                                                                        seat, path):
    forum_session = create_session()
    for number in range(5):
        create_forum(title=f"Forum {number}")
        create_session(title=f"Session {number}")
        registration = seat(forum_session, f"Person {number}")
        client.post(f"{API}/dimensions", headers=admin, json={"key": f"extra_{number}", "name": f"Extra {number}"})
    for _ in range(5):  # reads that leave audit entries
        client.get(f"{API}/participants/{registration.participant_id}", headers=admin)
    url = fill(path, registration)
    everything = client.get(url, headers=admin).get_json()
    assert everything["next"] is None and len(everything["items"]) >= 5
    seen, next_url, pages = [], url + "?limit=2", 0
    while next_url:
        page = client.get(next_url, headers=admin).get_json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        next_url, pages = page["next"], pages + 1
    assert seen == everything["items"] and pages == -(-len(seen) // 2)
    for limit in ("0", "101", "ten"):
        assert_error(client.get(url, headers=admin, query_string={"limit": limit}), 422, "limit")


def test_a_page_holds_at_most_100_items(client, organiser, create_forum):
    for number in range(101):
        create_forum(title=f"Forum {number}")
    first = client.get(f"{API}/forums", headers=organiser).get_json()
    assert len(first["items"]) == 100 and first["next"] is not None
    rest = client.get(first["next"], headers=organiser).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None


def test_a_failed_request_changes_nothing(client, create_user, token_for, organiser, create_session, seat):
    full = create_session(capacity=1)
    seated = seat(full, "Seated Person")
    waiting = seat(full, "Waiting Person", "waitlisted")
    facilitator = create_user("facilitator")
    assign_facilitator(facilitator, full.id)
    at_the_door = token_for(facilitator)
    before = database_snapshot()
    failures = [
        (client.patch(f"{API}/registrations/{waiting.id}", headers=organiser, json={"status": "confirmed"}), 409),
        (client.post(f"{API}/sessions/{full.id}/registrations", headers=organiser,
                     json={"participant_id": seated.participant_id, "status": "invited"}), 409),
        (client.patch(f"{API}/sessions/{full.id}", headers=organiser, json={"title": "New", "capacity": 0}), 422),
        (client.post(f"{API}/sessions/{full.id}/agenda", headers=organiser, json={
            "title": "Talk", "starts_at": START, "ends_at": END, "kind": "discussion", "speaker_ids": [999]}), 422),
        (client.put(f"{API}/sessions/{full.id}/policy", headers=organiser, json={"quotas": [
            {"dimension": "group", "category": "uto", "min_count": 1},
            {"dimension": "group", "category": "media", "min_share": 2}]}), 422),
        (client.post(f"{API}/participants", headers=organiser, json={
            "name": "Half Made", "categories": {"group": "uto", "region": "atlantis"}}), 422),
        (client.patch(f"{API}/registrations/{seated.id}", headers=at_the_door,
                      json={"status": "cancelled"}), 403),
        (client.post(f"{API}/sessions/{full.id}/checkin", headers=at_the_door,
                     json={"registration_id": seated.id + 1000}), 404),
    ]
    for response, status in failures:
        assert_error(response, status)
    assert database_snapshot() == before


# Semantics of the resources ---------------------------------------------------------------------

def test_capacity_counts_registered_confirmed_and_attended_and_a_freed_seat_goes_to_the_first_waitlisted(
        client, organiser, create_session, create_participant, seat):
    forum_session = create_session(capacity=3)
    registered, confirmed, attended = (seat(forum_session, name, status) for name, status in
                                       (("A", "registered"), ("B", "confirmed"), ("C", "attended")))
    for name, status in (("D", "invited"), ("E", "declined"), ("F", "cancelled")):
        seat(forum_session, name, status)
    first_waiting = seat(forum_session, "G", "waitlisted")
    url = f"{API}/sessions/{forum_session.id}/registrations"
    late = answer(client.post(url, headers=organiser, json={"participant_id": create_participant("H").id,
                                                            "status": "registered"}), 201)
    assert late["status"] == "waitlisted"  # 3 seats taken: invited, declined, cancelled take none

    def status_of(registration_id: int) -> str:
        db.session.expire_all()
        return db.session.get(Registration, registration_id).status.value

    for freed, leaving in ((confirmed, "declined"), (attended, "cancelled")):
        assert answer(client.patch(f"{API}/registrations/{freed.id}", headers=organiser,
                                   json={"status": leaving}), 200)["status"] == leaving
    assert (status_of(first_waiting.id), status_of(late["id"])) == ("registered", "registered")
    # Moving a seated person to the waiting list frees their seat for whoever waited before them.
    behind = answer(client.post(url, headers=organiser, json={"participant_id": create_participant("I").id,
                                                              "status": "registered"}), 201)
    assert behind["status"] == "waitlisted"
    assert answer(client.patch(f"{API}/registrations/{registered.id}", headers=organiser,
                               json={"status": "waitlisted"}), 200)["status"] == "waitlisted"
    assert (status_of(behind["id"]), status_of(registered.id)) == ("registered", "waitlisted")


def test_checking_in_twice_counts_once_in_the_list_and_the_balance(client, organiser, create_session, seat):
    forum_session = create_session()
    registration = seat(forum_session, status="confirmed")
    url = f"{API}/sessions/{forum_session.id}/checkin"
    for body in ({"registration_id": registration.id}, {"registration_id": registration.id},
                 {"registration_id": registration.id, "request_id": "r-1"},
                 {"registration_id": registration.id, "request_id": "r-1"}):
        assert answer(client.post(url, headers=organiser, json=body), 200)["status"] == "attended"
    listed = client.get(url, headers=organiser).get_json()
    assert (listed["attended"], listed["expected"]) == (1, 1)
    report = client.get(f"{API}/sessions/{forum_session.id}/balance?stage=attended", headers=organiser).get_json()
    assert report["total"] == 1


@pytest.mark.parametrize("status", ["invited", "registered", "confirmed", "waitlisted"])
def test_undoing_a_check_in_restores_the_status_before_it(client, organiser, create_session, seat, status):
    forum_session = create_session(capacity=1)
    seat(forum_session, "Seated Person")  # the session is full, so a waitlisted person stays waitlisted
    registration = seat(forum_session, status=status)
    url = f"{API}/sessions/{forum_session.id}/checkin"
    assert answer(client.post(url, headers=organiser, json={"registration_id": registration.id}), 200)["status"] \
        == "attended"
    assert answer(client.delete(f"{url}/{registration.id}", headers=organiser), 200)["status"] == status


def test_an_assigned_facilitator_may_see_and_check_in_the_session(client, create_user, token_for, organiser,
                                                                  create_session, seat):
    hidden = create_session(visibility="invitation")
    registration = seat(hidden, status="confirmed")
    facilitator = create_user("facilitator", email="door@example.org")
    headers = token_for(facilitator)
    assert_error(client.get(f"{API}/sessions/{hidden.id}", headers=headers), 404)
    assert client.post(f"{API}/sessions/{hidden.id}/facilitators", headers=organiser,
                       json={"email": "door@example.org"}).status_code == 201
    assert answer(client.get(f"{API}/sessions/{hidden.id}", headers=headers), 200)["id"] == hidden.id
    assert hidden.id in [s["id"] for s in client.get(f"{API}/sessions", headers=headers).get_json()["items"]]
    assert answer(client.post(f"{API}/sessions/{hidden.id}/checkin", headers=headers,
                              json={"registration_id": registration.id}), 200)["status"] == "attended"
    assert_error(client.get(f"{API}/sessions/{hidden.id}/registrations", headers=headers), 403)


def test_the_policy_shows_when_it_changed_in_the_display_zone(client, organiser, create_session):
    forum_session = create_session()
    url = f"{API}/sessions/{forum_session.id}/policy"
    answer(client.put(url, headers=organiser, json={"quotas": [{"dimension": "group", "category": "uto",
                                                                "min_count": 1}]}), 200)
    assert answer(client.get(url, headers=organiser), 200)["updated_at"] is not None


@pytest.mark.parametrize("limit", [{"min_share": -0.1}, {"max_share": 1.01}, {"target_share": 2}])
def test_policy_shares_are_fractions_from_0_to_1(client, organiser, create_session, limit):
    forum_session = create_session()
    response = client.put(f"{API}/sessions/{forum_session.id}/policy", headers=organiser,
                          json={"quotas": [{"dimension": "group", "category": "uto", **limit}]})
    assert_error(response, 422, f"quotas[0].{next(iter(limit))}")
    assert client.get(f"{API}/sessions/{forum_session.id}/policy", headers=organiser).get_json()["quotas"] == []


def test_counted_leaves_out_non_counting_categories_and_people_without_one(client, organiser, create_session, seat):
    forum_session = create_session()
    seat(forum_session, "Observer", group="international")
    seat(forum_session, "Minister", group="government", gender="man")
    seat(forum_session, "Journalist", group="media")
    without_gender = seat(forum_session, "No Gender", group="media")
    db.session.delete(next(link for link in without_gender.participant.categories
                           if link.category.dimension.key == "gender"))
    db.session.commit()
    report = client.get(f"{API}/sessions/{forum_session.id}/balance", headers=organiser).get_json()
    assert report["stage"] == "registered" and report["total"] == 4
    by_key = {dimension["key"]: dimension for dimension in report["dimensions"]}
    assert by_key["group"]["counted"] == 3 and by_key["gender"]["counted"] == 3
    media = next(line for line in by_key["group"]["categories"] if line["key"] == "media")
    assert (media["count"], media["share"]) == (2, 0.6667)


def test_suggestions_add_or_remove_per_category_of_a_dimension_that_is_not_ok(client, organiser, create_session,
                                                                              seat):
    forum_session = create_session()
    for number in range(3):
        seat(forum_session, f"Minister {number}", group="government")
    seat(forum_session, "Commander", group="uto")
    client.put(f"{API}/sessions/{forum_session.id}/policy", headers=organiser, json={"quotas": [
        {"dimension": "group", "category": "government", "max_count": 1},
        {"dimension": "group", "category": "minorities", "min_count": 2}]})
    report = client.get(f"{API}/sessions/{forum_session.id}/balance", headers=organiser).get_json()
    assert report["ok"] is False
    suggestions = sorted(report["suggestions"], key=lambda s: s["action"])
    assert suggestions == [
        {"action": "add", "dimension": "group", "category": "minorities", "count": 2},
        {"action": "remove", "dimension": "group", "category": "government", "count": 2},
    ]


# Pages with fixed addresses ---------------------------------------------------------------------

def test_the_fixed_page_addresses_exist(app, client: FlaskClient, create_user, organiser, create_session, seat):
    public, hidden = create_session(title="Open evening"), create_session(title="Closed round", visibility="invitation")
    registration = seat(hidden, "Раҳимова Нигора")
    assert client.get("/login").status_code == 200
    assert client.get(f"/sessions/{public.id}").status_code == 200  # the public, for a public session
    assert client.get(f"/sessions/{hidden.id}").status_code == 404
    for page in ("balance", "checkin"):
        assert client.get(f"/sessions/{hidden.id}/{page}").status_code in (302, 401, 404)

    link = client.get(f"{API}/participants/{registration.participant_id}/link", headers=organiser).get_json()["url"]
    personal = client.get(link)
    assert personal.status_code == 200
    assert "Closed round" in personal.get_data(as_text=True)

    facilitator = create_user("facilitator")
    assign_facilitator(facilitator, hidden.id)
    for user in (create_user("organiser"), facilitator):
        signed_in = sign_in_without_password(app.test_client(), user)
        for page in (f"/sessions/{hidden.id}", f"/sessions/{hidden.id}/balance", f"/sessions/{hidden.id}/checkin"):
            assert signed_in.get(page).status_code == 200, (user.role, page)
        assert signed_in.post("/logout").status_code in (302, 303)
        assert signed_in.get(f"/sessions/{hidden.id}/checkin").status_code != 200
