"""Changes of open registration: the organisers' settings, a sign-up, its confirmation.

Each works inside the caller's transaction, audits itself and flushes; the view commits. A sign-up
writes nothing to the register: only its confirmation does, through the register's own operations
(``forums.people.operations.create_participant``) and the registration state machine
(``forums.registrations.operations.register``: capacity, the waitlist, a cancelled session).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from forums.audit import log as audit
from forums.people import duplicates
from forums.people.operations import ParticipantInput, create_participant, is_offered
from forums.registrations import operations as registrations
from forums.signup import rules
from models import (
    Category,
    ForumSession,
    OpenSignup,
    Participant,
    Registration,
    RegistrationStatus,
    SignupSetting,
    db,
    utcnow,
)


def save_settings(forum_session: ForumSession, *, is_open: bool, asks_organisation: bool, asks_contact: bool,
                  dimension_ids: Iterable[int]) -> SignupSetting:
    """Set whether the session takes open registration and what its form asks; audited as ``signup.settings``.

    The session is touched too: its public page, kept while the session is unchanged, links to the form.
    """
    setting = db.session.get(SignupSetting, forum_session.id)
    if setting is None:
        setting = SignupSetting(session_id=forum_session.id)
        db.session.add(setting)
    setting.is_open = is_open
    setting.asks_organisation = asks_organisation
    setting.asks_contact = asks_contact
    setting.dimension_ids = sorted(set(dimension_ids))
    forum_session.updated_at = utcnow()
    db.session.flush()
    audit.record("signup.settings", "session", forum_session.id, detail="open" if is_open else "closed")
    return setting


@dataclass(frozen=True)
class SignupAnswers:
    """What a person typed on the public form (already checked by the form)."""

    name: str
    organisation: str = ""
    email: str = ""
    phone: str = ""
    #: category id chosen per dimension id; dimensions answered "prefer not to say" are left out
    categories: Mapping[int, int] = field(default_factory=dict)


def submit(forum_session: ForumSession, answers: SignupAnswers) -> tuple[OpenSignup, str]:
    """Keep a sign-up until it is confirmed; returns it with its confirmation code (never stored, only its hash).

    Audited as ``signup.submit`` on the session, without the person's details. Sign-ups left unconfirmed
    past ``rules.PENDING_HOURS`` are deleted here, so abandoned answers do not linger.
    """
    now = utcnow()
    forget_unconfirmed(now)
    code = rules.new_code()
    signup = OpenSignup(
        session_id=forum_session.id, code_hash=rules.code_hash(code), name=answers.name,
        organisation=answers.organisation, email=answers.email, phone=answers.phone,
        answers={str(dimension_id): category_id for dimension_id, category_id in answers.categories.items()},
        consent_notice=rules.CONSENT_NOTICE_VERSION, consent_at=now, created_at=now,
    )
    db.session.add(signup)
    db.session.flush()
    audit.record("signup.submit", "session", forum_session.id)
    return signup, code


def renew_code(signup: OpenSignup) -> str:
    """Give a pending sign-up a fresh confirmation code and return it (only its hash is stored); the old code
    stops working. The mail sender calls this as it writes the confirmation message, since no code is kept
    readable for it."""
    code = rules.new_code()
    signup.code_hash = rules.code_hash(code)
    return code


def forget_unconfirmed(now: datetime) -> int:
    """Delete sign-ups never confirmed within ``rules.PENDING_HOURS``; returns how many."""
    result = db.session.execute(
        sa.delete(OpenSignup).where(OpenSignup.confirmed_at.is_(None),
                                    OpenSignup.created_at < now - timedelta(hours=rules.PENDING_HOURS))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def is_expired(signup: OpenSignup, now: datetime) -> bool:
    """Whether an unconfirmed sign-up's link has run out (``rules.PENDING_HOURS``)."""
    return signup.confirmed_at is None and signup.created_at < now - timedelta(hours=rules.PENDING_HOURS)


def confirm(signup: OpenSignup, forum_session: ForumSession) -> Registration:
    """Put a pending sign-up into the register and register it for its session; returns the registration.

    The person is added through the register's own validation with each answered category marked
    self-declared, and consent as given on the form. Anyone already in the register who may be the same
    person (``forums.people.duplicates``: name in any script, e-mail, phone) is flagged for staff
    (``possible_duplicate_of_id``), never merged. The registration is ``registered``, or ``waitlisted``
    when the session is full (``registrations.register``); a cancelled session raises ``SessionCancelled``.
    The sign-up then keeps only its code's hash, times and registration: the details live in the register.
    Audited as ``signup.confirm`` on the registration.
    """
    participant = create_participant(ParticipantInput(
        name=signup.name, organisation=signup.organisation, email=signup.email, phone=signup.phone,
        categories=_category_keys(signup.answers),
    ))
    participant.consent_at = signup.consent_at
    for link in participant.categories:
        link.is_self_declared = True
    _flag_possible_duplicate(participant)
    registration = registrations.register(forum_session, participant, RegistrationStatus.registered,
                                          via="open registration")
    signup.confirmed_at = utcnow()
    signup.registration_id = registration.id
    signup.name = signup.organisation = signup.email = signup.phone = ""
    signup.answers = {}
    db.session.flush()
    audit.record("signup.confirm", "registration", registration.id)
    return registration


def _category_keys(answers: Mapping[str, int]) -> dict[str, str]:
    """The answers as the register takes them: dimension key -> category key. An answer retired since it was
    given (``is_offered``) is dropped: the person is recorded without it rather than refused."""
    chosen = {int(dimension_id): category_id for dimension_id, category_id in answers.items()}
    if not chosen:
        return {}
    categories = db.session.scalars(
        sa.select(Category).where(Category.id.in_(set(chosen.values()))).options(joinedload(Category.dimension))
    )
    return {category.dimension.key: category.key for category in categories
            if chosen.get(category.dimension_id) == category.id and is_offered(category)}


def _flag_possible_duplicate(participant: Participant) -> None:
    """Point the new person at the first one of the register who may be them, for staff to check."""
    matches = duplicates.find_one(duplicates.Identity(participant.name, participant.email, participant.phone),
                                  exclude=[participant.id])
    if matches:
        participant.possible_duplicate_of_id = matches[0].participant_id
        audit.record("participant.possible_duplicate", "participant", participant.id)
