"""Dialogue Desk: the application factory."""

import os
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Dialogue Desk application."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "dialogue-desk.sqlite"),
        DISPLAY_TIMEZONE="Asia/Dushanbe",
        LANGUAGES=("en", "ru", "tg"),
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(app.root_path, "translations"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        MAX_FORM_PARTS=2000,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        IDLE_TIMEOUT=timedelta(hours=2),
        # Branch offices on slow links keep forms open long; an hour is too short for them.
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        LOGIN_RATE_LIMIT="10 per minute",
        PRODUCTION=False,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto: the sign-in
        # throttle keys on the client's address and cookies need to know the request was HTTPS.
        PROXY_HOPS=0,
        # Host names the app answers to, e.g. FLASK_TRUSTED_HOSTS='["desk.example.org"]'. Any other
        # Host header gets a 400, so absolute links the app builds (personal links) cannot be made
        # to point at someone else's server. None accepts any host (development).
        TRUSTED_HOSTS=None,
        # The smallest number of people a count may show to someone without the right to see them
        # one by one (SECURITY.md T15, T23): exports are k-anonymous with this k, the aggregate report
        # hides cells below it, and a facilitator's live panel shows no category below it.
        SMALL_COUNT_THRESHOLD=5,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
        if os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    else:
        app.config.update(test_config)

    _require_secret_key(app)
    if app.config["PRODUCTION"] and app.debug:
        # The debugger runs any code typed into an error page: never in production.
        raise RuntimeError("FLASK_PRODUCTION=1 with debug mode on; refusing to start.")
    _check_trusted_hosts(app)
    _check_small_count_threshold(app)
    _warn_of_per_worker_throttle(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    import forums

    forums.init_app(app)
    return app


def _require_secret_key(app: Flask) -> None:
    """Refuse to start in production without a real secret; elsewhere make a throwaway one."""
    if app.config.get("SECRET_KEY"):
        if app.config["PRODUCTION"] and len(app.config["SECRET_KEY"]) < 32:
            raise RuntimeError("FLASK_SECRET_KEY is too short for production: use 32 or more characters.")
        return
    if app.config["PRODUCTION"]:
        raise RuntimeError("FLASK_PRODUCTION=1 needs FLASK_SECRET_KEY; refusing to start.")
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.logger.warning("No FLASK_SECRET_KEY set: using a throwaway key; sign-ins end when the app restarts.")


def _check_trusted_hosts(app: Flask) -> None:
    """Refuse a TRUSTED_HOSTS that is not a list of names (``a.org,b.org`` would silently match no host),
    and production without one: any Host header would be answered, and personal links built from it."""
    hosts = app.config["TRUSTED_HOSTS"]
    if hosts is not None and not (isinstance(hosts, list | tuple) and all(isinstance(host, str) for host in hosts)):
        raise RuntimeError('FLASK_TRUSTED_HOSTS must be a JSON list, e.g. \'["desk.example.org"]\'.')
    if app.config["PRODUCTION"] and not hosts:
        raise RuntimeError('FLASK_PRODUCTION=1 needs FLASK_TRUSTED_HOSTS, the host names the app answers to, '
                           'e.g. \'["desk.example.org"]\'; refusing to start.')


def _warn_of_per_worker_throttle(app: Flask) -> None:
    """Say at start-up that an in-memory sign-in throttle counts per worker process (and per host).

    gunicorn's workers are separate processes: with ``memory://`` each keeps its own count, so an
    address gets LOGIN_RATE_LIMIT once per worker. The app cannot see how many workers will fork from
    it, so production says it whenever the storage is in memory (one worker on one host is the only
    setup where the limit holds as written).
    """
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if app.config["PRODUCTION"] and app.config.get("RATELIMIT_ENABLED", True) and storage.startswith("memory://"):
        app.logger.warning(
            "The sign-in throttle counts in memory (RATELIMIT_STORAGE_URI %s): the limit of %s is per worker "
            "process and per host, not for the whole app. With several workers, set FLASK_RATELIMIT_STORAGE_URI "
            "to a shared store, e.g. redis://127.0.0.1:6379/0.", storage, app.config["LOGIN_RATE_LIMIT"])


def _check_small_count_threshold(app: Flask) -> None:
    """Refuse a SMALL_COUNT_THRESHOLD below 2: a count of one person would be shown."""
    threshold = app.config["SMALL_COUNT_THRESHOLD"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
        raise RuntimeError("FLASK_SMALL_COUNT_THRESHOLD must be a whole number of at least 2 (default 5).")
