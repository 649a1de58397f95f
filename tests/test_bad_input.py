"""T24: control characters, lone surrogates, out-of-range integers and deep JSON get a clear answer, never a 500.

Every route of the app is tried (as an admin, so that nothing is refused before the input is read)
with ids no row can have in its path, with out-of-range numbers in every query parameter the app
reads, and every API write with bodies no field can take. Each answer is a 400, 404 or 422 (a list
page shows an empty page past its end), and the database is unchanged. Titles, venues and names on
two lines are refused at input, in forms and in the API, and never reach a calendar file. Run with
DATABASE_URL on PostgreSQL too: it refuses integers beyond its columns, NUL and surrogates with errors.
"""

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask

from forums.accounts.tokens import issue_token
from forums.validation import page_number
from models import ForumSession, User, db
from tests.accounts.test_permissions_matrix import World, build_url, world  # noqa: F401
from tests.conftest import TEST_PASSWORD, sign_in_without_password

#: beyond 64 bits, beyond 63 bits (PostgreSQL's bigint), beyond 31 bits (PostgreSQL's integer, every id)
HUGE_NUMBERS = ("99999999999999999999", str(2**63), str(2**31))
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def database_state(*, reads_audited: bool = False) -> dict[str, int]:
    """Rows per table: what a refused request must leave as it was (but for the audit entries of reads)."""
    db.session.expire_all()
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables if not (reads_audited and table.name == "audit_entry")}


def _admin(app: Flask, world: World) -> tuple[Any, dict[str, str]]:
    admin = db.session.get(User, world.users["admin"])
    headers = {"Authorization": f"Bearer {issue_token(admin)}"}
    db.session.commit()
    client = app.test_client()
    sign_in_without_password(client, admin)
    return client, headers


def _send(client: Any, headers: dict[str, str], method: str, url: str, **kwargs: Any) -> Any:
    if url.startswith("/api/"):
        kwargs["headers"] = headers
    with client.open(url, method=method, **kwargs) as response:
        response.get_data()
    return response


def test_an_id_no_row_can_have_is_a_404_on_every_route(app, world):
    client, headers = _admin(app, world)
    before = database_state()
    problems = []
    for rule in app.url_map.iter_rules():
        numbered = [name for name in rule.arguments if name.endswith("_id")]
        for name in numbered:
            for number in HUGE_NUMBERS:
                url = build_url(rule, {**world.values("public"), name: number})
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    response = _send(client, headers, method, url, json={} if method in WRITES else None)
                    if response.status_code != 404:
                        problems.append(f"{method} {url} -> {response.status_code}")
    assert problems == [], "\n".join(problems)
    assert database_state() == before


#: every query parameter the app reads as a number or an id, with a number no row or page can have
def _out_of_range_query(number: str) -> str:
    cursor = base64.urlsafe_b64encode(number.encode()).decode()
    return "&".join(f"{name}={value}" for name, value in (
        ("page", number), ("cpage", number), ("before", number), ("forum", number), ("exclude", number),
        ("limit", number), ("cursor", cursor), ("object", f"participant:{number}"), ("registration_id", number),
    ))


def test_out_of_range_numbers_in_query_strings_never_fail(app, world):
    client, headers = _admin(app, world)
    before = database_state(reads_audited=True)
    problems = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        for number in HUGE_NUMBERS:
            url = f"{build_url(rule, world.values('public'))}?{_out_of_range_query(number)}"
            response = _send(client, headers, "GET", url)
            if response.status_code >= 500:
                problems.append(f"GET {url} -> {response.status_code}")
    assert problems == []
    assert database_state(reads_audited=True) == before


def test_a_page_number_past_any_list_shows_an_empty_page(app, world):
    client, _headers = _admin(app, world)
    response = client.get(f"/staff/sessions?page={HUGE_NUMBERS[0]}")
    assert response.status_code == 200
    assert "Open evening on water" not in response.get_data(as_text=True)


