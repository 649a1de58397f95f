"""Engine set-up: SQLite pragmas and write transactions that cannot deadlock."""

from typing import Any

import sqlalchemy as sa
from flask import Flask

from models import db


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict[str, Any]:
    """Per-backend engine options."""
    if url.startswith("sqlite"):
        # pysqlite must not issue its own BEGIN: ours (below) decides how a transaction starts.
        return {"connect_args": {"timeout": 15, "isolation_level": None}}
    return {"pool_pre_ping": True}


def init_app(app: Flask) -> None:
    """Bind ``db`` to the app and install the SQLite connection hooks."""
    url = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = engine_options(url)
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    if url.startswith("sqlite"):
        with app.app_context():
            _install_sqlite_hooks(db.engine)


def _install_sqlite_hooks(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers and the single writer proceed together; the timeout makes a writer wait
        # for another instead of failing with "database is locked".
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Every transaction takes the write lock up front. A deferred transaction that reads and then
        # writes (an audited read, a capacity check before an insert) can otherwise fail with
        # SQLITE_BUSY_SNAPSHOT whatever the timeout, and two of them can overbook a session.
        # The cost is that SQLite transactions run one at a time: PostgreSQL is the scale option.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
