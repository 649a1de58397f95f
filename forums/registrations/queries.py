"""Query builders of the registrations pages, each loading what its page shows in a fixed number of queries.

Every builder eager-loads the relations its template reads and ends with ``raiseload("*")``, so a
template that reaches for anything else fails in tests instead of quietly running a query per row.
"""


from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload

from forums.web.paging import Page, paged
from models import (
    Participant,
    ParticipantCategory,
    Registration,
    RegistrationStatus,
    db,
)


def registered_ids(session_id: int, participant_ids: Sequence[int]) -> set[int]:
    """Which of these people already have a registration for the session."""
    if not participant_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Registration.participant_id)
        .where(Registration.session_id == session_id, Registration.participant_id.in_(participant_ids))
    ))


def status_counts(session_id: int) -> dict[RegistrationStatus, int]:
    """How many registrations of the session are in each status (zero included)."""
    counts = dict.fromkeys(RegistrationStatus, 0)
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count()).where(Registration.session_id == session_id)
        .group_by(Registration.status)
    )
    counts.update({status: count for status, count in rows})
    return counts


def registration_list(session_id: int, status: RegistrationStatus | None, page: int) -> Page[Registration]:
    """A page of a session's registrations, waitlist in order, with each person and categories."""
    statement = (
        sa.select(Registration).join(Participant).where(Registration.session_id == session_id)
        .options(
            joinedload(Registration.participant)
            .selectinload(Participant.categories).joinedload(ParticipantCategory.category),
            raiseload("*"),
        )
        .order_by(Registration.waitlisted_at.is_not(None), Registration.waitlisted_at, Participant.search_key,
                  Registration.id)
    )
    if status is not None:
        statement = statement.where(Registration.status == status)
    return paged(statement, page)
