"""Set-up for the journeys: rows written straight into the served app's database.

Each journey starts from data a previous step of real life would have left (people in the register,
a published session with its agenda, a personal link); the step under test then goes through the
browser. All tests share one live database: where a search runs over the whole register, names carry
a per-test tag (``new_tag``) so that journeys never find each other's people.
"""

import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as translate

from forums.balance import policies
from forums.balance.rules import Quota
from forums.checkin import door as checkin
from forums.people import links
from forums.people import operations as people_operations
from forums.registrations import operations
from forums.sessions import operations as session_operations
from models import ForumSession, Participant, Registration, RegistrationStatus, db

DUSHANBE = ZoneInfo("Asia/Dushanbe")


@dataclass(frozen=True)
class Person:
    """Someone to put in the register: a name and a category key per dimension."""

    name: str
    group: str
    region: str = "dushanbe"
    gender: str = "man"


@dataclass(frozen=True)
class SeededSession:
    """What a journey needs to know about a session it did not create through the browser."""

    session_id: int
    title: str
    participant_ids: dict[str, int]
    registration_ids: dict[str, int]


def new_tag() -> str:
    """A short word of Latin letters that marks one test's people (letters only: it must survive transliteration)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


@contextmanager
def database(app: Any) -> Iterator[None]:
    """Run inside the app, commit at the end and leave no session behind."""
    with app.app_context():
        try:
            yield
            db.session.commit()
        finally:
            db.session.remove()


def add_people(app: Any, people: Sequence[Person]) -> dict[str, int]:
    """Put people in the register; returns their ids by name."""
    ids = {}
    with database(app):
        for person in people:
            participant = people_operations.create_participant(people_operations.ParticipantInput(
                name=person.name, organisation="E2E", languages=["ru", "tg"],
                categories={"group": person.group, "region": person.region, "gender": person.gender},
            ))
            ids[person.name] = participant.id
    return ids


def upcoming(days: int, hours: int = 3) -> tuple[datetime, datetime]:
    """Start and end of a session at 10:00 Dushanbe time ``days`` from today."""
    day = (datetime.now(DUSHANBE) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
    return day, day + timedelta(hours=hours)


def published_session(app: Any, title: str, *, forum: str = "Discussion Club", days: int = 7,
                      visibility: str = "public", translations: Mapping[str, Mapping[str, str]] | None = None,
                      agenda: Sequence[tuple[str, str, Mapping[str, Mapping[str, str]]]] = (),
                      people: Sequence[Person] = (), status: RegistrationStatus = RegistrationStatus.registered,
                      facilitator: str | None = None, policy: Sequence[Quota] = ()) -> SeededSession:
    """A published session of a new forum, with its agenda (title, kind, translations; one hour each),
    people invited or registered (``status``), an optional facilitator (by e-mail) and an optional session policy."""
    participant_ids = add_people(app, people)
    starts_at, ends_at = upcoming(days, hours=max(1, len(agenda)))
    with database(app):
        forum_row = session_operations.create_forum(forum, "discussion_club")
        db.session.flush()
        forum_session = session_operations.create_session({
            "forum_id": forum_row.id, "title": title, "starts_at": starts_at, "ends_at": ends_at,
            "region": "dushanbe", "capacity": 30, "venue": "Hotel Tajikistan", "visibility": visibility,
            "translations": dict(translations or {}),
        })
        for position, (item_title, kind, item_translations) in enumerate(agenda):
            session_operations.add_agenda_item(forum_session, {
                "title": item_title, "kind": kind, "translations": dict(item_translations),
                "starts_at": starts_at + timedelta(hours=position),
                "ends_at": starts_at + timedelta(hours=position + 1),
            })
        session_operations.update_session(forum_session, {"status": "published"})
        registration_ids = {}
        for name, participant_id in participant_ids.items():
            participant = db.session.get(Participant, participant_id)
            registration_ids[name] = operations.register(forum_session, participant, status).id
        if facilitator:
            checkin.assign_facilitator(forum_session.id, facilitator)
        if policy:
            problems = policies.save_policy(forum_session, list(policy), policies.load_catalogue())
            assert not problems, problems
        session_id = forum_session.id
    return SeededSession(session_id, title, participant_ids, registration_ids)


def invite(app: Any, session_id: int, participant_id: int) -> int:
    """Invite someone already in the register to a session; returns the registration's id."""
    with database(app):
        forum_session = db.session.get(ForumSession, session_id)
        return operations.register(forum_session, db.session.get(Participant, participant_id),
                                   RegistrationStatus.invited).id


def personal_link(app: Any, participant_id: int) -> str:
    """The token of a participant's personal link (issued on first use)."""
    with database(app):
        return links.issue(db.session.get(Participant, participant_id)).token


def registration_status(app: Any, registration_id: int) -> RegistrationStatus:
    """A registration's status as the database has it now."""
    with database(app):
        return db.session.get(Registration, registration_id).status


def statuses_of(app: Any, session_id: int) -> dict[str, RegistrationStatus]:
    """Each registered person's status at a session, by name."""
    with database(app):
        rows = db.session.execute(
            sa.select(Participant.name, Registration.status)
            .join(Registration, Registration.participant_id == Participant.id)
            .where(Registration.session_id == session_id)
        )
        return {name: status for name, status in rows}


def session_status(app: Any, session_id: int) -> str:
    """A session's status (draft, published or cancelled)."""
    with database(app):
        return db.session.get(ForumSession, session_id).status.value


def translated(app: Any, message: str, locale: str) -> str:
    """The catalogue's translation of a UI message, so a test checks the page against the catalogue."""
    with app.test_request_context(), force_locale(locale):
        return translate(message)
