"""Password rules (OWASP ASVS 5.0 6.2): long enough, long ones allowed, common and predictable ones refused.

The rules themselves are ``forums.accounts.password_rules`` (pure); this module gives them the list of
common passwords and says in words why a password is refused.
"""

from importlib import resources

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, ValidationError

from forums.accounts import password_rules
from forums.accounts.password_rules import MAX_LENGTH, MIN_LENGTH


def _common_passwords() -> frozenset[str]:
    text = resources.files("forums").joinpath("accounts/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


#: the hint under every field where a new password is chosen
NEW_PASSWORD_HINT = _l("At least %(n)d characters; long passphrases are welcome.", n=MIN_LENGTH)

#: the 3,000 most common passwords (common-passwords.md), lower case
COMMON_PASSWORDS = _common_passwords()


def _problem(password: str) -> str | None:
    reason = password_rules.weakness(password, COMMON_PASSWORDS)
    if reason == password_rules.TOO_SHORT:
        return _("The password needs at least %(n)d characters.", n=MIN_LENGTH)
    if reason == password_rules.TOO_LONG:
        return _("The password may have at most %(n)d characters.", n=MAX_LENGTH)
    if reason == password_rules.COMMON:
        return _("This password is too common; choose another.")
    if reason == password_rules.FEW_CHARACTERS:
        return _("This password repeats too few different characters; choose another.")
    if reason == password_rules.PREDICTABLE:
        return _("This password is too easy to guess: it is made of common words, keyboard or number runs "
                 "and repeats. A few unrelated words make a strong passphrase.")
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None when it is: in the reader's language on a page."""
    if has_request_context():
        return _problem(password)
    # Commands have no reader whose language could be chosen: they speak the default one.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _problem(password)


def acceptable_password(form: Form, field: Field) -> None:
    """A form validator for a new password: ``password_problem`` in words, under the field."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)
