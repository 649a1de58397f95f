"""Start-up, configuration and the public pages."""

import pytest

from app import create_app
from tests.conftest import ON_POSTGRES, base_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    config = base_config("sqlite:///" + str(tmp_path / "x.sqlite"))
    config.update(SECRET_KEY=None, PRODUCTION=True)
    with pytest.raises(RuntimeError, match="FLASK_SECRET_KEY"):
        create_app(config)


def test_production_refuses_a_short_secret_key(tmp_path):
    config = base_config("sqlite:///" + str(tmp_path / "x.sqlite"))
    config.update(SECRET_KEY="dev", PRODUCTION=True)
    with pytest.raises(RuntimeError, match="too short"):
        create_app(config)


def test_development_makes_a_throwaway_key_and_says_so(tmp_path, caplog):
    config = base_config("sqlite:///" + str(tmp_path / "x.sqlite"))
    config["SECRET_KEY"] = None
    app = create_app(config)
    assert len(app.config["SECRET_KEY"]) >= 32
    assert "throwaway key" in caplog.text


def test_configuration_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("FLASK_DISPLAY_TIMEZONE", "Asia/Dushanbe")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/nowhere")
    monkeypatch.chdir(tmp_path)
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 40
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_every_connection_gets_the_backends_safety_settings(app):
    """SQLite: WAL, foreign keys and a busy timeout; PostgreSQL: psycopg 3 (dead pooled connections: below)."""
    from models import db

    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        else:
            assert connection.dialect.driver == "psycopg"


# PostgreSQL's pool only: defined when the suite runs on PostgreSQL (CI's second pass), so the SQLite pass
# collects nothing rather than reporting a skip. SQLite's pool lends connections of a local file: no ping.
if ON_POSTGRES:
    def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_and_a_busy_one_is_not_pinged(app, monkeypatch):
        """PostgreSQL: a pooled connection the server dropped (a restart) is tested after an idle spell and
        replaced before anyone uses it; one lent again a moment after its last use costs no test round trip."""
        import sqlalchemy as sa

        import forums.database
        from models import db
        pings = []
        ping = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))
        with db.engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
        assert not pings

        other = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        with other.connect() as killer:
            killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        other.dispose()
        later = forums.database.time.monotonic() + 60
        monkeypatch.setattr(forums.database.time, "monotonic", lambda: later)
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
        assert pings


def test_public_agenda_shows_items_and_speakers_but_no_attendees(client, create_session, create_participant):
    from datetime import timedelta

    from forums.registrations.operations import register
    from models import AgendaItem, AgendaKind, AgendaSpeaker, RegistrationStatus, db

    forum_session = create_session(title="Water and land")
    speaker = create_participant("Sharipov Daler", organisation="Academy of Sciences", group="academia")
    attendee = create_participant("Раҳимова Нигора", group="uto")
    item = AgendaItem(forum_session=forum_session, position=1, title="Opening remarks", kind=AgendaKind.opening,
                      starts_at=forum_session.starts_at, ends_at=forum_session.starts_at + timedelta(minutes=30))
    item.speakers.append(AgendaSpeaker(participant=speaker, position=0))
    db.session.add(item)
    register(forum_session, attendee, RegistrationStatus.registered)
    db.session.commit()

    page = client.get(f"/sessions/{forum_session.id}").get_data(as_text=True)
    assert "Water and land" in page
    assert "Opening remarks" in page and "Sharipov Daler" in page and "Academy of Sciences" in page
    assert "Раҳимова" not in page
    assert "10:00" in page  # 10:00 in Dushanbe, stored as 05:00 UTC


def test_draft_and_invitation_sessions_are_not_public(client, create_session):
    draft = create_session(status="draft")
    invitation = create_session(visibility="invitation")
    assert client.get(f"/sessions/{draft.id}").status_code == 404
    assert client.get(f"/sessions/{invitation.id}").status_code == 404
    index = client.get("/").get_data(as_text=True)
    assert f"/sessions/{draft.id}\"" not in index and f"/sessions/{invitation.id}\"" not in index


def test_index_lists_upcoming_public_sessions(client, create_session):
    public = create_session(title="Open evening on water")
    assert public.title in client.get("/").get_data(as_text=True)


def test_a_page_limit_in_other_digits_is_refused_not_a_crash(client):
    response = client.get("/api/v1/sessions?limit=²")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"limit": "A number from 1 to 100."}


def test_behind_a_configured_proxy_the_client_address_comes_from_x_forwarded_for(app_config):
    from flask import request

    app_config["PROXY_HOPS"] = 1
    app = create_app(app_config)
    seen = {}

    @app.route("/_test/address")
    def address():
        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return ""

    app.test_client().get("/_test/address", headers={"X-Forwarded-For": "203.0.113.9",
                                                      "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}


def test_a_nul_character_in_a_form_or_query_is_a_400_not_a_crash(client):
    assert client.post("/login", data={"email": "a\x00@example.org", "password": "x"}).status_code == 400
    assert client.get("/?lang=r\x00u").status_code == 400


def test_production_refuses_to_start_in_debug_mode(tmp_path):
    config = base_config("sqlite:///" + str(tmp_path / "x.sqlite"))
    config.update(PRODUCTION=True, DEBUG=True, SECRET_KEY="s" * 40)
    with pytest.raises(RuntimeError, match="debug"):
        create_app(config)
