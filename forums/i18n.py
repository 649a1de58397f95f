"""Language and time zone of the reader."""

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from forums.extensions import babel


def select_locale() -> str:
    """The language chosen with ?lang= (remembered), else the remembered one, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen is not None and chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return _browser_language(request.headers.get("Accept-Language", ""), tuple(languages),
                             current_app.config["BABEL_DEFAULT_LOCALE"])


@functools.lru_cache(maxsize=256)
def _browser_language(header: str, languages: tuple[str, ...], default: str) -> str:
    """The best of ``languages`` for an Accept-Language header, parsed once per distinct header (browsers
    send a handful; the bound keeps made-up ones from filling memory)."""
    return parse_accept_header(header, LanguageAccept).best_match(languages) or default


def select_timezone() -> str:
    """Times are shown in the mission's time zone."""
    return current_app.config["DISPLAY_TIMEZONE"]


def current_language() -> str:
    """The two-letter code of the reader's language."""
    return str(get_locale() or "en")


def display_zone() -> ZoneInfo:
    """The zone in which the app shows and reads wall-clock times."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def to_local(moment: datetime) -> datetime:
    """An aware datetime converted to the display zone."""
    return moment.astimezone(display_zone())


def init_app(app: Flask) -> None:
    """Install Flask-Babel with our selectors and expose helpers to templates."""
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["current_language"] = current_language
