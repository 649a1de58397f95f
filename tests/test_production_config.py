"""T21: the application as production starts it, from the environment: safe settings, nothing left on."""

import json
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_app
from models import db
from tests.conftest import base_config

PRODUCTION_SECRET = "a-production-secret-that-is-long-and-random-7f3c9e1b"
HOST = "desk.example.org"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, app_config: dict, tmp_path) -> Iterator[Flask]:
    """The app built the way gunicorn builds it: ``create_app()`` reading FLASK_* variables."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_PRODUCTION", "1")
    monkeypatch.setenv("FLASK_SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", json.dumps([HOST]))
    monkeypatch.setenv("DATABASE_URL", app_config["SQLALCHEMY_DATABASE_URI"])
    application = create_app()

    @application.route("/test-crash")
    def crash() -> str:
        raise RuntimeError("internal detail: connection string postgresql://secret")

    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_production_settings_are_safe(production):
    assert production.debug is False and not production.config["DEBUG"]
    assert production.testing is False
    assert production.config["SECRET_KEY"] == PRODUCTION_SECRET
    assert production.config["MAX_CONTENT_LENGTH"] and production.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
    assert production.config["TRUSTED_HOSTS"] == [HOST]
    assert production.config["SESSION_COOKIE_SECURE"] and production.config["SESSION_COOKIE_HTTPONLY"]
    assert production.config["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_only_the_trusted_host_is_answered(production):
    client = production.test_client()
    assert client.get("/", base_url=f"https://{HOST}").status_code == 200
    foreign = client.get("/", base_url="https://attacker.example")
    assert foreign.status_code == 400
    assert "Traceback" not in foreign.get_data(as_text=True)
    assert foreign.headers["X-Content-Type-Options"] == "nosniff" and foreign.headers["Content-Security-Policy"]
    # A proxy cannot smuggle the foreign host in through a port or a suffix either.
    assert client.get("/", base_url=f"https://{HOST}.attacker.example").status_code == 400


def test_a_body_over_the_limit_is_refused(production):
    too_large = b"x" * (production.config["MAX_CONTENT_LENGTH"] + 1)
    response = production.test_client().post("/login", data=too_large, base_url=f"https://{HOST}",
                                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_trace_is_refused_and_errors_are_generic(production):
    client = production.test_client()
    assert client.open("/", method="TRACE", base_url=f"https://{HOST}").status_code == 405
    missing = client.get("/no-such-page", base_url=f"https://{HOST}")
    assert missing.status_code == 404
    crashed = client.get("/test-crash", base_url=f"https://{HOST}")
    body = crashed.get_data(as_text=True)
    assert crashed.status_code == 500
    assert "Traceback" not in body and "internal detail" not in body and "postgresql://" not in body
    assert crashed.headers["Content-Security-Policy"]


@pytest.mark.parametrize("hosts", ['"desk.example.org,other.example.org"', "42", '[1, 2]'])
def test_trusted_hosts_that_are_not_a_list_of_names_refuse_to_start(monkeypatch, tmp_path, hosts):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", hosts)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "unused.sqlite"))
    with pytest.raises(RuntimeError, match="FLASK_TRUSTED_HOSTS"):
        create_app()


def test_every_pooled_sqlite_connection_gets_wal_foreign_keys_and_busy_timeout(tmp_path):
    """Several connections open at once, as under gunicorn threads: each one, not just the first."""
    config = {**base_config("sqlite:///" + str(tmp_path / "pool.sqlite")), "PRODUCTION": True,
              "TESTING": False, "SECRET_KEY": PRODUCTION_SECRET, "TRUSTED_HOSTS": [HOST]}
    application = create_app(config)
    with application.app_context():
        # Raw DBAPI connections: a SQLAlchemy connection would begin a write transaction and the
        # second one would wait for the first.
        connections = [db.engine.raw_connection() for _ in range(4)]
        try:
            assert len({id(connection.dbapi_connection) for connection in connections}) == 4
            for connection in connections:
                cursor = connection.cursor()
                assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
                assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
                assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
                cursor.close()
        finally:
            for connection in connections:
                connection.close()
            db.engine.dispose()



def test_production_refuses_to_start_without_trusted_hosts(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_PRODUCTION", "1")
    monkeypatch.setenv("FLASK_SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "unused.sqlite"))
    with pytest.raises(RuntimeError, match="needs FLASK_TRUSTED_HOSTS"):
        create_app()
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", "[]")
    with pytest.raises(RuntimeError, match="needs FLASK_TRUSTED_HOSTS"):
        create_app()


def _throttle_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.levelname == "WARNING" and "sign-in throttle" in record.getMessage()]


def test_production_says_at_start_up_that_an_in_memory_throttle_counts_per_worker(monkeypatch, tmp_path, caplog):
    monkeypatch.chdir(tmp_path)
    for name, value in (("FLASK_PRODUCTION", "1"), ("FLASK_SECRET_KEY", PRODUCTION_SECRET),
                        ("FLASK_TRUSTED_HOSTS", json.dumps([HOST])),
                        ("DATABASE_URL", "sqlite:///" + str(tmp_path / "unused.sqlite"))):
        monkeypatch.setenv(name, value)
    create_app()
    warning, = _throttle_warnings(caplog)
    assert "per worker" in warning and "memory://" in warning and "FLASK_RATELIMIT_STORAGE_URI" in warning

    caplog.clear()
    monkeypatch.setenv("FLASK_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    create_app()
    assert _throttle_warnings(caplog) == []

    caplog.clear()
    monkeypatch.delenv("FLASK_RATELIMIT_STORAGE_URI")
    monkeypatch.delenv("FLASK_PRODUCTION")
    monkeypatch.delenv("FLASK_TRUSTED_HOSTS")
    create_app()  # development: one process, nothing to say
    assert _throttle_warnings(caplog) == []
