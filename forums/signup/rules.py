"""The rules of open registration, pure (no Flask, SQLAlchemy or models import).

A public form without an account invites bots and floods, and the mission uses no outside service
(no third-party CAPTCHA). A sign-up is therefore accepted only when all of these hold:

* **honeypot**: a field hidden from people (``HONEYPOT_FIELD``) is empty; bots fill every field;
* **fill time**: the form was opened at least ``MIN_FILL_SECONDS`` and at most ``MAX_FILL_SECONDS``
  before it was sent; the time it was opened travels in the form, signed with the app's secret
  (``opened_token``), so it can be neither forged nor reused for another session;
* **per address**: one address sends at most ``RATE_LIMIT`` sign-ups (Flask-Limiter, in the view);
* **confirmation**: nothing reaches the register until the person opens the confirmation link and
  presses its button (a POST: mail scanners follow GET links), within ``PENDING_HOURS``.

Capacity and the waitlist are ``forums.registrations.operations.register``'s, applied at confirmation.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer

#: the version of the consent notice the form shows; stored with each sign-up (SECURITY.md, consent record)
CONSENT_NOTICE_VERSION = "2026-12-signup-1"
#: the hidden field bots fill
HONEYPOT_FIELD = "website"
#: sign-ups one address may send (Flask-Limiter's syntax); the app's ``SIGNUP_RATE_LIMIT`` overrides it
RATE_LIMIT = "10 per hour"
#: fewer seconds than this between opening the form and sending it is a machine
MIN_FILL_SECONDS = 3
#: a form older than this is stale (as long as a CSRF token lives: branch offices keep forms open long)
MAX_FILL_SECONDS = 8 * 3600
#: hours a confirmation link stays valid
PENDING_HOURS = 72
#: bytes of randomness in a confirmation code (43 characters in the link)
CODE_BYTES = 32
#: the answer of a dimension's question that records nothing
PREFER_NOT = "none"

FillProblem = Literal["too_fast", "stale", "forged"]
_SALT = "signup-form-opened"


def opened_token(secret: str, session_id: int, opened_at: int) -> str:
    """The signed record of when the form of ``session_id`` was opened (whole seconds since the epoch)."""
    return URLSafeSerializer(secret, salt=_SALT).dumps([session_id, opened_at])


def fill_problem(secret: str, token: str, session_id: int, now: float, *,
                 min_seconds: float = MIN_FILL_SECONDS, max_seconds: float = MAX_FILL_SECONDS) -> FillProblem | None:
    """Why a form sent at ``now`` with ``token`` is refused (rules above), or None when it may be accepted.

    ``forged``: the token is missing, not signed by us, or made for another session.
    """
    try:
        signed_session, opened_at = URLSafeSerializer(secret, salt=_SALT).loads(token or "")
    except (BadSignature, ValueError, TypeError):
        return "forged"
    if signed_session != session_id or not isinstance(opened_at, int):
        return "forged"
    elapsed = now - opened_at
    if elapsed < min_seconds:
        return "too_fast"
    if elapsed > max_seconds:
        return "stale"
    return None


def new_code() -> str:
    """A new confirmation code: unguessable, safe in a link."""
    return secrets.token_urlsafe(CODE_BYTES)


def code_hash(code: str) -> str:
    """What is stored of a confirmation code: its SHA-256, so a copy of the database confirms nobody."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def takes_signups(is_open: bool, is_public: bool, is_published: bool, has_started: bool) -> bool:
    """Whether a session's form accepts sign-ups: organisers opened it, and the session is public, published
    (not a draft, not cancelled) and not yet started."""
    return is_open and is_public and is_published and not has_started
