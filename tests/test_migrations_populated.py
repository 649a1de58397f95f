"""T19: every migration on a database that holds data: no row lost going up, down and up again.

The data is made at the newest schema (synthetic forums, sessions, agendas, people, registrations,
plus accounts, tokens, links, policies and audit entries), then copied, column by column, into a
database migrated only to the first revision. From there the test walks every later revision one
step at a time, whatever revisions exist when it runs, checking that each table keeps its rows (by
primary key); then it walks down to the first revision and up again with the same check.
Both backends: with DATABASE_URL set, the test creates and drops its own PostgreSQL database.
"""

import enum
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from app import create_app
from forums.audit import log as audit
from forums.balance import policies
from forums.balance.rules import Quota
from forums.data.synthetic import generate
from forums.database import normalise_database_url
from forums.people import links
from forums.registrations.operations import mark_attended
from models import Registration, RegistrationStatus, db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, base_config

#: tables the copied data must fill, so that their migrations are tried on real rows
MUST_HOLD_ROWS = {"forum", "forum_session", "agenda_item", "agenda_speaker", "participant", "participant_category",
                  "registration", "dimension", "category", "user", "api_token", "personal_link", "audit_entry",
                  "balance_policy", "quota"}

Keys = dict[str, set[tuple[Any, ...]]]


@pytest.fixture
def empty_database_uri(tmp_path: Any) -> Iterator[str]:
    """A database of its own: a SQLite file, or a PostgreSQL database created here and dropped after."""
    if not ON_POSTGRES:
        yield "sqlite:///" + str(tmp_path / "populated-migrations.sqlite")
        return
    server = sa.make_url(normalise_database_url(POSTGRES_URL))
    name = f"{server.database}_populated_migrations"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _populate_at_head(create_user: Any, token_for: Any, create_session: Any) -> None:
    """Fill the app fixture's (newest) database with every kind of row."""
    generate(participants=40, sessions=5, registrations_per_session=8, seed=19)
    forum_session = create_session(capacity=5)
    staff = create_user("organiser")
    token_for(staff)
    first_registration = db.session.scalars(sa.select(Registration).order_by(Registration.id)).first()
    assert first_registration is not None
    if first_registration.status is not RegistrationStatus.attended:
        mark_attended(first_registration)
    links.issue(first_registration.participant)
    quota = Quota("group", "uto", min_count=1)
    assert policies.save_policy(forum_session, [quota], policies.load_catalogue()) == []
    assert policies.save_policy(forum_session.forum, [quota], policies.load_catalogue()) == []
    audit.record("test.populated", "session", forum_session.id)
    db.session.commit()


def _raw_rows() -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table's rows as the driver returns them, untouched by the models' types."""
    rows = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            result = connection.exec_driver_sql(f'SELECT * FROM "{table.name}"')
            rows[table.name] = (list(result.keys()), [tuple(row) for row in result])
    return rows


def _driver_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)  # PostgreSQL's json columns come back as Python objects
    return value.value if isinstance(value, enum.Enum) else value


def _copy_into_current_schema(rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> None:
    """Insert ``rows`` into the tables of the schema as it is now, keeping only the columns it has."""
    schema = sa.MetaData()
    schema.reflect(bind=db.engine)
    with db.engine.begin() as connection:
        for table in schema.sorted_tables:
            if table.name not in rows:
                continue
            names, values = rows[table.name]
            kept = [index for index, name in enumerate(names) if name in table.columns]
            if not values:
                continue
            # Untyped columns: the driver gets the values exactly as the other database gave them.
            target = sa.table(table.name, *(sa.column(names[index]) for index in kept))
            connection.execute(sa.insert(target), [
                {names[index]: _driver_value(row[index]) for index in kept} for row in values])
            if connection.dialect.name == "postgresql" and "id" in table.columns:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), MAX(id)) FROM \"{table.name}\"")


def _primary_keys() -> Keys:
    """Per table, the primary keys of its rows."""
    schema = sa.MetaData()
    schema.reflect(bind=db.engine)
    with db.engine.connect() as connection:
        return {table.name: {tuple(row) for row in connection.execute(sa.select(*table.primary_key.columns))}
                for table in schema.sorted_tables if table.name != "alembic_version"}


def _assert_kept(before: Keys, after: Keys, step: str) -> None:
    for name in before.keys() & after.keys():
        assert after[name] == before[name], f"{step}: {name} had {len(before[name])} rows, now {len(after[name])}"


def _revisions(app: Flask) -> list[str]:
    """Every revision, oldest first (the chain has one head; test_migrations checks that)."""
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_every_migration_keeps_the_rows_of_a_populated_database(app, empty_database_uri, create_user, token_for,
                                                                 create_session):
    _populate_at_head(create_user, token_for, create_session)
    rows = _raw_rows()
    assert {name for name, (_columns, values) in rows.items() if values} >= MUST_HOLD_ROWS
    db.session.remove()

    target = create_app(base_config(empty_database_uri))
    with target.app_context():
        revisions = _revisions(target)
        upgrade(revision=revisions[0])
        _copy_into_current_schema(rows)
        first = _primary_keys()
        assert all(first[name] for name in MUST_HOLD_ROWS & first.keys())
        keys = first
        for revision in revisions[1:]:
            upgrade(revision=revision)
            now = _primary_keys()
            _assert_kept(keys, now, f"upgrade to {revision}")
            keys = now
        at_head = keys

        for revision in reversed(revisions[:-1]):
            downgrade(revision=revision)
            now = _primary_keys()
            _assert_kept(keys, now, f"downgrade to {revision}")
            keys = now
        _assert_kept(first, keys, "back at the first revision")
        for revision in revisions[1:]:
            upgrade(revision=revision)
            now = _primary_keys()
            _assert_kept(keys, now, f"upgrade again to {revision}")
            keys = now
        assert keys == at_head
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":  # migrations switch them off for batch rebuilds, and back on
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()
