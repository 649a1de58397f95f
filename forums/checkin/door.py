"""Check-in at the door: find the people expected, check them in exactly once, add walk-ins.

Every function works inside the caller's transaction; the view commits. Changes take the session's
lock first (``operations.lock_session``: ``FOR UPDATE`` on PostgreSQL, the single writer on SQLite),
then read the registration afresh, so two facilitators tapping the same name, or a request retried
over a flaky link, still record one attendance.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from forums import validation
from forums.audit import log as audit
from forums.balance.coarse import coarse_report
from forums.balance.queries import balance_stamp, session_balance, session_balance_under
from forums.people import operations as people_operations
from forums.people.names import likely_duplicates, matches_with_one_slip, search_key
from forums.people.operations import ParticipantInput
from forums.registrations import operations
from models import (
    CheckinRequest,
    ForumSession,
    Participant,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    User,
    db,
)
from models.registrations import HOLDING, ON_LIST, SEATED

#: the people a facilitator looks for at the door: everyone on the list (attended stays, so it can be undone)
EXPECTED_STATUSES = ON_LIST
#: the people the door counts as expected: the list without the waitlist, who have no seat to come to
EXPECTED_COUNT = HOLDING

#: words of a search beyond this are ignored: each one is a LIKE over the session's list
MAX_QUERY_WORDS = 6

#: register rows a walk-in's name is compared with; the SQL pre-filter keeps them this few
DUPLICATE_CANDIDATE_LIMIT = 300

#: letters of each name word that a duplicate candidate must share at the start of one of its words
DUPLICATE_PREFIX_LENGTH = 4


class CheckinError(Exception):
    """A check-in that cannot be made; ``code`` says why (``not_found``, ``request_reused``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class ExpectedPerson:
    """One line of the check-in list."""

    registration_id: int
    participant_id: int
    name: str
    organisation: str
    status: RegistrationStatus
    checked_in_at: datetime | None
    #: the folded name the list is sorted by; with the id it is the position of a page's end
    sort_key: str


@dataclass(frozen=True)
class Attendance:
    """How many of the people expected have arrived, and the session's seats."""

    attended: int
    #: invited, holding a seat or attended (``EXPECTED_COUNT``): the waitlist is not expected
    expected: int
    seated: int
    capacity: int

    @property
    def still_expected(self) -> int:
        """The people expected who have not arrived yet (never negative)."""
        return max(0, self.expected - self.attended)

    @property
    def is_full(self) -> bool:
        """True when no seat is free: a walk-in goes over capacity."""
        return self.seated >= self.capacity


#: where a page of the list ended: (sort key, registration id) of its last line
Position = tuple[str, int]


def encode_position(position: Position) -> str:
    """An opaque cursor for the next page."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def decode_position(cursor: str) -> Position:
    """The position a cursor stands for; ValueError when it is not one of ours."""
    try:
        key, registration_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error) as error:
        raise ValueError("unknown cursor") from error
    if not isinstance(key, str) or not validation.is_id(registration_id):
        raise ValueError("unknown cursor")
    return key, registration_id


def query_words(query: str) -> list[str]:
    """The folded words of a search, at most MAX_QUERY_WORDS of them."""
    return search_key(query).split()[:MAX_QUERY_WORDS]


def search_expected(session_id: int, query: str = "", *, after: Position | None = None,
                    limit: int = 100) -> tuple[list[ExpectedPerson], Position | None]:
    """People expected at a session whose name contains every word of ``query``, sorted by name.

    Matching ignores case, diacritics and script (``forums.people.names.search_key``); each word is a
    substring, so a half-typed word narrows the list. One query whatever the list's length.
    Returns the page and the position to continue from (None on the last page).
    """
    statement = _expected_lines(session_id).where(_among_expected(session_id)).limit(limit + 1)
    for word in query_words(query):
        # Keys hold only a-z, 0-9 and spaces, so the word needs no LIKE escaping.
        statement = statement.where(Participant.search_key.like(f"%{word}%"))
    if after is not None:
        key, registration_id = after
        statement = statement.where(sa.or_(
            Participant.search_key > key,
            sa.and_(Participant.search_key == key, Registration.id > registration_id),
        ))
    people = [ExpectedPerson(*row) for row in db.session.execute(statement)]
    if not people and after is None and query_words(query):
        return _forgiving_one_slip(session_id, query, limit), None
    if len(people) <= limit:
        return people, None
    last = people[limit - 1]
    return people[:limit], (last.sort_key, last.registration_id)


def _expected_lines(session_id: int) -> sa.Select[int, int, str, str, RegistrationStatus, datetime | None, str]:
    """The lines of the session's check-in list (``ExpectedPerson``'s fields), sorted by name."""
    return (
        sa.select(Registration.id, Registration.participant_id, Participant.name, Participant.organisation,
                  Registration.status, Registration.checked_in_at, Participant.search_key)
        .join(Participant, Participant.id == Registration.participant_id)
        .where(Registration.session_id == session_id, Registration.status.in_(EXPECTED_STATUSES))
        .order_by(Participant.search_key, Registration.id)
    )


def _forgiving_one_slip(session_id: int, query: str, limit: int) -> list[ExpectedPerson]:
    """The people whose name matches the query with one slipped letter a word (``names.matches_with_one_slip``).

    Asked only when the exact search found nobody, so a slip costs one more query over the session's list
    and a search that finds people costs nothing more. At most ``limit`` people, sorted by name.
    """
    found = (ExpectedPerson(*row) for row in db.session.execute(_expected_lines(session_id)))
    return list(itertools.islice((person for person in found if matches_with_one_slip(query, person.sort_key)),
                                 limit))


def _among_expected(session_id: int) -> sa.ColumnElement[bool]:
    """The participant is one of the session's people: a condition that makes the search start from them.

    Without it PostgreSQL, seeing a short word match many names, scans the whole register and joins
    (50 ms at 100,000 people); given the session's participant ids as an array computed first, it
    fetches those few people by primary key (3.5 ms, bench/RESULTS.md). Redundant with the join, so
    the results are the same.
    """
    ids = (sa.select(Registration.participant_id)
           .where(Registration.session_id == session_id, Registration.status.in_(EXPECTED_STATUSES))
           .scalar_subquery())
    if db.session.get_bind().dialect.name == "postgresql":
        return Participant.id == sa.any_(sa.func.ARRAY(ids))
    return Participant.id.in_(ids)


def attendance(session_id: int, capacity: int) -> Attendance:
    """Attended and expected counts and seats taken, in one aggregate query (expected: ``EXPECTED_COUNT``)."""
    status = Registration.status
    attended, expected, seated = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((status == RegistrationStatus.attended, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((status.in_(EXPECTED_COUNT), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((status.in_(SEATED), 1), else_=0)), 0),
        ).where(Registration.session_id == session_id)
    ).one()
    return Attendance(int(attended), int(expected), int(seated), capacity)


def _locked_registration(session_id: int, registration_id: int) -> Registration:
    """The registration, read afresh after taking the session's lock."""
    operations.lock_session(session_id)
    registration = db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration_id, Registration.session_id == session_id)
        .execution_options(populate_existing=True)
    )
    if registration is None:
        raise CheckinError("not_found")
    return registration


