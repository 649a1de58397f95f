"""Personal links: an unguessable token that opens a participant's own page, revocable by staff.

The token is 32 random bytes (256 bits) from ``secrets``, so it cannot be guessed or enumerated.
It is stored as is, not hashed, because staff must be able to hand the same link out again; a
participant has at most one link, and rotating it replaces the token so the old one stops working.
"""

import secrets

import sqlalchemy as sa

from models import Participant, PersonalLink, db, utcnow

#: the longest token ``resolve`` will look up; token_urlsafe(32) gives 43 characters
MAX_TOKEN_LENGTH = 64


def new_token() -> str:
    """A fresh random token, URL-safe."""
    return secrets.token_urlsafe(32)


def link_of(participant: Participant) -> PersonalLink | None:
    """The participant's current link, if one was issued."""
    return db.session.scalar(sa.select(PersonalLink).where(PersonalLink.participant_id == participant.id))


def issue(participant: Participant) -> PersonalLink:
    """The participant's link, creating one on first use."""
    link = link_of(participant)
    if link is None:
        link = PersonalLink(participant_id=participant.id, token=new_token(), created_at=utcnow())
        db.session.add(link)
        db.session.flush()
    return link


def rotate(participant: Participant) -> PersonalLink:
    """Give the participant a new token; the previous link stops working at once."""
    link = link_of(participant)
    if link is None:
        return issue(participant)
    link.token = new_token()
    link.created_at = utcnow()
    db.session.flush()
    return link


def resolve(token: str) -> Participant | None:
    """The participant a token belongs to, or None for an unknown or revoked token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(
        sa.select(Participant).join(PersonalLink, PersonalLink.participant_id == Participant.id)
        .where(PersonalLink.token == token)
    )
