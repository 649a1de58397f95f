"""Dialogue Desk's web layer and domain: one package per feature, wired into an app by ``init_app``.

Where things live: see "Where things live" in README.md.
"""

import os

from flask import Flask

from forums.extensions import csrf, limiter, migrate


def init_app(app: Flask) -> None:
    """Bind every extension and register blueprints, commands and hooks."""
    # Imported here, not at the top: every feature module imports ``forums.<something>``, which runs this file.
    from forums import cli, database, i18n, security, validation
    from forums.accounts import auth, my_account, token_views
    from forums.accounts import views as accounts_views
    from forums.api.resources import api_blueprint
    from forums.audit import views as audit_views
    from forums.balance import views as balance_views
    from forums.checkin import views as checkin_views
    from forums.concerns import personal as concerns_personal
    from forums.concerns import views as concerns_views
    from forums.data import views as data_views
    from forums.desk import views as desk_views
    from forums.floor import views as floor_views
    from forums.mail import commands as mail_commands
    from forums.mail import settings as mail_settings
    from forums.mail import views as mail_views
    from forums.people import catalogue as catalogue_views
    from forums.people import views as people_views
    from forums.registrations import personal
    from forums.registrations import views as registrations_views
    from forums.reports import views as reports_views
    from forums.selection import views as selection_views
    from forums.sessions import calendar as calendar_views
    from forums.sessions import public
    from forums.sessions import views as sessions_views
    from forums.signup import views as signup_views
    from forums.web import assets, cache, compression, navigation
    from models import db

    # isort: split
    # Features' staff home panels, after the desk's views: the home shows panels in the order they are registered.
    from forums.concerns import home as concerns_home  # noqa: F401
    from forums.mail import home as mail_home  # noqa: F401

    # isort: split
    # The floor's section of the report for headquarters (the report imports no feature).
    from forums.floor import report_section  # noqa: F401

    # Before any blueprint adds a rule: every <int:...> of every route is bounded (forums.validation).
    app.url_map.converters["int"] = validation.BoundedIntConverter
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
    for blueprint in (auth.bp, public.bp, sessions_views.bp, people_views.bp, registrations_views.bp, personal.bp,
                      checkin_views.bp, balance_views.bp, selection_views.bp, api_blueprint, data_views.bp,
                      accounts_views.bp, token_views.bp, my_account.bp, audit_views.bp, concerns_views.bp,
                      concerns_personal.bp, desk_views.bp, catalogue_views.bp, signup_views.bp, reports_views.bp,
                      floor_views.bp, mail_views.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    mail_settings.init_app(app)
    mail_commands.init_app(app)
    # After the blueprints: one of them could bring limits of its own.
    _limit_only_decorated_views(app)
    cache.init_app(app)


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
