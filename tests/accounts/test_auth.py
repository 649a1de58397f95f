"""Sign-in, sign-out, sessions, passwords, throttling and staff accounts (OWASP ASVS 5.0 chapters 6, 7)."""

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask

from app import create_app
from forums.extensions import limiter
from models import AuditEntry, Role, User, db
from tests.conftest import TEST_PASSWORD

SESSION_COOKIE = "session"


def _session_cookie(client) -> str:
    cookie = client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    return cookie.value


def _is_signed_in(client) -> bool:
    """Whether the client's cookie signs someone in: the sign-out form is only for signed-in people."""
    return client.get("/logout").status_code == 200


def _cookie_signs_in(app: Flask, cookie_value: str) -> bool:
    """Whether a session cookie alone, copied into a brand-new client, signs someone in."""
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, cookie_value)
    return _is_signed_in(other)


def test_sign_in_starts_a_fresh_session(app, client, create_user):
    user = create_user("organiser")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    cookie_before = _session_cookie(client)

    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})

    with client.session_transaction() as after:
        assert "planted" not in after
    assert _session_cookie(client) != cookie_before
    assert not _cookie_signs_in(app, cookie_before)
    assert _cookie_signs_in(app, _session_cookie(client))


def test_sign_out_makes_a_copied_cookie_stop_working(app, client, login, create_user):
    user = create_user("admin")
    login(user)
    copied = _session_cookie(client)
    assert _cookie_signs_in(app, copied)

    assert client.post("/logout").status_code == 302

    assert not _cookie_signs_in(app, copied)
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, copied)
    assert replay.get("/admin/audit").status_code == 302


def test_sign_out_is_never_a_get(client, login, create_user):
    user = create_user("organiser")
    login(user)
    assert client.get("/logout").status_code == 200  # only the confirmation form
    assert _is_signed_in(client)


def test_disabling_an_account_ends_its_sessions_and_tokens(app, client, login, create_user, token_for):
    admin = create_user("admin")
    organiser = create_user("organiser")
    organiser_client = app.test_client()
    organiser_client.post("/login", data={"email": organiser.email, "password": TEST_PASSWORD})
    copied = _session_cookie(organiser_client)
    token_headers = token_for(organiser)
    assert app.test_client().get("/api/v1/audit", headers=token_headers).status_code == 403

    login(admin)
    assert client.post(f"/admin/users/{organiser.id}/disable").status_code == 302

    assert not _cookie_signs_in(app, copied)
    assert app.test_client().get("/api/v1/audit", headers=token_headers).status_code == 401
    refused = app.test_client().post("/login", data={"email": organiser.email, "password": TEST_PASSWORD})
    assert refused.status_code == 200 and "wrong" in refused.get_data(as_text=True)


@pytest.mark.parametrize("stamp, hours_ago", [("seen", 3), ("signed_in_at", 13)])
def test_idle_and_old_sessions_end(app, client, login, create_user, stamp, hours_ago):
    """Idle for longer than IDLE_TIMEOUT (2 h), or older than PERMANENT_SESSION_LIFETIME (12 h)."""
    login(create_user("organiser"))
    with client.session_transaction() as stored:
        stored[stamp] = (datetime.now(UTC) - timedelta(hours=hours_ago)).timestamp()
    assert not _is_signed_in(client)


def test_an_active_session_is_kept_alive(app, client, login, create_user):
    login(create_user("organiser"))
    with client.session_transaction() as stored:
        stored["seen"] = (datetime.now(UTC) - timedelta(minutes=90)).timestamp()
    assert _is_signed_in(client)
    with client.session_transaction() as stored:
        assert datetime.now(UTC).timestamp() - stored["seen"] < 60


def test_stored_password_hashes_meet_asvs_appendix_c(runner):
    """argon2id with t=2 needs m >= 19 MiB, with t >= 3 m >= 12 MiB."""
    created = runner.invoke(args=["create-user", "h@example.org", "--role", "organiser", "--password-stdin"],
                            input="a passphrase that is long enough\n")
    assert created.exit_code == 0, created.output
    stored = db.session.scalar(sa.select(User.password_hash).where(User.email == "h@example.org"))
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match, stored
    memory_kib, iterations = int(match[1]), int(match[2])
    assert (iterations == 2 and memory_kib >= 19456) or (iterations >= 3 and memory_kib >= 12288)


