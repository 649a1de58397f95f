"""Responses served from a per-worker cache that is checked against the database on every request.

Two responses are asked for far more often than they change:

- the public agenda (``/sessions/<id>``), the page everyone opens: participants on slow links, and
  anyone a session's link was forwarded to. For a visitor who sends no cookie, no ``Authorization``
  and no query string, it depends only on the session, the language the browser asks for, whether
  it accepts gzip, and the scheme (HTTPS adds HSTS);
- a session's balance report (``/api/v1/sessions/<id>/balance``), which dashboards poll every few
  seconds while people arrive. For a caller with a bearer token and no cookie, it depends only on
  the session, the stage, and the same request traits; who asks only decides whether they may.

This WSGI middleware keeps the complete response Flask produced for each such combination and, on
every request, runs ONE small query, in autocommit on a connection of its own, that returns
everything the response depends on: its *stamp*. For the agenda that is the session's ``version``
(raised by every ORM change to it, and agenda edits raise its SEQUENCE) and ``updated_at``, its
forum's title, the region's names, and the count, ids, versions and latest ``updated_at`` of the
agenda's speakers; times move forward, so even after a restored backup has put old version numbers
back, a new edit gives a new stamp. For the balance report it is the session's balance stamp, which
database triggers renew whenever the report may change (``ForumSession.balance_stamp``), and the same
query checks the token: live, of an active user who is staff or facilitates this session. When the
stamp equals the stamp the copy was made under, the copy is sent; otherwise (or when the caller may
not see it, or the session does not exist) the request goes through Flask as usual, and a new 200
replaces the copy. A change is therefore visible on the very next request, a revoked token or a
removed facilitator is refused on the very next request, and the copy's headers are exactly the
normal path's (only ``Date`` is renewed). Anything else (a signed-in reader, a ``?lang=``, ``Range``)
goes through Flask.

The stamp is read before Flask renders, so a change committed in between makes the copy carry an
older stamp than its content: the next request sees a different stamp and renders again. Never stale.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar
from urllib.parse import parse_qsl

import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import SecurityError
from werkzeug.http import http_date, is_resource_modified, parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from forums.accounts.tokens import bearer_token, token_digest
from forums.balance.rules import STAGES
from models import (
    STAFF_ROLES,
    AgendaItem,
    AgendaSpeaker,
    ApiToken,
    Category,
    Forum,
    ForumSession,
    Participant,
    SessionFacilitator,
    User,
    db,
)

log = logging.getLogger(__name__)

#: how many responses one worker keeps (sessions × languages × gzip or not × ...), least recently used out
DEFAULT_MAX_ENTRIES = 512
#: a session id in its canonical form (no leading zeros, a sane length); other spellings go through Flask
SESSION_ID = r"([1-9][0-9]{0,17})"
#: conditional headers werkzeug treats in ways the copy does not model; such requests go through Flask
UNMODELLED_HEADERS = ("HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
#: the stage the balance report shows when the query string names none (as the API view does)
DEFAULT_STAGE = "registered"

Headers = list[tuple[str, str]]
StartResponse = Callable[..., Any]


def page_stamp_query() -> sa.Select[Any]:
    """Everything the public agenda page shows that can change, for one session (bound as ``session_id``)."""
    session_id = sa.bindparam("session_id")
    # One aggregate row over the session's speakers, reached through the session's agenda items by
    # index (a subquery correlated to forum_session made PostgreSQL scan every speaker of every session).
    speakers = (
        sa.select(
            # Adding, removing, swapping or renaming a speaker always changes one of these.
            sa.func.count().label("count"),
            sa.func.sum(Participant.id).label("ids"),
            sa.func.sum(Participant.version).label("versions"),
            sa.func.max(Participant.updated_at).label("latest"),
        )
        .select_from(AgendaItem)
        .join(AgendaSpeaker, AgendaSpeaker.agenda_item_id == AgendaItem.id)
        .join(Participant, Participant.id == AgendaSpeaker.participant_id)
        .where(AgendaItem.session_id == session_id)
        .subquery("speakers")
    )
    return (
        sa.select(
            ForumSession.version, ForumSession.updated_at, Forum.title, Category.name_en, Category.name_ru,
            Category.name_tg, speakers.c.count, speakers.c.ids, speakers.c.versions, speakers.c.latest,
        )
        .join(Forum, Forum.id == ForumSession.forum_id)
        .join(Category, Category.id == ForumSession.region_id)
        .join(speakers, sa.true())
        .where(ForumSession.id == session_id)
    )


def balance_stamp_query() -> sa.Select[Any]:
    """The session's balance stamp and whether the token may read its report (``session_id``, ``token_hash``).

    No row when the token is unknown or revoked, its user inactive, or the session missing. The
    rule is ``forums.accounts.permissions.can_facilitate``: staff, or a facilitator assigned to the session.
    """
    session_id = sa.bindparam("session_id")
    facilitates = (
        sa.exists()
        .where(SessionFacilitator.session_id == session_id, SessionFacilitator.user_id == User.id)
    )
    return (
        sa.select(ForumSession.forum_id, ForumSession.balance_stamp, User.role, facilitates.label("facilitates"))
        .select_from(ApiToken)
        .join(User, User.id == ApiToken.user_id)
        .join(ForumSession, ForumSession.id == session_id)
        .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked_at.is_(None), User.is_active)
    )


@dataclass(frozen=True)
class _RawStatement:
    sql: str
    #: the parameter names in order, for drivers that bind by position; None for those that bind by name
    positions: tuple[str, ...] | None


class StampReader:
    """Runs stamp queries on a connection of its own per thread, outside the ORM and in autocommit.

    One statement, no transaction to begin or end, no pool checkout (and so no pre-ping) per request.
    """

    def __init__(self, engine: sa.Engine, queries: Mapping[str, sa.Select[Any]]) -> None:
        self.engine = engine
        self.statements = {name: self._compile(query) for name, query in queries.items()}
        self.local = threading.local()

    def _compile(self, query: sa.Select[Any]) -> _RawStatement:
        compiled = query.compile(dialect=self.engine.dialect)
        # Values are passed to the driver as they are: only parameters bound at run time are allowed,
        # no literal the type system would have to convert (an enum, a date).
        fixed = [name for name, value in compiled.params.items() if value is not None]
        if fixed:
            raise ValueError(f"stamp query binds values the driver cannot take as they are: {fixed}")
        return _RawStatement(compiled.string, tuple(compiled.positiontup) if compiled.positional else None)

    def _connection(self) -> Any:
        held = getattr(self.local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        connection = self.engine.raw_connection()
        if self.engine.dialect.name == "postgresql":
            connection.driver_connection.autocommit = True
            # Stamp queries look rows up by key. Where a table is still small (the agenda's speakers),
            # the planner prefers reading all of it, which is cheap once but costs this query three
            # times its index path on every request; this connection runs nothing else.
            connection.driver_connection.execute("SET enable_seqscan = off")
        self.local.held = (os.getpid(), connection)
        return connection

    def stamp(self, query: str, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of the named query, or None when it has none."""
        statement = self.statements[query]
        connection = self._connection()
        try:
            cursor = connection.cursor()
            cursor.execute(statement.sql, parameters if statement.positions is None
                           else [parameters[name] for name in statement.positions])
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self.local.held = None
            connection.invalidate()
            raise
        return None if row is None else tuple(row)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A dict of at most ``max_entries`` items that forgets the least recently used; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.items: OrderedDict[K, V] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The item, now the most recently used, or None."""
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value``, forgetting the least recently used item when full."""
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.max_entries:
                self.items.popitem(last=False)

    def keys(self) -> list[K]:
        """The keys, least recently used first."""
        with self.lock:
            return list(self.items)


