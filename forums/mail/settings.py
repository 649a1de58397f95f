"""Mail settings from ``FLASK_MAIL_*`` and the production check that refuses unsafe ones.

| variable | meaning | default |
| --- | --- | --- |
| ``FLASK_MAIL_HOST`` / ``FLASK_MAIL_PORT`` | the SMTP server (a relay) | none (the sender refuses to run) / 587 |
| ``FLASK_MAIL_TLS`` | ``starttls``, ``ssl`` or ``none`` (``smtp.TLS_MODES``) | ``starttls`` |
| ``FLASK_MAIL_USERNAME`` / ``FLASK_MAIL_PASSWORD`` | credentials, when the server asks for them | none |
| ``FLASK_MAIL_SENDER`` | the ``From`` of every message | ``Dialogue Desk <desk@localhost>`` |
| ``FLASK_MAIL_RETURN_PATH_DOMAIN`` | the domain of VERP return addresses (bounces arrive there) | the sender's |
| ``FLASK_MAIL_BASE_URL`` | the address people open the app at, for the links in the mail | ``http://localhost:5000`` |
| ``FLASK_MAIL_RETENTION_DAYS`` | days a finished message stays in the outbox | 30 |
"""

import ipaddress
from email.utils import parseaddr

from flask import Flask, current_app

from forums.mail import rules
from forums.mail.smtp import TLS_MODES, SmtpSettings

DEFAULTS = {
    "MAIL_HOST": "",
    "MAIL_PORT": 587,
    "MAIL_TLS": "starttls",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_SENDER": "Dialogue Desk <desk@localhost>",
    "MAIL_RETURN_PATH_DOMAIN": "",
    "MAIL_BASE_URL": "http://localhost:5000",
    "MAIL_RETENTION_DAYS": rules.DEFAULT_RETENTION_DAYS,
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problems(config: dict[str, object]) -> list[str]:
    """What is wrong with the mail settings for production (an empty list: nothing)."""
    found = []
    tls = config["MAIL_TLS"]
    if tls not in TLS_MODES:
        found.append(f"FLASK_MAIL_TLS must be one of {', '.join(TLS_MODES)}.")
    host = str(config["MAIL_HOST"])
    if host and tls == "none" and not _is_loopback(host):
        found.append("FLASK_MAIL_TLS=none sends mail and passwords in the clear: only to a relay on this host.")
    if not str(config["MAIL_BASE_URL"]).startswith("https://"):
        found.append("FLASK_MAIL_BASE_URL must be the https:// address people open the app at.")
    retention = config["MAIL_RETENTION_DAYS"]
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
        found.append("FLASK_MAIL_RETENTION_DAYS must be a whole number of days, at least 1.")
    return found


def init_app(app: Flask) -> None:
    """Fill in the defaults; in production, refuse to start with unsafe mail settings once mail is configured."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    if app.config["PRODUCTION"] and app.config["MAIL_HOST"]:
        found = problems(app.config)
        if found:
            raise RuntimeError("Unsafe mail settings; refusing to start: " + " ".join(found))


def is_configured() -> bool:
    """Whether this app sends mail at all: an SMTP server is set (without one the sender refuses to run)."""
    return bool(current_app.config["MAIL_HOST"])


def smtp_settings() -> SmtpSettings:
    """The SMTP server of the current app."""
    config = current_app.config
    # FLASK_ values are read as JSON where they parse: a password of digits arrives as a number.
    return SmtpSettings(host=str(config["MAIL_HOST"]), port=int(config["MAIL_PORT"]), tls=str(config["MAIL_TLS"]),
                        username=str(config["MAIL_USERNAME"]), password=str(config["MAIL_PASSWORD"]))


def return_path_domain() -> str:
    """The domain of the VERP return addresses: ``FLASK_MAIL_RETURN_PATH_DOMAIN``, else the sender's."""
    configured = current_app.config["MAIL_RETURN_PATH_DOMAIN"]
    if configured:
        return str(configured)
    return parseaddr(current_app.config["MAIL_SENDER"])[1].rpartition("@")[2] or "localhost"


def retention_days() -> int:
    """Days a finished message is kept."""
    return int(current_app.config["MAIL_RETENTION_DAYS"])


def verp_secret() -> str:
    """The key of the VERP signatures: the app's secret key."""
    return str(current_app.config["SECRET_KEY"])