def test_admin_creates_an_account_with_a_64_character_password(app, client, login, create_user):
    login(create_user("admin"))
    passphrase = "Ёлка-ҷӯй water by the Vakhsh river, seven bridges & two mountains!"[:64]
    assert len(passphrase) == 64
    response = client.post("/admin/users/new", data={"email": "New.Person@Example.org", "role": "facilitator",
                                                     "password": passphrase})
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.email == "new.person@example.org"))
    assert created.role is Role.facilitator and created.password_hash.startswith("$argon2id$")

    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "new.person@example.org", "password": passphrase}).status_code == 302


@pytest.mark.parametrize("password, reason", [
    ("Q1w2e3r4t5y6", "too common"),
    ("1qaz2wsx3edc", "too common"),
    ("short1!", "at least 12"),
])
def test_common_and_short_passwords_are_refused(client, login, create_user, password, reason):
    login(create_user("admin"))
    response = client.post("/admin/users/new", data={"email": "x@example.org", "role": "organiser",
                                                     "password": password})
    assert response.status_code == 200 and reason in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_the_create_user_command_refuses_a_common_password_and_takes_a_long_one(runner):
    common = runner.invoke(args=["create-user", "c@example.org", "--role", "admin", "--password-stdin"],
                           input="1qaz2wsx3edc\n")
    assert common.exit_code != 0 and "too common" in common.output
    long_one = runner.invoke(args=["create-user", "c@example.org", "--role", "admin", "--password-stdin"],
                             input="x" * 40 + " a long one from a password manager\n")
    assert long_one.exit_code == 0, long_one.output


def _cheap_hash(password: str) -> str:
    # Verifying uses the parameters stored in the hash: cheap ones keep dozens of sign-ins fast here.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(password)


def _throttled_app(app_config: dict, **overrides: object) -> Flask:
    config = {**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "10 per minute", **overrides}
    return create_app(config)


def _client_at(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _bad_logins(app: Flask, address: str, email: str, count: int) -> list[int]:
    client = _client_at(app, address)
    return [client.post("/login", data={"email": email, "password": f"wrong {n}"}).status_code
            for n in range(count)]


def _good_login(app: Flask, address: str, email: str) -> int:
    return _client_at(app, address).post("/login", data={"email": email, "password": TEST_PASSWORD}).status_code


def _assert_throttles_one_address_only(app: Flask, email: str) -> None:
    assert _bad_logins(app, "10.0.0.1", email, 11) == [200] * 10 + [429]
    assert _good_login(app, "10.0.0.1", email) == 429
    # The attacker's address is blocked, the person is not: no lockout of the account.
    assert _good_login(app, "10.0.0.2", email) == 302


def test_the_eleventh_bad_sign_in_from_one_address_is_refused_but_not_the_person(app_config):
    throttled = _throttled_app(app_config)
    with throttled.app_context():
        db.session.add(User(email="victim@example.org", password_hash=_cheap_hash(TEST_PASSWORD),
                            role=Role.organiser))
        db.session.commit()
        _assert_throttles_one_address_only(throttled, "victim@example.org")
        # Good sign-ins do not count: colleagues behind one office address never throttle each other.
        assert [_good_login(throttled, "10.0.0.3", "victim@example.org") for _ in range(12)] == [302] * 12


def test_throttling_works_with_redis_storage(app_config):
    """Several gunicorn workers share the count through Redis (runs on this machine)."""
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379", socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    throttled = _throttled_app(app_config, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                               RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    with throttled.app_context():
        assert type(limiter.storage).__name__ == "RedisStorage"
        db.session.add(User(email="victim@example.org", password_hash=_cheap_hash(TEST_PASSWORD),
                            role=Role.organiser))
        db.session.commit()
        _assert_throttles_one_address_only(throttled, "victim@example.org")


def test_rate_limit_storage_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FLASK_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "env.sqlite"))
    monkeypatch.chdir(tmp_path)
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_failed_sign_ins_are_audited_without_what_was_typed(client, create_user):
    user = create_user("organiser")
    client.post("/login", data={"email": user.email, "password": "not-the-password-123"})
    client.post("/login", data={"email": "nobody@example.org", "password": "another-wrong-one"})
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.actor, e.object_type, e.object_id) for e in entries] == [
        ("anonymous", "user", user.id), ("anonymous", "user", None)]
    stored = " ".join(f"{e.actor} {e.detail}" for e in entries)
    assert "not-the-password" not in stored and "nobody@example.org" not in stored