def check_in_once(session_id: int, registration_id: int, request_id: str | None = None,
                  *, via: str = "door") -> Registration:
    """Check a registration of this session in, once, however often the tap or its request arrives.

    Unlike ``operations.mark_attended``, which trusts the caller's copy, this reads the registration
    afresh under the session's lock and remembers request ids. A person already attended stays as
    they are; a ``request_id`` seen before is not applied again (even after an undo, so a late retry
    cannot re-check someone in). The request id is looked up under the session's lock, which
    serialises every check-in of the session on both backends; a request id already used for another
    registration raises ``CheckinError("request_reused")``.
    """
    registration = _locked_registration(session_id, registration_id)
    if request_id is not None:
        seen = db.session.get(CheckinRequest, request_id, populate_existing=True)
        if seen is not None:
            if seen.registration_id != registration.id:
                raise CheckinError("request_reused")
            return registration
        try:
            # A savepoint, so that a request id taken meanwhile by another session's check-in
            # (whose lock we do not hold) fails alone instead of the whole transaction.
            with db.session.begin_nested():
                db.session.add(CheckinRequest(request_id=request_id, registration_id=registration.id))
        except sa.exc.IntegrityError:
            raise CheckinError("request_reused") from None
    operations.mark_attended(registration, via=via)
    return registration


def undo_check_in(session_id: int, registration_id: int) -> Registration:
    """Return a checked-in registration to its status before check-in; others stay as they are."""
    registration = _locked_registration(session_id, registration_id)
    operations.unmark_attended(registration)
    return registration


def check_in_participant(session_id: int, participant: Participant) -> Registration:
    """Check in someone already in the register, registering them here first if they are not yet."""
    operations.lock_session(session_id)
    registration = db.session.scalar(
        sa.select(Registration)
        .where(Registration.session_id == session_id, Registration.participant_id == participant.id)
        .execution_options(populate_existing=True)
    )
    if registration is None:
        forum_session = db.session.get(ForumSession, session_id)
        assert forum_session is not None
        registration = operations.register(forum_session, participant, RegistrationStatus.registered, via="walk-in")
    return check_in_once(session_id, registration.id, via="walk-in")


