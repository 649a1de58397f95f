"""API tokens: shown once, stored as a SHA-256 hash, revocable."""

import hashlib
import secrets

import sqlalchemy as sa

from models import ApiToken, User, db, utcnow


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if that is what it is."""
    scheme, _sep, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def token_digest(token: str) -> str:
    """What is stored of a token, and looked up when one is presented."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """Create a token for ``user`` and return it; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=token_digest(token)))
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, if any."""
    return db.session.scalar(
        sa.select(User)
        .join(ApiToken)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked_at.is_(None), User.is_active)
    )


def revoke_tokens(user: User) -> int:
    """Revoke every live token of ``user``; returns how many."""
    live = [token for token in user.tokens if token.revoked_at is None]
    for token in live:
        token.revoked_at = utcnow()
    return len(live)
