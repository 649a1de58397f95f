"""API tokens (SECURITY.md T25): a bad bearer beside a good cookie, expired and revoked tokens; the token API.

The contract's Authentication: a token acts as its user, tokens are stored hashed and can be revoked;
``/api/v1/tokens`` extends it with listing, naming, expiry and revoking one by one.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forums.accounts.tokens import create_token, issue_token, token_digest
from models import ApiToken, db, utcnow
from tests.conftest import sign_in_without_password


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(create_user):
    return create_user("admin")


@pytest.mark.parametrize("path", ["/api/v1/sessions", "/api/v1/forums", "/api/v1/audit"])
def test_t25_a_bad_bearer_is_a_401_even_beside_a_good_cookie(app, client, admin, path):
    sign_in_without_password(client, admin)
    assert client.get(path).status_code == 200  # the cookie alone signs the admin in
    response = client.get(path, headers=bearer("not-a-token"))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_t25_expired_and_revoked_tokens_are_refused_with_or_without_a_cookie(app, client, admin):
    _row, expired = create_token(admin, name="old script", expires_at=utcnow() - timedelta(seconds=1))
    revoked_row, revoked = create_token(admin, name="lost laptop")
    revoked_row.revoked_at = utcnow()
    _live_row, live = create_token(admin, name="report", expires_in_days=30)
    db.session.commit()
    for token in (expired, revoked):
        assert app.test_client().get("/api/v1/forums", headers=bearer(token)).status_code == 401
    sign_in_without_password(client, admin)
    for token in (expired, revoked):
        assert client.get("/api/v1/forums", headers=bearer(token)).status_code == 401
    assert app.test_client().get("/api/v1/forums", headers=bearer(live)).status_code == 200


def test_t25_the_token_not_the_cookie_decides_who_acts(app, client, admin, create_user):
    facilitator = create_user("facilitator")
    sign_in_without_password(client, admin)
    assert client.get("/api/v1/audit").status_code == 200
    assert client.get("/api/v1/audit", headers=bearer(issue_token(facilitator))).status_code == 403


def test_a_token_stops_working_at_its_expiry(app, client, admin, monkeypatch):
    row, token = create_token(admin, expires_in_days=1)
    db.session.commit()
    assert client.get("/api/v1/forums", headers=bearer(token)).status_code == 200
    later = row.expires_at
    monkeypatch.setattr("forums.accounts.tokens.utcnow", lambda: later)
    assert client.get("/api/v1/forums", headers=bearer(token)).status_code == 401


def test_tokens_are_listed_without_their_secret_and_revoked_one_by_one(app, client, admin, create_user):
    organiser = create_user("organiser")
    first_row, first = create_token(organiser, name="first")
    _second_row, second = create_token(organiser, name="second")
    create_token(admin, name="the admin's")
    db.session.commit()

    listed = client.get("/api/v1/tokens", headers=bearer(first)).get_json()
    assert [item["name"] for item in listed["items"]] == ["first", "second"]
    assert listed["items"][0]["active"] is True and listed["items"][0]["expires_at"] is None
    body = str(listed)
    assert first not in body and second not in body and first_row.token_hash not in body

    revoked = client.delete(f"/api/v1/tokens/{first_row.id}", headers=bearer(second))
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    assert client.get("/api/v1/forums", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/forums", headers=bearer(second)).status_code == 200

    admins_view = client.get("/api/v1/tokens", headers=bearer(issue_token(admin))).get_json()
    assert {item["name"] for item in admins_view["items"]} >= {"first", "second", "the admin's"}


def test_someone_elses_token_is_not_found(app, client, admin, create_user):
    organiser = create_user("organiser")
    admins_row, _admins = create_token(admin, name="admin")
    db.session.commit()
    response = client.delete(f"/api/v1/tokens/{admins_row.id}", headers=bearer(issue_token(organiser)))
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, admins_row.id).revoked_at is None


def test_a_token_made_through_the_api_works_and_never_outlives_the_token_that_made_it(app, client, admin):
    _row, short_lived = create_token(admin, expires_in_days=2)
    db.session.commit()
    made = client.post("/api/v1/tokens", json={"name": "nightly export", "expires_in_days": 365},
                       headers=bearer(short_lived))
    assert made.status_code == 201, made.get_json()
    new = made.get_json()
    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(new["token"])))
    assert stored is not None and stored.name == "nightly export"
    assert stored.expires_at is not None and stored.expires_at <= utcnow() + timedelta(days=2)
    assert client.get("/api/v1/forums", headers=bearer(new["token"])).status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"name": "report\r\nX-Injected: 1"}, "name"),
    ({"name": "x" * 81}, "name"),
    ({"name": ["a list"]}, "name"),
    ({"expires_in_days": 0}, "expires_in_days"),
    ({"expires_in_days": 2**70}, "expires_in_days"),
    ({"expires_in_days": "30"}, "expires_in_days"),
])
def test_a_token_with_a_bad_name_or_life_is_refused_and_none_is_made(app, client, admin, body, field):
    headers = bearer(issue_token(admin))
    response = client.post("/api/v1/tokens", json=body, headers=headers)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 1
