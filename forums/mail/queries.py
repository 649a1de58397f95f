"""The reads of mail pages, one per page, each loading what the page shows."""

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, raiseload

from forums.people import queries as people_queries
from forums.web.paging import Page, paged
from models import (
    ForumSession,
    MailAddressHealth,
    MailKind,
    MailMessage,
    MailState,
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)

#: a registration whose mail came back, or could not be delivered at all, was not reached
UNDELIVERED = (MailState.bounced, MailState.failed)


def outbox_page(state: MailState | None, session_id: int | None, number: int) -> Page[MailMessage]:
    """A page of the outbox, newest first, each message with its session."""
    statement = (sa.select(MailMessage).join(ForumSession, ForumSession.id == MailMessage.session_id)
                 .options(raiseload("*")).order_by(MailMessage.id.desc()))
    if state is not None:
        statement = statement.where(MailMessage.state == state)
    if session_id is not None:
        statement = statement.where(MailMessage.session_id == session_id)
    return paged(statement, number)


def session_titles(session_ids: set[int]) -> dict[int, str]:
    """The titles of these sessions, by id (for the outbox list)."""
    return {session_id: title for session_id, title in db.session.execute(
        sa.select(ForumSession.id, ForumSession.title).where(ForumSession.id.in_(session_ids)))}


def state_counts(session_id: int | None = None) -> Counter[MailState]:
    """How many messages are in each state (of one session, or of all)."""
    # Joined to the session, so a reader limited to some forums counts only theirs (forums.accounts.scope).
    statement = (sa.select(MailMessage.state, sa.func.count())
                 .join(ForumSession, ForumSession.id == MailMessage.session_id).group_by(MailMessage.state))
    if session_id is not None:
        statement = statement.where(MailMessage.session_id == session_id)
    return Counter({state: count for state, count in db.session.execute(statement)})


def drafts(session_id: int) -> list[MailMessage]:
    """The session's draft invitations with whom they go to, in the order written."""
    return list(db.session.scalars(
        sa.select(MailMessage).join(MailMessage.registration).join(Registration.participant)
        .where(MailMessage.session_id == session_id, MailMessage.state == MailState.draft)
        .options(contains_eager(MailMessage.registration).contains_eager(Registration.participant), raiseload("*"))
        .order_by(MailMessage.id)))


def session_people(session_id: int) -> list[tuple[int, str, RegistrationStatus]]:
    """(registration id, name, status) of everyone on the session's list, by name."""
    return [(registration_id, name, status) for registration_id, name, status in db.session.execute(
        sa.select(Registration.id, Participant.name, Registration.status).join(Registration.participant)
        .where(Registration.session_id == session_id)
        .order_by(Participant.search_key, Registration.id))]


@dataclass(frozen=True)
class NotReached:
    """One category's people the mail did not reach: bounced (or undeliverable), or invited and never answered."""

    dimension: str
    category: str
    bounced: int
    silent: int


def not_reached(session_id: int, locale: str) -> list[NotReached]:
    """Per category of each dimension, who was not reached: their mail bounced or failed (or their address
    is flagged), or they were sent an invitation and are still only invited. Categories with nobody not
    reached are left out. For staff only: the counts are exact."""
    registrations = {person: status for person, status in db.session.execute(
        sa.select(Registration.participant_id, Registration.status).where(Registration.session_id == session_id))}
    undelivered = set(db.session.scalars(
        sa.select(Registration.participant_id).join(MailMessage, MailMessage.registration_id == Registration.id)
        .where(Registration.session_id == session_id, MailMessage.state.in_(UNDELIVERED))))
    undelivered |= set(db.session.scalars(
        sa.select(MailAddressHealth.participant_id)
        .where(MailAddressHealth.participant_id.in_(registrations), MailAddressHealth.flagged_at.is_not(None))))
    invited = set(db.session.scalars(
        sa.select(Registration.participant_id).join(MailMessage, MailMessage.registration_id == Registration.id)
        .where(Registration.session_id == session_id, MailMessage.kind == MailKind.invitation,
               MailMessage.state == MailState.sent)))
    silent = {person for person in invited - undelivered if registrations.get(person) is RegistrationStatus.invited}
    if not undelivered and not silent:
        return []
    categories = db.session.execute(
        sa.select(ParticipantCategory.participant_id, ParticipantCategory.category_id)
        .where(ParticipantCategory.participant_id.in_(undelivered | silent))).all()
    bounced_by: Counter[int] = Counter()
    silent_by: Counter[int] = Counter()
    for person, category_id in categories:
        bounced_by[category_id] += person in undelivered
        silent_by[category_id] += person in silent
    return [NotReached(dimension.name(locale), category.name(locale), bounced_by[category.id], silent_by[category.id])
            for dimension in people_queries.dimensions() for category in dimension.categories
            if bounced_by[category.id] or silent_by[category.id]]


def address_health(participant_id: int, address: str) -> MailAddressHealth | None:
    """The bounce record of the person's current address, if mail to it ever bounced for good."""
    if not address:
        return None
    return db.session.scalar(sa.select(MailAddressHealth).where(MailAddressHealth.participant_id == participant_id,
                                                                MailAddressHealth.address == address.strip()))
