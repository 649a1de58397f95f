"""Fixtures: an app on a fresh database per test (SQLite by default, PostgreSQL with DATABASE_URL)."""

import contextvars
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context, has_request_context, request
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy.orm import ORMExecuteState, Session

from app import create_app
from forums.accounts.tokens import issue_token
from forums.database import normalise_database_url
from forums.people.names import search_key
from forums.people.seed import seed_dimensions
from forums.security import hash_password
from models import (
    Category,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    Role,
    SessionStatus,
    User,
    Visibility,
    db,
)

DUSHANBE = ZoneInfo("Asia/Dushanbe")


def _database_of_this_worker(url: str) -> str:
    """Under pytest-xdist each worker on PostgreSQL gets a database of its own, named after the one given and
    created here: every test empties the database it runs on, which two workers cannot share."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url.startswith("postgres") or not worker:
        return url
    base, _, name = url.rpartition("/")
    worker_name = f"{name}_{worker}"
    admin = sa.create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{worker_name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{worker_name}"')
    admin.dispose()
    return f"{base}/{worker_name}"


POSTGRES_URL = _database_of_this_worker(os.environ.get("DATABASE_URL", ""))
ON_POSTGRES = POSTGRES_URL.startswith("postgres")
TEST_PASSWORD = "correct horse battery staple"


class LazyLoad(AssertionError):
    """A page or API read loaded a relationship on first access: one query per row on a list."""


@pytest.fixture(autouse=True)
def reads_load_eagerly() -> Iterator[list[str]]:
    """In every test, a GET request that lazy-loads a relationship fails (issue 8): pages and API
    reads load what they show with their own queries. Writes may load what they change."""
    found: list[str] = []

    def refuse(state: ORMExecuteState) -> None:
        if state.is_select and state.lazy_loaded_from is not None and has_request_context() \
                and request.method == "GET":
            found.append(f"{request.endpoint} lazy-loads {state.loader_strategy_path.path[-1]}")
            raise LazyLoad(found[-1])  # the app answers 500; the teardown says why

    sa.event.listen(Session, "do_orm_execute", refuse)
    try:
        yield found
    finally:
        sa.event.remove(Session, "do_orm_execute", refuse)
    assert not found, found


def base_config(database_uri: str) -> dict[str, Any]:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every test user: hashing at production strength takes a while."""
    return hash_password(TEST_PASSWORD)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to the newest revision and seeded, built once per test run."""
    if ON_POSTGRES:
        uri = POSTGRES_URL
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("template") / "template.sqlite")
    app = create_app(base_config(uri))
    with app.app_context():
        if ON_POSTGRES:
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        seed_dimensions()
        db.session.commit()
        db.engine.dispose()
    return uri


def _fresh_sqlite_copy(template_uri: str, target: str) -> str:
    source = sqlite3.connect(template_uri.removeprefix("sqlite:///"))
    destination = sqlite3.connect(target)
    source.backup(destination)
    source.close()
    destination.close()
    return "sqlite:///" + target


def _reset_postgres() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    quoted = ", ".join(f'"{name}"' for name in tables)
    db.session.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    seed_dimensions()
    db.session.commit()


@pytest.fixture
def app_config(database_template: str, tmp_path: Any) -> dict[str, Any]:
    """Test configuration on a fresh database; tests may change it before using ``app``."""
    if not ON_POSTGRES:
        return base_config(_fresh_sqlite_copy(database_template, str(tmp_path / "test.sqlite")))
    # Emptied here rather than in ``app``, so tests that build their own app start clean too.
    config = base_config(database_template)
    resetting = create_app(config)
    with resetting.app_context():
        _reset_postgres()
        db.session.remove()
        db.engine.dispose()
    return config


class CommittingClient(FlaskClient):
    """A test client whose requests run as in production: each in its own app context.

    Flask reuses an app context that is already pushed (the ``app`` fixture's), which would share
    ``g`` (and so the signed-in user) and the database session between requests. Each request here
    runs in an empty ``contextvars`` context instead, after the test's own transaction is ended: on
    SQLite every transaction holds the write lock (forums.database), and a snapshot taken before a
    request would hide what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        if not has_app_context():
            # Already in a request's own context: a redirect being followed.
            return super().open(*args, **kwargs)
        db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


class CommittingRunner(FlaskCliRunner):
    """A CLI runner that ends the test's own transaction before each command, for the same reason."""

    def invoke(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        return super().invoke(*args, **kwargs)


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """A new app on a fresh database, with an application context pushed."""
    application = create_app(app_config)
    application.test_client_class = CommittingClient
    application.test_cli_runner_class = CommittingRunner
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner for ``app``."""
    return app.test_cli_runner()


@pytest.fixture
def create_user(app: Flask, password_hash: str) -> Callable[..., User]:
    """Make a staff user: ``create_user(role="organiser", email=None)``."""
    counter = iter(range(1, 10_000))

    def _create(role: str = "organiser", email: str | None = None, **fields: Any) -> User:
        user = User(email=email or f"{role}{next(counter)}@example.org", password_hash=password_hash,
                    role=Role(role), **fields)
        db.session.add(user)
        db.session.commit()
        return user

    return _create


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign ``user`` in on the test client."""
    def _login(user: User) -> FlaskClient:
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


def sign_in_without_password(client: FlaskClient, user: User) -> FlaskClient:
    """Put a valid sign-in in the client's cookie, skipping the deliberately slow password check
    (the ``login`` fixture covers the real sign-in)."""
    now = datetime.now().timestamp()
    with client.session_transaction() as stored:
        stored.clear()
        stored.update({"_user_id": user.get_id(), "_fresh": True, "signed_in_at": now, "seen": now})
    return client


@pytest.fixture
def token_for(app: Flask) -> Callable[[User], dict[str, str]]:
    """Authorization headers carrying a fresh API token of ``user``."""
    def _headers(user: User) -> dict[str, str]:
        token = issue_token(user)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return _headers


def category(dimension_key: str, category_key: str) -> Category:
    """A seeded category by its keys."""
    return db.session.scalars(
        sa.select(Category).join(Dimension)
        .where(Dimension.key == dimension_key, Category.key == category_key)
    ).one()


@pytest.fixture
def create_forum(app: Flask) -> Callable[..., Forum]:
    """Make a forum."""
    def _create(title: str = "Round table on water", kind: str = "round_table", **fields: Any) -> Forum:
        forum = Forum(title=title, kind=ForumKind(kind), **fields)
        db.session.add(forum)
        db.session.commit()
        return forum

    return _create


#: the year of the sessions tests make: far enough ahead that "upcoming" and "may still answer" hold on any
#: day the suite runs (a fixed date in the near future turned into the past and failed a dozen tests)
TEST_YEAR = 2036


def dushanbe_time(day: int = 3, hour: int = 10, minute: int = 0) -> datetime:
    """A wall-clock time in Dushanbe in December of ``TEST_YEAR``."""
    return datetime(TEST_YEAR, 12, day, hour, minute, tzinfo=DUSHANBE)


@pytest.fixture
def create_session(create_forum: Callable[..., Forum]) -> Callable[..., ForumSession]:
    """Make a session (a published public one in Dushanbe by default)."""
    def _create(forum: Forum | None = None, title: str = "Water and land", capacity: int = 20,
                starts_at: datetime | None = None, hours: int = 3, region: str = "dushanbe",
                visibility: str = "public", status: str = "published", **fields: Any) -> ForumSession:
        starts_at = starts_at or dushanbe_time()
        forum_session = ForumSession(
            forum=forum or create_forum(), title=title, capacity=capacity, starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours), venue="Hotel Tajikistan, hall 2",
            region=category("region", region), visibility=Visibility(visibility),
            status=SessionStatus(status), **fields,
        )
        db.session.add(forum_session)
        db.session.commit()
        return forum_session

    return _create


@pytest.fixture
def create_participant(app: Flask) -> Callable[..., Participant]:
    """Make a participant with categories, e.g. ``create_participant("Раҳимова Нигора", group="media")``."""
    def _create(name: str = "Rahimova Nigora", organisation: str = "", **categories: str) -> Participant:
        values = {"group": "civil_society", "region": "dushanbe", "gender": "woman", **categories}
        participant = Participant(name=name, search_key=search_key(name), organisation=organisation)
        for dimension_key, category_key in values.items():
            chosen = category(dimension_key, category_key)
            participant.categories.append(
                ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id)
            )
        db.session.add(participant)
        db.session.commit()
        return participant

    return _create


@pytest.fixture
def create_registration(app: Flask) -> Callable[..., Registration]:
    """A registration in any status, written as it stands (no capacity or status rules):
    ``create_registration(forum_session, participant, "attended")``."""
    def _create(forum_session: ForumSession, participant: Participant, status: str) -> Registration:
        registration = Registration(forum_session=forum_session, participant=participant,
                                    status=RegistrationStatus(status))
        db.session.add(registration)
        db.session.commit()
        return registration

    return _create


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as counted: ...`` then ``counted()`` is the number of SQL statements."""
    @contextmanager
    def _counting() -> Iterator[Callable[[], int]]:
        statements: list[str] = []

        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", _before)
        try:
            yield lambda: len(statements)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", _before)

    return _counting
