"""Query builders of the register's pages, each loading what its page shows in a fixed number of queries.

Every builder eager-loads the relations its template reads and ends with ``raiseload("*")``, so a
template that reaches for anything else fails in tests instead of quietly running a query per row.
"""


from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import raiseload, selectinload

from forums.people.names import search_key
from forums.web.paging import Page, paged
from models import (
    AgendaSpeaker,
    Category,
    Dimension,
    Participant,
    ParticipantCategory,
    PersonalLink,
    Registration,
    db,
)

#: words of a name search beyond this are ignored: each one is one more LIKE
MAX_SEARCH_WORDS = 6


#: a person's categories with their dimensions: what every view of a person in the register shows
CATEGORY_LOADING = (
    selectinload(Participant.categories).joinedload(ParticipantCategory.category).joinedload(Category.dimension)
)


def dimensions() -> list[Dimension]:
    """Every dimension with its categories, in display order."""
    return list(db.session.scalars(
        sa.select(Dimension).options(selectinload(Dimension.categories), raiseload("*"))
        .order_by(Dimension.position, Dimension.id)
    ))


def participant_filter(query: str, categories: Mapping[str, str]) -> sa.ColumnElement[bool]:
    """Names matching every word of ``query`` in any script, in every chosen category (dimension -> key)."""
    conditions: list[sa.ColumnElement[bool]] = [
        Participant.search_key.like(f"%{word}%") for word in search_key(query).split()[:MAX_SEARCH_WORDS]
    ]
    for dimension_key, category_key in categories.items():
        conditions.append(Participant.id.in_(
            sa.select(ParticipantCategory.participant_id)
            .join(Category, Category.id == ParticipantCategory.category_id)
            .join(Dimension, Dimension.id == Category.dimension_id)
            .where(Dimension.key == dimension_key, Category.key == category_key)
        ))
    return sa.and_(sa.true(), *conditions)


def participant_list(where: sa.ColumnElement[bool], page: int) -> Page[Participant]:
    """A page of the register, by name, with each person's categories."""
    return paged(
        sa.select(Participant).where(where)
        .options(selectinload(Participant.categories).joinedload(ParticipantCategory.category), raiseload("*"))
        .order_by(Participant.search_key, Participant.id),
        page,
    )


def participant_with_registrations(participant_id: int) -> Participant | None:
    """One person with categories and registrations (with their sessions)."""
    return db.session.scalar(
        sa.select(Participant).where(Participant.id == participant_id)
        .options(
            selectinload(Participant.categories).joinedload(ParticipantCategory.category),
            selectinload(Participant.registrations).joinedload(Registration.forum_session),
            raiseload("*"),
        )
    )


def participant_for_editing(participant_id: int) -> Participant | None:
    """One person with their categories (the edit form shows them; saving replaces them)."""
    return db.session.scalar(
        sa.select(Participant).where(Participant.id == participant_id).options(selectinload(Participant.categories))
    )


@dataclass(frozen=True)
class MergeFacts:
    """What the merge page tells of a record besides its details and registrations."""

    speaker_entries: int
    has_personal_link: bool


def merge_facts(participant_ids: list[int]) -> dict[int, MergeFacts]:
    """Speaker entries and whether there is a personal link, for each of these people (two queries)."""
    speakers = dict(db.session.execute(
        sa.select(AgendaSpeaker.participant_id, sa.func.count())
        .where(AgendaSpeaker.participant_id.in_(participant_ids)).group_by(AgendaSpeaker.participant_id)).all())
    linked = set(db.session.scalars(
        sa.select(PersonalLink.participant_id).where(PersonalLink.participant_id.in_(participant_ids))))
    return {participant_id: MergeFacts(int(speakers.get(participant_id, 0)), participant_id in linked)
            for participant_id in participant_ids}
