"""Public agenda pages served from a per-worker cache that is checked against the database on every request.

The public agenda (``/sessions/<id>``) is the page everyone opens: participants on slow links, and
anyone a session's link was forwarded to. For a visitor who sends no cookie, no ``Authorization``
and no query string, the page depends only on the session, the language the browser asks for,
whether it accepts gzip, and the scheme (HTTPS adds HSTS). This WSGI middleware keeps the complete
response Flask produced for each such combination and, on every request, runs ONE small query that
returns everything the page depends on: the session's ``version`` (raised by every ORM change to
it, and agenda edits raise its SEQUENCE) and ``updated_at``, its forum's title, the region's names,
and the count, ids, versions and latest ``updated_at`` of the agenda's speakers. Times move forward,
so even after a restored backup has put old version numbers back, a new edit gives a new stamp. When
that stamp equals the stamp the copy was made under, the copy is sent; otherwise the request goes
through Flask as usual and the new response replaces the copy. A change is therefore visible on
the very next request, and the copy's headers are exactly the normal path's (only ``Date`` is
renewed). Anything else (a signed-in reader, a 404, a ``?lang=``, ``Range``) goes through Flask.

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
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import SecurityError
from werkzeug.http import http_date, is_resource_modified, parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wsgi import get_host

from models import AgendaItem, AgendaSpeaker, Category, Forum, ForumSession, Participant, db

log = logging.getLogger(__name__)

#: how many rendered pages one worker keeps (sessions × languages × gzip or not), least recently used out
DEFAULT_MAX_ENTRIES = 512
#: only the canonical form of the URL (no leading zeros, a sane length); others go through Flask
AGENDA_PATH = re.compile(r"/sessions/([1-9][0-9]{0,17})")
#: conditional headers werkzeug treats in ways the copy does not model; such requests go through Flask
UNMODELLED_HEADERS = ("HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")

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


class StampReader:
    """Runs the stamp query on a connection of its own per thread, outside the ORM and in autocommit.

    One statement, no transaction to begin or end, no pool checkout (and so no pre-ping) per request.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        compiled = page_stamp_query().compile(dialect=engine.dialect)
        self.sql = compiled.string
        # Every parameter is the session id; drivers spell parameters by position or by name.
        self.positions = compiled.positiontup if compiled.positional else None
        self.local = threading.local()

    def _connection(self) -> Any:
        held = getattr(self.local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        connection = self.engine.raw_connection()
        if self.engine.dialect.name == "postgresql":
            connection.driver_connection.autocommit = True
        self.local.held = (os.getpid(), connection)
        return connection

    def stamp(self, session_id: int) -> tuple[Any, ...] | None:
        """The session's stamp, or None when there is no such session."""
        connection = self._connection()
        try:
            cursor = connection.cursor()
            values = {"session_id": session_id}
            cursor.execute(self.sql, values if self.positions is None else [values[name] for name in self.positions])
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
    """One rendered response and the stamp it was rendered under."""

    stamp: tuple[Any, ...]
    status: str
    headers: Headers
    body: bytes
    etag: str | None
    last_modified: str | None
    #: Flask's 304 for this page, learnt from the first conditional request that got one
    not_modified: tuple[str, Headers] | None = field(default=None)


@functools.lru_cache(maxsize=64)
def _language(accept_language: str, languages: tuple[str, ...], default: str) -> str:
    """The language Flask-Babel would pick for a visitor without a cookie (forums.i18n.select_locale)."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(languages) or default


@functools.lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether forums.compression would gzip the body for this Accept-Encoding."""
    return "gzip" in parse_accept_header(accept_encoding)


@functools.lru_cache(maxsize=4)
def _date(second: int) -> str:
    return http_date(second)


def _with_current_date(headers: Headers) -> Headers:
    """The headers with ``Date`` renewed: werkzeug's conditional responses carry one."""
    now = _date(int(time.time()))
    return [(name, now) if name == "Date" else (name, value) for name, value in headers]


class AgendaCache:
    """WSGI middleware: anonymous GETs of public agenda pages from a validated per-worker cache."""

    def __init__(self, app: Flask, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.languages = tuple(app.config["LANGUAGES"])
        self.default_language = app.config["BABEL_DEFAULT_LOCALE"]
        self.pages: LruCache[tuple[Any, ...], CachedPage] = LruCache(max_entries)
        self._reader: StampReader | None = None

    @property
    def reader(self) -> StampReader:
        """The stamp reader, made on first use (the engine needs an app context)."""
        if self._reader is None:
            with self.app.app_context():
                self._reader = StampReader(db.engine)
        return self._reader

    def cache_key(self, environ: dict[str, Any]) -> tuple[Any, ...] | None:
        """What the response depends on, or None when this request must go through Flask."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ:
            return None
        if any(name in environ for name in UNMODELLED_HEADERS):
            return None
        match = AGENDA_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return None
        trusted_hosts = self.app.config.get("TRUSTED_HOSTS")
        if trusted_hosts:
            try:
                get_host(environ, trusted_hosts)
            except SecurityError:  # Flask answers an untrusted Host with a 400: let it
                return None
        language = _language(environ.get("HTTP_ACCEPT_LANGUAGE", ""), self.languages, self.default_language)
        return (int(match.group(1)), language, _accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")),
                environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME", ""))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        key = self.cache_key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        try:
            stamp = self.reader.stamp(key[0])
        except Exception:  # the normal path will meet (and report) the same database trouble
            log.warning("agenda cache: stamp query failed; serving through Flask", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if stamp is None:
            return self.wsgi_app(environ, start_response)
        page = self.pages.get(key)
        if page is None or page.stamp != stamp:
            return self._render_and_keep(key, stamp, environ, start_response)
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

    def _render_and_keep(self, key: tuple[Any, ...], stamp: tuple[Any, ...], environ: dict[str, Any],
                         start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self._call_flask(environ)
        if _may_keep(status, headers):
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


def _may_keep(status: str, headers: Headers) -> bool:
    """A plain 200 that sets no cookie and that no one marked as not for caches."""
    if not status.startswith("200 "):
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "set-cookie" or (lowered == "cache-control" and ("no-store" in value or "private" in value)):
            return False
    return True


def init_app(app: Flask) -> None:
    """Put the agenda cache in front of the app (behind ProxyFix, so it sees the client's scheme)."""
    if not app.config.get("AGENDA_CACHE", True):
        return
    max_entries = int(app.config.get("AGENDA_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES))
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = AgendaCache(app, outer.app, max_entries)
    else:
        app.wsgi_app = AgendaCache(app, outer, max_entries)  # type: ignore[method-assign]
