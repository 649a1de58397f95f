"""Engine set-up: SQLite pragmas, write transactions that cannot deadlock, and cheap read-only requests.

Every transaction on SQLite takes the write lock up front (``BEGIN IMMEDIATE``, below), except in a
request whose view was marked :func:`reads_only`: such a request begins deferred transactions, which
take no lock in WAL mode, and on PostgreSQL it reads in autocommit (no ``BEGIN``/``ROLLBACK`` round
trips). A statement that would write in such a request is refused before it reaches the database.
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from models import db

View = TypeVar("View", bound=Callable[..., Any])

#: how a statement that only reads begins (SQL keywords, upper case); anything else writes or could
READING_STATEMENTS = ("SELECT", "WITH", "BEGIN", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "ROLLBACK")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


#: seconds a pooled PostgreSQL connection may sit unused and still be lent without a test round trip
DEFAULT_PING_AFTER_IDLE = 1.0


def engine_options(url: str) -> dict[str, Any]:
    """Per-backend engine options."""
    if url.startswith("sqlite"):
        # pysqlite must not issue its own BEGIN: ours (below) decides how a transaction starts.
        return {"connect_args": {"timeout": 15, "isolation_level": None}}
    # Not a round trip on every checkout: _install_idle_ping tests the connections that sat unused.
    return {"pool_pre_ping": False}


def reads_only(view: View) -> View:
    """Mark a view that never writes to the database, whatever the caller and whatever it finds.

    Its request, from the sign-in (cookie or token) on, reads without the write lock on SQLite and in
    autocommit on PostgreSQL; a write attempted in it raises ``ReadOnlyRequest`` (a 500, and a failing
    test) instead of running outside the transaction rules of this module.
    """
    view.reads_only = True  # type: ignore[attr-defined]
    return view


class ReadOnlyRequest(RuntimeError):
    """A view marked ``reads_only`` tried to write."""


def in_read_only_request() -> bool:
    """Whether the current request's view is marked ``reads_only`` (False outside requests)."""
    return has_request_context() and g.get("reads_only", False)


def _mark_read_only_request() -> None:
    """Before any other hook can query (the sign-in): note a read-only view (see ``_read_in_autocommit``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "reads_only", False):
        g.reads_only = True


def _read_in_autocommit(state: ORMExecuteState) -> None:
    """On PostgreSQL, the first statement of a read-only request's session opens it in autocommit.

    READ COMMITTED gives each statement its own snapshot anyway: without BEGIN and ROLLBACK the
    reads see the same, two round trips sooner. (SQLite keeps its own BEGIN: see _on_begin.) Done
    here, when the session first queries, not before the view: a request whose session never
    queries (the public agenda reads its stamp with ``read_row``) borrows no connection for it. A
    session already in a transaction (an app context that outlives the request, as in tests and CLI
    commands) cannot change its connection's isolation: its reads stay in that transaction.
    """
    session = state.session
    if in_read_only_request() and not session.in_transaction() and session.get_bind().dialect.name != "sqlite":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


sa.event.listen(OrmSession, "do_orm_execute", _read_in_autocommit)


def read_row(statement: sa.Executable, parameters: dict[str, Any]) -> sa.Row[*tuple[Any, ...]] | None:
    """The first row of a statement that only reads, run as Core below the ORM session's machinery.

    For the small stamp queries run on every request of a cached view (``forums.web.cache``): the
    ORM's execution, result and transaction steps cost more than the query. It runs on the request
    session's connection when the session already holds one (its transaction, no second connection);
    otherwise on a connection lent by the app's engine (this module's hooks and pool, the same
    database handling) and handed back at once: on SQLite its transaction begins as any of this
    request's would (see ``_on_begin``), on PostgreSQL the one statement reads in autocommit. Meant
    for statements on tables' columns, which the forum scope's criteria (``forums.accounts.scope``,
    for mapped entities) never applied to through the session either: the caller checks the
    reader's right itself.
    """
    if db.session.registry.has() and db.session().in_transaction():
        return db.session.connection().execute(statement, parameters).first()
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.execute(statement, parameters).first()


def init_app(app: Flask) -> None:
    """Bind ``db`` to the app and install the connection hooks."""
    url = normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = engine_options(url)
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        if url.startswith("sqlite"):
            _install_sqlite_hooks(db.engine)
        elif not options.get("pool_pre_ping"):
            _install_idle_ping(db.engine, float(app.config.get("DATABASE_PING_AFTER_IDLE", DEFAULT_PING_AFTER_IDLE)))
        _refuse_writes_in_read_only_requests(db.engine)
    # Registered before every other before_request hook (forums.init_app calls this early), so the
    # user a cookie or token signs in is read the same way as the rest.
    app.before_request(_mark_read_only_request)


def _install_idle_ping(engine: sa.Engine, after: float) -> None:
    """Test a pooled connection with a round trip before lending it, if it sat unused more than ``after`` seconds.

    A connection that the database dropped while it sat in the pool (a restart, an idle timeout, a
    network cut) is then replaced before any request uses it, as ``pool_pre_ping`` does, without
    that round trip on every request of a busy worker, whose connection was in use a moment ago: a
    restart under load fails the requests under way and, at worst, the next one per worker, after
    which SQLAlchemy replaces the whole pool. ``DATABASE_PING_AFTER_IDLE = 0`` tests every checkout.
    """
    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= after:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and lends a new one.
            raise sa.exc.DisconnectionError("a pooled connection was dropped while idle") from error


def _refuse_writes_in_read_only_requests(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "before_cursor_execute")
    def _check(_connection: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if in_read_only_request() and not statement.lstrip()[:9].upper().startswith(READING_STATEMENTS):
            raise ReadOnlyRequest(f"{request.endpoint} is marked reads_only but sent: {statement[:80]}")


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
        # A request that cannot write (``reads_only``, enforced above) has neither risk: its deferred
        # transaction reads a snapshot beside the writer and the other readers, and waits for no one.
        # Straight to the driver: nothing to bind or return, and this runs for every transaction.
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # a connection being begun is open
        driver_connection.execute("BEGIN" if in_read_only_request() else "BEGIN IMMEDIATE")