def test_a_crlf_in_the_e_mail_forges_no_log_line_and_passwords_are_never_logged(client, create_user, caplog):
    create_user("organiser", email="real@example.org")
    caplog.set_level(logging.DEBUG)
    client.post("/login", data={"email": "x@example.org\r\nINFO admin signed in", "password": "hunter2-secret-pw"})
    client.post("/login", data={"email": "real@example.org", "password": "hunter2-secret-pw"})
    for record in caplog.records:
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message
        assert "hunter2-secret-pw" not in message
    assert any("Failed sign-in" in record.getMessage() for record in caplog.records)


def test_a_crash_shows_a_generic_page_without_traceback(app_config, caplog):
    crashing = create_app(app_config)

    @crashing.route("/boom/<rest>")
    def boom(rest: str) -> str:
        raise RuntimeError(f"internal detail {rest}")

    client = crashing.test_client()
    with crashing.app_context():
        page = client.get("/boom/secret%0d%0aINFO%20forged")
    body = page.get_data(as_text=True)
    assert page.status_code == 500
    assert "Something went wrong" in body
    assert "Traceback" not in body and "internal detail" not in body and "RuntimeError" not in body
    assert page.headers["Content-Security-Policy"] and page.headers["X-Content-Type-Options"] == "nosniff"
    logged = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert logged and all("\n" not in message for message in logged)


def test_a_crash_in_the_api_answers_in_the_error_format(app_config):
    crashing = create_app(app_config)

    @crashing.route("/api/v1/test-crash")
    def crash() -> str:
        raise RuntimeError("internal detail")

    with crashing.app_context():
        response = crashing.test_client().get("/api/v1/test-crash")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert "internal detail" not in response.get_data(as_text=True)


# --- staff accounts, managed by admins -------------------------------------------------------------

def test_only_admins_manage_accounts(app, client, login, create_user):
    organiser = create_user("organiser")
    facilitator = create_user("facilitator")
    assert client.get("/admin/users").status_code == 302
    login(organiser)
    assert client.get("/admin/users").status_code == 403
    assert client.post(f"/admin/users/{facilitator.id}/role", data={"role": "admin"}).status_code == 403
    assert client.post("/admin/users/new", data={"email": "a@example.org", "role": "admin",
                                                 "password": "a long enough passphrase"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, facilitator.id).role is Role.facilitator
    assert db.session.scalar(sa.select(User).where(User.email == "a@example.org")) is None


def test_admin_changes_roles_and_export_permission_and_reenables(client, login, create_user):
    admin = create_user("admin")
    other = create_user("facilitator")
    login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert other.email in page

    assert client.post(f"/admin/users/{other.id}/role", data={"role": "organiser"}).status_code == 302
    assert client.post(f"/admin/users/{other.id}/export-names/grant").status_code == 302
    assert client.post(f"/admin/users/{other.id}/disable").status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, other.id)
    assert (changed.role, changed.can_export_names, changed.is_active) == (Role.organiser, True, False)

    assert client.post(f"/admin/users/{other.id}/export-names/revoke").status_code == 302
    assert client.post(f"/admin/users/{other.id}/enable").status_code == 302
    db.session.expire_all()
    changed = db.session.get(User, other.id)
    assert (changed.can_export_names, changed.is_active) == (False, True)


def test_an_admin_cannot_disable_or_demote_themselves(client, login, create_user):
    admin = create_user("admin")
    login(admin)
    assert client.post(f"/admin/users/{admin.id}/disable").status_code == 302
    assert "cannot change your own account" in client.get("/admin/users").get_data(as_text=True)
    assert client.post(f"/admin/users/{admin.id}/role", data={"role": "facilitator"}).status_code == 302
    db.session.expire_all()
    unchanged = db.session.get(User, admin.id)
    assert unchanged.is_active and unchanged.role is Role.admin


def test_an_unknown_role_or_account_is_refused(client, login, create_user):
    login(create_user("admin"))
    other = create_user("facilitator")
    assert client.post(f"/admin/users/{other.id}/role", data={"role": "superuser"}).status_code == 400
    assert client.post("/admin/users/99999/disable").status_code == 404
    assert client.post(f"/admin/users/{other.id}/export-names/maybe").status_code == 404