def add_walk_in(session_id: int, person: ParticipantInput) -> Registration:
    """Add a new person to the register with their categories, register and check them in, in one step.

    Validation is the register's own (``forums.sessions.operations.create_participant`` raises
    ``ValidationFailed``). Past capacity the registration is waitlisted first and then checked in
    anyway: the person is in the room.
    """
    participant = people_operations.create_participant(person)
    return check_in_participant(session_id, participant)


@dataclass(frozen=True)
class DuplicateHint:
    """Someone in the register whose name resembles a walk-in's."""

    participant_id: int
    name: str
    organisation: str
    score: float
    #: their registration status at this session, None when they have none
    status: RegistrationStatus | None


def duplicate_hints(session_id: int, name: str) -> list[DuplicateHint]:
    """People in the register whose names resemble ``name`` in either script, best first.

    SQL narrows the register to at most DUPLICATE_CANDIDATE_LIMIT people sharing the first letters
    of a name word; ``forums.people.names.likely_duplicates`` scores them. Two queries in all.
    """
    prefixes = {word[:DUPLICATE_PREFIX_LENGTH] for word in search_key(name).split() if len(word) >= 2}
    if not prefixes:
        return []
    shares_a_word_start = sa.or_(*(
        sa.or_(Participant.search_key.like(f"{prefix}%"), Participant.search_key.like(f"% {prefix}%"))
        for prefix in sorted(prefixes)
    ))
    candidates = db.session.execute(
        sa.select(Participant.id, Participant.name, Participant.organisation)
        .where(shares_a_word_start)
        .order_by(Participant.id)
        .limit(DUPLICATE_CANDIDATE_LIMIT)
    ).all()
    scored = likely_duplicates(name, ((row.id, row.name) for row in candidates))
    if not scored:
        return []
    by_id = {row.id: row for row in candidates}
    statuses = dict(db.session.execute(
        sa.select(Registration.participant_id, Registration.status)
        .where(Registration.session_id == session_id,
               Registration.participant_id.in_([participant_id for participant_id, _ in scored]))
    ).all())
    return [
        DuplicateHint(participant_id, by_id[participant_id].name, by_id[participant_id].organisation, score,
                      statuses.get(participant_id))
        for participant_id, score in scored
    ]


def facilitators(session_id: int) -> list[User]:
    """The users assigned to facilitate a session, by e-mail."""
    return list(db.session.scalars(
        sa.select(User).join(SessionFacilitator, SessionFacilitator.user_id == User.id)
        .where(SessionFacilitator.session_id == session_id)
        .order_by(User.email)
    ))


def assign_facilitator(session_id: int, email: str) -> User:
    """Let the facilitator with this e-mail see and check in the session.

    Raises ``CheckinError("no_facilitator")`` when no active facilitator account has the e-mail and
    ``CheckinError("duplicate")`` when they are assigned already.
    """
    user = db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower(),
                              User.role == Role.facilitator, User.is_active)
    )
    if user is None:
        raise CheckinError("no_facilitator")
    if db.session.get(SessionFacilitator, (session_id, user.id)) is not None:
        raise CheckinError("duplicate")
    db.session.add(SessionFacilitator(session_id=session_id, user_id=user.id))
    audit.record("session.facilitator_add", "session", session_id, detail=f"user {user.id}")
    return user


def unassign_facilitator(session_id: int, user_id: int) -> bool:
    """Take a facilitator off a session; False when they were not assigned."""
    assignment = db.session.get(SessionFacilitator, (session_id, user_id))
    if assignment is None:
        return False
    db.session.delete(assignment)
    audit.record("session.facilitator_remove", "session", session_id, detail=f"user {user_id}")
    return True


def live_summary(forum_session: ForumSession, small_count_threshold: int | None = None) -> dict[str, object]:
    """Counts, seats and the attended-stage balance report: what the live panel polls (no names).

    With ``small_count_threshold`` (for a facilitator) the balance is the coarse one of
    ``forums.balance.coarse``: no count per category, nothing per category below the threshold.
    """
    counts = attendance(forum_session.id, forum_session.capacity)
    # The panel polls every few seconds: between check-ins this worker's copy of the report holds.
    stamp = balance_stamp(forum_session.id)
    balance = (session_balance(forum_session.id, "attended") if stamp is None  # deleted meanwhile
               else session_balance_under(forum_session.id, "attended", stamp))
    return {
        "session_id": forum_session.id,
        "attended": counts.attended,
        "expected": counts.expected,
        "seated": counts.seated,
        "capacity": counts.capacity,
        "balance": (balance.to_json() if small_count_threshold is None
                    else coarse_report(balance, small_count_threshold).to_json()),
    }
