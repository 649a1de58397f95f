"""Wires extensions, blueprints, commands and request hooks into an app."""

import importlib
import os

from flask import Flask

from forums import assets, calendar_views, cli, compression, database, fastpath, i18n, navigation, security
from forums.extensions import csrf, limiter, migrate
from models import db

#: modules that each expose a blueprint ``bp``; registered in this order
BLUEPRINT_MODULES = (
    "forums.auth",
    "forums.public",
    "forums.staff",
    "forums.register",
    "forums.personal",
    "forums.checkin_views",
    "forums.balance_views",
    "forums.selection_views",
    "forums.api",
    "forums.lifecycle_views",
    "forums.admin_views",
)


def init_app(app: Flask) -> None:
    """Bind every extension and register blueprints, commands and hooks."""
    # JSON keeps the order the contract documents instead of sorting keys.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    # Registered first so it runs last: after_request hooks run in reverse, and gzip must see the final body.
    compression.init_app(app)
    database.init_app(app)
    calendar_views.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    navigation.init_app(app)
    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)
    cli.init_app(app)
    # After the blueprints: one of them could bring limits of its own.
    _limit_only_decorated_views(app)
    fastpath.init_app(app)


def _limit_only_decorated_views(app: Flask) -> None:
    """Drop Flask-Limiter's check before every request: with no default or blueprint limits it finds nothing.

    A decorated view (sign-in) still checks its own limit in its decorator, and the after-request
    hook that counts only failed sign-ins stays; the sign-in throttle tests hold this to account.
    """
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        return
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is off
        hooks.remove(limiter._check_request_limit)
