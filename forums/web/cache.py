"""Copies kept per worker and checked against the database on every use: never stale, no coordination.

A view that is asked for far more often than its data changes (the public agenda, a session's
balance report) reads its *stamp* first: one small query returning everything the result depends
on that can change. ``kept(name, key, stamp, make)`` returns the copy made under an equal stamp, or
calls ``make`` and keeps its result. The view has routed, authenticated and checked permissions
through the app's own code before it asks, and the kept value goes back out through the app's own
conditional GET, compression and security headers, so a copy changes nothing but the work done.

Rules:

- the stamp is read before ``make`` runs, so a change committed in between leaves a copy newer than
  its stamp, never older: the next request sees another stamp and makes it again;
- each named cache keeps at most ``RESPONSE_CACHE_ENTRIES`` copies (default 512), forgetting the least
  recently used first; ``RESPONSE_CACHE = False`` keeps nothing (every call makes its value).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from flask import Flask, current_app

from models import db

#: how many copies one worker keeps per named cache (sessions × languages, sessions × stages)
DEFAULT_MAX_ENTRIES = 512

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class StampedCache(Generic[K, V]):
    """At most ``max_entries`` values, each with the stamp it was made under; thread-safe."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.items: OrderedDict[K, tuple[Hashable, V]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: K, stamp: Hashable, make: Callable[[], V]) -> V:
        """The value kept under ``key`` if it was made under ``stamp``; else ``make()``, now kept."""
        with self.lock:
            found = self.items.get(key)
            if found is not None and found[0] == stamp:
                self.items.move_to_end(key)
                return found[1]
        # Made outside the lock: a slow make must not hold up other threads' hits.
        value = make()
        with self.lock:
            self.items[key] = (stamp, value)
            self.items.move_to_end(key)
            while len(self.items) > self.max_entries:
                self.items.popitem(last=False)
        return value

    def keys(self) -> list[K]:
        """The keys, least recently used first."""
        with self.lock:
            return list(self.items)


class Caches:
    """An app's named caches, each made on first use with the app's size limit."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.by_name: dict[str, StampedCache[Any, Any]] = {}
        self.lock = threading.Lock()

    def named(self, name: str) -> StampedCache[Any, Any]:
        """The cache called ``name``."""
        found = self.by_name.get(name)
        if found is None:
            with self.lock:
                found = self.by_name.setdefault(name, StampedCache(self.max_entries))
        return found


def caches(app: Flask) -> Caches:
    """The app's caches."""
    found: Caches = app.extensions["stamped_caches"]
    return found


def kept(name: str, key: Hashable, stamp: Hashable, make: Callable[[], V]) -> V:
    """``make()``'s value as kept in the current app's cache ``name`` under ``key``, if made under ``stamp``."""
    value: V = caches(current_app).named(name).get(key, stamp, make)
    return value


def end_reads() -> None:
    """End the request's database transaction: what follows only sends what was read or kept.

    The connection goes back to the pool while the response is built and sent, and on SQLite a
    transaction that took the write lock (any outside a ``forums.database.reads_only`` view) no
    longer makes the other workers wait. The session's objects stay readable as loaded (detached,
    not expired). A request that never used the session (the stamp read below it) has nothing to end,
    and no session is made just to close it.
    """
    if db.session.registry.has():
        db.session.close()


def init_app(app: Flask) -> None:
    """Keep ``RESPONSE_CACHE_ENTRIES`` copies per named cache; none when ``RESPONSE_CACHE`` is off."""
    max_entries = int(app.config.get("RESPONSE_CACHE_ENTRIES", DEFAULT_MAX_ENTRIES))
    app.extensions["stamped_caches"] = Caches(max_entries if app.config.get("RESPONSE_CACHE", True) else 0)