#: raw JSON bodies no field of the API can take, and the status each gets
BAD_BODIES = [
    ("[" * 100_000 + "]" * 100_000, 400),                     # deeper than the parser's recursion
    (json.dumps({"title": [[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]}), 400),  # deeper than any field
    ('{"title": "\\ud800", "name": "\\udfff"}', 422),        # lone surrogates
    ('{"\\ud800": 1}', 422),                                  # a lone surrogate in a key
    ('{"title": "a\\u0000b", "name": "a\\u0000b"}', 422),    # NUL
    (json.dumps({"participant_id": 2**64, "forum_id": 2**64, "registration_id": 2**64}), 422),
    ('{"capacity": 1e400}', 422),                             # not a finite number
]


def test_every_api_write_refuses_bodies_no_field_can_take(app, world):
    client, headers = _admin(app, world)
    before = database_state()
    problems = []
    writes = [rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/") and set(WRITES) & (rule.methods or set())]
    assert writes
    for rule in writes:
        url = build_url(rule, world.values("public"))
        for method in sorted(set(WRITES) & (rule.methods or set())):
            for body, status in BAD_BODIES:
                response = _send(client, headers, method, url, data=body, content_type="application/json")
                if response.status_code != status:
                    problems.append(f"{method} {url} {body[:40]!r} -> {response.status_code}, not {status}")
    assert problems == []
    assert database_state() == before


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/sessions/{session}/registrations", {"participant_id": 2**40, "status": "invited"}, "participant_id"),
    ("/api/v1/sessions", {"forum_id": 2**40, "title": "T", "starts_at": "2036-12-03T10:00:00+05:00",
                          "ends_at": "2036-12-03T12:00:00+05:00", "region": "dushanbe", "capacity": 5,
                          "visibility": "public"}, "forum_id"),
    ("/api/v1/sessions/{session}/agenda", {"title": "T", "starts_at": "2036-12-03T10:00:00+05:00",
                                           "ends_at": "2036-12-03T10:30:00+05:00", "kind": "opening",
                                           "speaker_ids": [2**40]}, "speaker_ids"),
    ("/api/v1/sessions/{session}/checkin", {"registration_id": 2**40}, "registration_id"),
    ("/api/v1/sessions/{session}/selection", {"pool": [2**40], "size": 1}, "pool"),
])
def test_ids_in_json_bodies_beyond_any_row_are_a_422(app, world, path, body, field):
    client, headers = _admin(app, world)
    before = database_state()
    response = client.post(path.format(session=world.sessions["public"]), json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert database_state() == before


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/forums", {"title": "Water\r\nBEGIN:VEVENT", "kind": "round_table"}, "title"),
    ("/api/v1/sessions/{session}", {"title": "Water\nX-INJECTED:1"}, "title"),
    ("/api/v1/sessions/{session}", {"venue": "Hall 2\rX-INJECTED:1"}, "venue"),
    ("/api/v1/sessions/{session}", {"translations": {"ru": {"title": "Вода\u2028Земля"}}}, "translations.ru.title"),
    ("/api/v1/participants", {"name": "Zulfiya\r\nPubova", "categories": {}}, "name"),
    ("/api/v1/participants", {"name": "Zulfiya", "organisation": "Uni\x0bon", "categories": {}}, "organisation"),
    ("/api/v1/dimensions", {"key": "faith", "name": "Faith\nX"}, "name_en"),
])
def test_a_line_break_in_a_one_line_field_is_refused_in_the_api(app, world, path, body, field):
    client, headers = _admin(app, world)
    before = database_state()
    method = "PATCH" if path.endswith("{session}") else "POST"
    response = client.open(path.format(session=world.sessions["public"]), method=method, json=body,
                           headers=headers)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert "one line" in response.get_json()["error"]["fields"][field]
    assert database_state() == before


def _form_values(html: str) -> dict[str, str]:
    """The values a browser would send back from the page's main form."""
    form = BeautifulSoup(html, "html.parser").select_one("main form[method=post]")
    values = {field["name"]: field.get("value", "") for field in form.select("input[name]")
              if field.get("type") not in ("checkbox", "radio", "submit")}
    values.update({area["name"]: area.get_text() for area in form.select("textarea[name]")})
    for select in form.select("select[name]"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        values[select["name"]] = chosen.get("value", "") if chosen else ""
    return values


@pytest.mark.parametrize("field", ["title", "venue", "title_ru"])
def test_a_line_break_in_a_one_line_form_field_is_refused_beside_it(app, world, field):
    client, _headers = _admin(app, world)
    url = f"/staff/sessions/{world.sessions['public']}/edit"
    values = _form_values(client.get(url).get_data(as_text=True))
    before = database_state()
    stored = db.session.get(ForumSession, world.sessions["public"])
    version = stored.version
    response = client.post(url, data={**values, field: "Water\r\nX-INJECTED:1"})
    assert response.status_code == 422
    error = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one(f"#{field}-err")
    assert error is not None and "one line" in error.get_text()
    assert database_state() == before
    db.session.expire_all()
    assert db.session.get(ForumSession, world.sessions["public"]).version == version


@pytest.mark.parametrize("version", ["9" * 5000, "99999999999999999999", "²", "-1"])
def test_a_version_no_copy_could_have_is_refused_as_stale_not_a_crash(app, world, version):
    client, _headers = _admin(app, world)
    url = f"/staff/sessions/{world.sessions['public']}/edit"
    values = _form_values(client.get(url).get_data(as_text=True))
    before = database_state()
    response = client.post(url, data={**values, "title": "A new title", "version": version})
    assert response.status_code == 422
    assert "Someone else changed this since you opened it." in response.get_data(as_text=True)
    assert database_state() == before


def test_a_line_break_stored_before_the_rule_cannot_add_a_line_to_a_calendar(app, world, client):
    forum_session = db.session.get(ForumSession, world.sessions["public"])
    forum_session.title = "Water\r\nX-INJECTED:title"
    forum_session.venue = "Hall\rX-INJECTED:venue"
    forum_session.description = "First line\nX-INJECTED:description"
    db.session.commit()
    feed = client.get(f"/api/v1/sessions/{forum_session.id}/calendar.ics").get_data(as_text=True)
    assert "X-INJECTED" in feed
    assert not [line for line in feed.split("\r\n") if line.startswith("X-INJECTED")]
    assert "\n" not in feed.replace("\r\n", "")


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20stolen=1", "/%09/evil.example", "/sessions%00"])
def test_control_characters_in_next_send_the_reader_home(app, client, create_user, target):
    user = create_user("organiser")
    response = client.post(f"/login?next={target}", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"] == "/staff/"  # the staff home, as after any sign-in


@pytest.mark.parametrize("raw, page", [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("²", 1), ("7", 7),
                                       ("99999999999999999999", 2**31 - 1), ("0" * 30 + "2", 2**31 - 1)])
def test_page_numbers_from_a_query_string(raw, page):
    assert page_number(raw) == page
