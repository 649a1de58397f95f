"""Migrations: upgrade an empty database, downgrade to base, upgrade again; models match the schema."""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from forums.people.seed import seed_dimensions
from models import Dimension, db
from tests.conftest import ON_POSTGRES, POSTGRES_URL, base_config


def _empty_database_app(tmp_path):
    uri = POSTGRES_URL if ON_POSTGRES else "sqlite:///" + str(tmp_path / "migrations.sqlite")
    app = create_app(base_config(uri))
    if ON_POSTGRES:
        with app.app_context(), db.engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return app


def _tables():
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip_keeps_a_single_head(tmp_path):
    app = _empty_database_app(tmp_path)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1
        upgrade()
        assert _tables() == set(db.metadata.tables)
        seed_dimensions()
        db.session.commit()
        db.session.remove()
        downgrade(revision="base")
        assert _tables() == set()
        upgrade()
        assert _tables() == set(db.metadata.tables)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dimension)) == 0
        db.session.remove()
        db.engine.dispose()


def test_models_match_the_migrated_schema(tmp_path):
    app = _empty_database_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        db.engine.dispose()


def _balance_stamp_migration():
    """The migration that creates the balance-stamp triggers, loaded from its file (its name is not a module's)."""
    path = next(Path(__file__).resolve().parent.parent.glob("migrations/versions/b41a5c0e7d21_*.py"))
    spec = importlib.util.spec_from_file_location("balance_stamp_migration", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_balance_stamp_trigger_survives_the_later_migrations(tmp_path):
    """A later migration that copies a table (an Alembic batch on SQLite) silently drops its triggers, and the
    balance reports of that table's changes would then be served stale from the kept copies."""
    stamp = _balance_stamp_migration()
    expected = {f"balance_stamp_{table}_{operation}"
                for table in stamp.AFFECTED_SESSIONS for operation in stamp.OPERATIONS}
    app = _empty_database_app(tmp_path)
    with app.app_context():
        upgrade()
        query = ("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'balance_stamp_%'" if ON_POSTGRES
                 else "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'balance_stamp_%'")
        with db.engine.connect() as connection:
            found = set(connection.execute(sa.text(query)).scalars())
        db.engine.dispose()
    assert found == expected