@dataclass
class CachedPage:
    """One response and the stamp it was produced under."""

    stamp: tuple[Any, ...]
    status: str
    headers: Headers
    body: bytes
    etag: str | None
    last_modified: str | None
    #: Flask's 304 for this page, learnt from the first conditional request that got one
    not_modified: tuple[str, Headers] | None = field(default=None)


@dataclass(frozen=True)
class RouteMatch:
    """A request a route may answer from a copy: what the copy depends on, and the stamp query's parameters."""

    key: tuple[Any, ...]
    parameters: dict[str, Any]


class CachedRoute(ABC):
    """One kind of response the middleware may answer from a copy."""

    #: names the route's copies and its stamp query
    name: ClassVar[str]

    @abstractmethod
    def stamp_query(self) -> sa.Select[Any]:
        """The one query whose first row is the stamp."""

    @abstractmethod
    def match(self, environ: dict[str, Any]) -> RouteMatch | None:
        """The request's key and parameters, or None when it must go through Flask."""

    def stamp_of(self, row: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The stamp in the query's row, or None when Flask must answer (e.g. the caller may not see it)."""
        return row

    def may_keep(self, status: str, headers: Headers) -> bool:
        """Whether Flask's response may be kept: a 200 that sets no cookie."""
        return status.startswith("200 ") and not any(name.lower() == "set-cookie" for name, _value in headers)


class PublicAgenda(CachedRoute):
    """``/sessions/<id>`` for anonymous visitors."""

    name = "agenda"
    path = re.compile(f"/sessions/{SESSION_ID}")

    def stamp_query(self) -> sa.Select[Any]:
        return page_stamp_query()

    def match(self, environ: dict[str, Any]) -> RouteMatch | None:
        if environ.get("QUERY_STRING") or "HTTP_AUTHORIZATION" in environ:
            return None
        found = self.path.fullmatch(environ.get("PATH_INFO", ""))
        if found is None:
            return None
        session_id = int(found.group(1))
        return RouteMatch((session_id,), {"session_id": session_id})

    def may_keep(self, status: str, headers: Headers) -> bool:
        """Only what any cache may keep: a page someone marked private or no-store is personal."""
        return super().may_keep(status, headers) and not any(
            name.lower() == "cache-control" and ("no-store" in value or "private" in value) for name, value in headers)


class SessionBalance(CachedRoute):
    """``/api/v1/sessions/<id>/balance[?stage=...]`` for bearer-token callers who may read it.

    The report is the same for everyone allowed to read it, so one copy serves them all; the stamp
    query checks the caller's token and right on every request.
    """

    name = "balance"

    def __init__(self, api_prefix: str) -> None:
        self.path = re.compile(re.escape(api_prefix) + f"/sessions/{SESSION_ID}/balance")

    def stamp_query(self) -> sa.Select[Any]:
        return balance_stamp_query()

    def match(self, environ: dict[str, Any]) -> RouteMatch | None:
        found = self.path.fullmatch(environ.get("PATH_INFO", ""))
        if found is None:
            return None
        token = bearer_token(environ.get("HTTP_AUTHORIZATION", ""))
        stage = _only_stage(environ.get("QUERY_STRING", ""))
        if not token or stage is None:
            return None
        session_id = int(found.group(1))
        return RouteMatch((session_id, stage), {"session_id": session_id, "token_hash": token_digest(token)})

    def stamp_of(self, row: tuple[Any, ...]) -> tuple[Any, ...] | None:
        forum_id, balance_stamp, role, facilitates = row
        return (forum_id, balance_stamp) if role in STAFF_ROLES or facilitates else None


def _only_stage(query_string: str) -> str | None:
    """The stage a query string asks for when it says nothing else; None for anything Flask should judge."""
    if not query_string:
        return DEFAULT_STAGE
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "stage" or pairs[0][1] not in STAGES:
        return None
    return pairs[0][1]


@functools.lru_cache(maxsize=64)
def _language(accept_language: str, languages: tuple[str, ...], default: str) -> str:
    """The language Flask-Babel would pick for a visitor without a cookie (forums.i18n.select_locale)."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(languages) or default


@functools.lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether forums.web.compression would gzip the body for this Accept-Encoding."""
    return "gzip" in parse_accept_header(accept_encoding)


@functools.lru_cache(maxsize=4)
def _date(second: int) -> str:
    return http_date(second)


def _with_current_date(headers: Headers) -> Headers:
    """The headers with ``Date`` renewed: werkzeug's conditional responses carry one."""
    now = _date(int(time.time()))
    return [(name, now) if name == "Date" else (name, value) for name, value in headers]


class ResponseCache:
    """WSGI middleware: the routes' GETs from a validated per-worker cache."""

    def __init__(self, app: Flask, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 routes: Iterable[CachedRoute], max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.routes = tuple(routes)
        self.languages = tuple(app.config["LANGUAGES"])
        self.default_language = app.config["BABEL_DEFAULT_LOCALE"]
        self.pages: LruCache[tuple[Any, ...], CachedPage] = LruCache(max_entries)
        self._reader: StampReader | None = None

    @property
    def reader(self) -> StampReader:
        """The stamp reader, made on first use (the engine needs an app context)."""
        if self._reader is None:
            with self.app.app_context():
                self._reader = StampReader(db.engine, {route.name: route.stamp_query() for route in self.routes})
        return self._reader

    def route_for(self, environ: dict[str, Any]) -> tuple[CachedRoute, RouteMatch, tuple[Any, ...]] | None:
        """The route that may answer this request, its match and the copy's key; None: through Flask."""
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ:
            return None
        if any(name in environ for name in UNMODELLED_HEADERS):
            return None
        for route in self.routes:
            found = route.match(environ)
            if found is not None:
                break
        else:
            return None
        trusted_hosts = self.app.config.get("TRUSTED_HOSTS")
        if trusted_hosts:
            try:
                get_host(environ, trusted_hosts)
            except SecurityError:  # Flask answers an untrusted Host with a 400: let it
                return None
        language = _language(environ.get("HTTP_ACCEPT_LANGUAGE", ""), self.languages, self.default_language)
        key = (route.name, *found.key, language, _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")),
               environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME", ""))
        return route, found, key

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        routed = self.route_for(environ)
        if routed is None:
            return self.wsgi_app(environ, start_response)
        route, found, key = routed
        try:
            row = self.reader.stamp(route.name, found.parameters)
        except Exception:  # the normal path will meet (and report) the same database trouble
            log.warning("response cache: %s stamp query failed; serving through Flask", route.name, exc_info=True)
            return self.wsgi_app(environ, start_response)
        stamp = None if row is None else route.stamp_of(row)
        if stamp is None:
            return self.wsgi_app(environ, start_response)
        page = self.pages.get(key)
        if page is None or page.stamp != stamp:
            return self._render_and_keep(route, key, stamp, environ, start_response)
        conditional = "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
        if conditional and not is_resource_modified(environ, page.etag, None, page.last_modified):
            if page.not_modified is None:
                return self._learn_not_modified(page, environ, start_response)
            status, headers = page.not_modified
            start_response(status, _with_current_date(headers))
            return [b""]
        start_response(page.status, _with_current_date(page.headers))
        return [page.body]

    def _call_flask(self, environ: dict[str, Any]) -> tuple[str, Headers, bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers]
            return lambda _data: None  # no view here writes through the legacy write()

        iterable = self.wsgi_app(environ, capture)
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        return captured[0], captured[1], body

    def _render_and_keep(self, route: CachedRoute, key: tuple[Any, ...], stamp: tuple[Any, ...],
                         environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._call_flask(environ)
        if route.may_keep(status, headers):
            found = {name.lower(): value for name, value in headers}
            self.pages.put(key, CachedPage(stamp, status, headers, body, found.get("etag"), found.get("last-modified")))
        start_response(status, headers)
        return [body]

    def _learn_not_modified(self, page: CachedPage, environ: dict[str, Any],
                            start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._call_flask(environ)
        if status.startswith("304 ") and not any(name.lower() == "set-cookie" for name, _value in headers):
            page.not_modified = (status, headers)
        start_response(status, headers)
        return [body]


def init_app(app: Flask) -> None:
    """Put the response cache in front of the app (behind ProxyFix, so it sees the client's scheme)."""
    if not app.config.get("RESPONSE_CACHE", True):
        return
    max_entries = int(app.config.get("RESPONSE_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES))
    routes = (PublicAgenda(), SessionBalance(app.blueprints["api"].url_prefix or ""))
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = ResponseCache(app, outer.app, routes, max_entries)
    else:
        app.wsgi_app = ResponseCache(app, outer, routes, max_entries)  # type: ignore[method-assign]
