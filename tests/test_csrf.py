"""CSRF protection on every form and on cookie-authenticated API calls; no GET changes anything (ASVS 3.5).

Unlike the rest of the suite, this module runs with ``WTF_CSRF_ENABLED=True``.
"""

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from models import AuditEntry, User, db
from tests.accounts.test_permissions_matrix import (  # noqa: F401 (fixture)
    WRITE_METHODS,
    World,
    build_url,
    world,
)
from tests.conftest import TEST_PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """The suite's configuration with CSRF protection on, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token_of(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page gives this client."""
    match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match[1]


def sign_in(client: FlaskClient, user: User) -> str:
    """Sign in through the form, token included; returns the session's CSRF token."""
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                           "csrf_token": csrf_token_of(client)})
    assert response.status_code == 302
    return csrf_token_of(client, "/admin/users/new" if user.role == "admin" else "/logout")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a request."""
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def _is_signed_in(client: FlaskClient) -> bool:
    return client.get("/logout").status_code == 200


def test_sign_in_without_a_token_is_refused_and_recorded_nowhere(client, create_user):
    user = create_user("organiser")
    before = snapshot()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert not _is_signed_in(client)
    assert snapshot() == before


def test_a_form_without_or_with_a_foreign_token_changes_nothing(app, client, create_user):
    admin = create_user("admin")
    own_token = sign_in(client, admin)
    stranger = app.test_client()
    foreign_token = csrf_token_of(stranger)
    new_user = {"email": "new@example.org", "role": "admin", "password": "a long enough passphrase"}
    before = snapshot()

    assert client.post("/admin/users/new", data=new_user).status_code == 400
    assert client.post("/admin/users/new", data={**new_user, "csrf_token": foreign_token}).status_code == 400
    assert client.post("/admin/users/new", data={**new_user, "csrf_token": "forged"}).status_code == 400
    assert snapshot() == before

    assert client.post("/admin/users/new", data={**new_user, "csrf_token": own_token}).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is not None


def test_sign_out_needs_the_token(client, create_user):
    token = sign_in(client, create_user("organiser"))
    assert client.post("/logout").status_code == 400
    assert _is_signed_in(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not _is_signed_in(client)


def _write_rules(app: Flask, *, api: bool) -> list[tuple[Rule, str]]:
    return [(rule, method) for rule in app.url_map.iter_rules() for method in sorted(rule.methods or ())
            if method in WRITE_METHODS and rule.rule.startswith("/api/") == api]


def test_every_form_route_refuses_a_post_without_a_token(app, client, world: World, create_user):
    """Signed in as admin, who may do everything: only the missing token stops these."""
    sign_in(client, db.session.get(User, world.users["admin"]))
    before = snapshot()
    accepted = []
    for rule, method in _write_rules(app, api=False):
        url = build_url(rule, world.values("public"))
        response = client.open(url, method=method, data={"email": "x@example.org", "answer": "accept"})
        if response.status_code != 400:
            accepted.append(f"{method} {url} -> {response.status_code}")
    assert accepted == []
    assert snapshot() == before


def _refused_for_csrf(response: Any) -> bool:
    return response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_cookie_authenticated_api_writes_need_the_csrf_header(app, client, world: World, token_for):
    admin = db.session.get(User, world.users["admin"])
    session_token = sign_in(client, admin)
    bearer = token_for(admin)
    writes = _write_rules(app, api=True)
    assert writes, "the API has write endpoints"
    problems = []
    for rule, method in writes:
        url = build_url(rule, world.values("public"))
        refused = client.open(url, method=method, json={})
        if not _refused_for_csrf(refused):
            problems.append(f"cookie without header: {method} {url} -> {refused.status_code}")
        with_header = client.open(url, method=method, json={}, headers={"X-CSRFToken": session_token})
        with_bearer = app.test_client().open(url, method=method, json={}, headers=bearer)
        for how, response in (("cookie with header", with_header), ("bearer token", with_bearer)):
            if _refused_for_csrf(response):
                problems.append(f"{how} refused: {method} {url}")
    assert problems == []


def test_no_get_route_changes_anything(app, client, world: World, token_for):
    """Reads are audited (that is their point); everything else stays as it was."""
    admin = db.session.get(User, world.users["admin"])
    sign_in(client, admin)
    bearer = token_for(admin)
    before = snapshot()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        for variant in ("public", "private"):
            url = build_url(rule, world.values(variant))
            headers = bearer if rule.rule.startswith("/api/") else {}
            with client.get(url, headers=headers) as response:
                assert response.status_code < 500, url
    after = snapshot()
    changed = [table for table in before if table != AuditEntry.__tablename__ and before[table] != after[table]]
    assert changed == []
