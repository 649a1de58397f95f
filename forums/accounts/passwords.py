"""Password rules (OWASP ASVS 5.0 6.2): long enough, long ones allowed, common ones refused."""

from importlib import resources

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 256


def _common_passwords() -> frozenset[str]:
    text = resources.files("forums").joinpath("accounts/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


_COMMON = _common_passwords()


def _problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return _("The password needs at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password may have at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _COMMON:
        return _("This password is too common; choose another.")
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None when it is: in the reader's language on a page."""
    if has_request_context():
        return _problem(password)
    # Commands have no reader whose language could be chosen: they speak the default one.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _problem(password)
