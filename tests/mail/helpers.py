"""Shared set-up of the mail tests: people with addresses, invitations written through the real operations."""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from forums.registrations import operations
from models import ForumSession, MailMessage, MailState, Participant, Registration, RegistrationStatus, db


def person(create_participant: Callable[..., Participant], name: str, email: str = "", languages: str = "",
           **categories: str) -> Participant:
    """A participant with an address and languages."""
    participant = create_participant(name, **categories)
    participant.email = email
    participant.languages = languages
    db.session.commit()
    return participant


def invite(forum_session: ForumSession, participant: Participant) -> Registration:
    """Invite through ``operations.register``, as the registrations page does, and commit."""
    registration = operations.register(forum_session, participant, RegistrationStatus.invited)
    db.session.commit()
    return registration


def messages(**filters: Any) -> list[MailMessage]:
    """The outbox, oldest first, filtered by column values."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(MailMessage).filter_by(**filters).order_by(MailMessage.id)))


def release_all(session_id: int) -> None:
    """Queue every draft of a session, as a second member of staff would."""
    db.session.execute(sa.update(MailMessage).where(MailMessage.session_id == session_id,
                                                   MailMessage.state == MailState.draft)
                       .values(state=MailState.queued))
    db.session.commit()
