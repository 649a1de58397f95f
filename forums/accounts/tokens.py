"""API tokens: shown once, stored as a SHA-256 hash, named, with an optional expiry, revocable one by one."""

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Request
from flask_babel import gettext as _

from forums import validation
from forums.audit import log as audit
from models import ApiToken, Role, User, db, utcnow
from models.users import NAME_LENGTH, signed_in_loading

#: the longest life a token can be given, in days; a token may also last until it is revoked
MAX_EXPIRY_DAYS = 3650


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if that is what it is."""
    scheme, _sep, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def presented_token(req: Request) -> str | None:
    """The token of the request's ``Authorization: Bearer`` header, if it has one.

    A request that presents one is that token's alone: the session cookie beside it must neither
    sign it in (a bad token is a 401 however good the cookie, SECURITY.md T25) nor be touched by it.
    """
    return bearer_token(req.headers.get("Authorization", ""))


def token_digest(token: str) -> str:
    """What is stored of a token, and looked up when one is presented."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_settings(name: Any, expires_in_days: Any) -> tuple[str, int | None]:
    """A token's name (one line, at most NAME_LENGTH characters) and its life in days (None: no expiry).

    Raises ``ValidationFailed`` naming the field at fault.
    """
    errors: dict[str, str] = {}
    clean_name = validation.text(name, "name", errors, max_length=NAME_LENGTH, single_line=True)
    if expires_in_days is not None and (
            isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int)
            or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS):
        errors["expires_in_days"] = _("A number of days from 1 to %(n)d, or none for no expiry.", n=MAX_EXPIRY_DAYS)
    validation.check(errors)
    return clean_name, expires_in_days


def issue_token(user: User, *, name: str = "", expires_at: datetime | None = None) -> str:
    """Create a token for ``user`` and return it; only its hash is kept."""
    return create_token(user, name=name, expires_at=expires_at)[1]


def create_token(user: User, *, name: str = "", expires_in_days: int | None = None,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create and audit a token for ``user`` (flushed); returns its row and the token, shown only now."""
    if expires_in_days is not None:
        expires_at = utcnow() + timedelta(days=expires_in_days)
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=token_digest(token), name=name, expires_at=expires_at, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record("token.create", "user", user.id, detail=f"token={row.id}")
    return row, token


@functools.cache
def _token_user_query() -> sa.Select[User]:
    """The active user of the live token whose digest is bound as ``digest`` at the moment bound as ``now``.

    Built once: every API call runs it, and building and keying a statement costs more than running it.
    """
    now: sa.BindParameter[datetime] = sa.bindparam("now")
    return (
        sa.select(User)
        .join(ApiToken)
        .where(ApiToken.token_hash == sa.bindparam("digest"), ApiToken.live_at(now), User.is_active)
        .options(*signed_in_loading())
    )


def user_for_token(token: str) -> User | None:
    """The active user a live token (neither revoked nor expired) belongs to, if any."""
    # unique(): the user's forum limits are joined in, one row each
    return db.session.scalars(_token_user_query(), {"digest": token_digest(token), "now": utcnow()}).unique().first()


def visible_tokens(viewer: User) -> sa.Select[ApiToken]:
    """The tokens ``viewer`` may list and revoke: their own; an admin's, everyone's."""
    statement = sa.select(ApiToken)
    if viewer.role is not Role.admin:
        statement = statement.where(ApiToken.user_id == viewer.id)
    return statement


def visible_token(viewer: User, token_id: int) -> ApiToken | None:
    """One token ``viewer`` may see, or None (someone else's token is as good as missing)."""
    return db.session.scalar(visible_tokens(viewer).where(ApiToken.id == token_id))


def revoke_token(token: ApiToken) -> bool:
    """Revoke one token (audited); False when it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    audit.record("token.revoke", "user", token.user_id, detail=f"token={token.id}")
    return True


def revoke_tokens(user: User) -> int:
    """Revoke every live token of ``user``; returns how many."""
    live = [token for token in user.tokens if token.revoked_at is None]
    for token in live:
        token.revoked_at = utcnow()
    return len(live)
