"""Merging two records of one person into the one staff choose to keep (issue 14, item 9).

Everything the other record holds moves to the kept one, in the caller's transaction (the caller commits
once), and the other record is deleted; nothing about the person is lost:

* **Registrations** move. For a session both records are on, the registration further along
  (``models.registrations.PROGRESS``; the kept record's on a tie) stays and the other is deleted: its
  history (audit entries, and every row that refers to it: check-in requests and events, mail, the sign-up
  it came from) moves to the one that stays, two waitlisted places
  keep the earlier one, and a seat it held goes to the session's waitlist (``promote_waitlisted``).
* **Agenda speaker entries** move; an item both records speak at keeps the kept record's entry. The
  calendars of those sessions get a new sequence number, as for any agenda change.
* **Speeches on the floor and concerns raised** move (each keeps the categories of its moment).
* **Support of concerns** moves; a concern both records supported keeps one support (a person supports a
  concern once), dated by the earlier.
* **Personal link**: the kept record's stays; when it has none the other's moves to it, else the
  other's stops working (the merge page says so first).
* **Details**: the kept record's values stay. Its empty organisation, e-mail and phone, and the
  dimensions it has no category in, take the other's; languages are united; consent is the earlier one.
  What the other record holds differently is listed on the merge page before staff confirm
  (:func:`differences`).
* **Flags**: a possible duplicate pointing at the other record points at the kept one; the kept
  record's own flag is cleared when it pointed at the other.
* **Audit log**: entries about the other record (``participant:<id>``) and those its personal link
  wrote (``participant-link:<id>``) name the kept record, and one ``participant.merge`` entry says
  what moved (ids and counts, never names or values).

``REFERENCES`` is every column that refers to a person, each handled here; tests/people/test_merge.py
fails when a table added later refers to the register and this module does not move it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from forums import validation
from forums.audit import log as audit
from forums.registrations import operations
from models import (
    AgendaItem,
    AgendaSpeaker,
    AuditEntry,
    Concern,
    Endorsement,
    ForumSession,
    MailAddressHealth,
    Participant,
    ParticipantCategory,
    PersonalLink,
    Registration,
    RegistrationStatus,
    Speech,
    db,
    utcnow,
)
from models.registrations import PROGRESS, SEATED

#: (table, column) of every reference to ``participant.id``, all moved by :func:`merge`
REFERENCES = frozenset({
    ("registration", "participant_id"),
    ("agenda_speaker", "participant_id"),
    ("personal_link", "participant_id"),
    ("participant_category", "participant_id"),
    ("participant", "possible_duplicate_of_id"),
    ("mail_address_health", "participant_id"),
    ("floor_speech", "participant_id"),
    ("concern", "submitter_id"),
    ("endorsement", "participant_id"),
})

#: the details :func:`differences` compares, in the order the merge page lists them
DETAILS = ("name", "organisation", "email", "phone")


@dataclass(frozen=True)
class MergeSummary:
    """What a merge moved, for the page's message and the audit entry."""

    kept_id: int
    merged_id: int
    #: registrations moved to the kept record as they were
    registrations_moved: int
    #: sessions both records were on: one registration kept, the other's history moved to it
    registrations_joined: int
    speaker_entries_moved: int
    #: items both records spoke at: one entry kept
    speaker_entries_joined: int
    #: ``moved``, ``dropped`` (the kept record had one) or ``none``
    personal_link: str
    audit_entries: int

    def detail(self) -> str:
        """The audit entry's detail: ids and counts only."""
        return (f"merged participant {self.merged_id} into {self.kept_id}: "
                f"registrations_moved={self.registrations_moved} registrations_joined={self.registrations_joined} "
                f"speaker_entries_moved={self.speaker_entries_moved} "
                f"speaker_entries_joined={self.speaker_entries_joined} "
                f"personal_link={self.personal_link} audit_entries={self.audit_entries}")


def differences(kept: Participant, other: Participant) -> list[str]:
    """Details (``DETAILS``) and dimension ids where both records hold a value and the values differ.

    These are what the merge does not keep of ``other``. Categories must be loaded.
    """
    found = [field for field in DETAILS
             if getattr(kept, field) and getattr(other, field) and getattr(kept, field) != getattr(other, field)]
    held = {link.dimension_id: link.category_id for link in kept.categories}
    found += [str(link.dimension_id) for link in other.categories
              if link.dimension_id in held and held[link.dimension_id] != link.category_id]
    return found


def _changed(statement: sa.Executable) -> int:
    """Run a bulk UPDATE or DELETE (the session's copies are not synchronised); how many rows it changed."""
    result = cast("sa.CursorResult[Any]",
                  db.session.execute(statement, execution_options={"synchronize_session": False}))
    return result.rowcount or 0


def _rank(registration: Registration) -> int:
    return PROGRESS.index(registration.status)


def _move_registration_history(source_id: int, target_id: int) -> int:
    """Point the audit entries of registration ``source_id``, and every row that refers to it (found in the
    schema, so a table added later moves too), at ``target_id``; how many audit entries moved."""
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column is Registration.__table__.c.id:
                _changed(sa.update(table).where(key.parent == source_id).values({key.parent.name: target_id}))
    return _changed(sa.update(AuditEntry).where(AuditEntry.object_type == "registration",
                                                AuditEntry.object_id == source_id).values(object_id=target_id))


def _join_registrations(kept_id: int, merged_id: int) -> tuple[int, int, int, set[int]]:
    """Resolve the sessions both records are on; (moved, joined, audit entries moved, sessions with a freed seat)."""
    registrations = list(db.session.scalars(
        sa.select(Registration).where(Registration.participant_id.in_([kept_id, merged_id]))
        .order_by(Registration.id)))
    kept_by_session = {r.session_id: r for r in registrations if r.participant_id == kept_id}
    moved = joined = history = 0
    freed: set[int] = set()
    for registration in registrations:
        if registration.participant_id != merged_id:
            continue
        mine = kept_by_session.get(registration.session_id)
        if mine is None:
            moved += 1
            continue
        joined += 1
        stays, goes = (registration, mine) if _rank(registration) > _rank(mine) else (mine, registration)
        if stays.status is RegistrationStatus.waitlisted and goes.status is RegistrationStatus.waitlisted \
                and goes.waitlisted_at and stays.waitlisted_at and goes.waitlisted_at < stays.waitlisted_at:
            stays.waitlisted_at = goes.waitlisted_at
        history += _move_registration_history(goes.id, stays.id)
        if goes.status in SEATED:
            freed.add(goes.session_id)
        db.session.delete(goes)
    db.session.flush()
    # What is left of the merged record's registrations (moved, or kept over the kept record's) moves over.
    _changed(sa.update(Registration).where(Registration.participant_id == merged_id).values(participant_id=kept_id))
    return moved, joined, history, freed


def _join_speaker_entries(kept_id: int, merged_id: int) -> tuple[int, int, set[int]]:
    """Move the merged record's speaker entries; (moved, joined, sessions whose agenda changed)."""
    sessions = set(db.session.scalars(
        sa.select(AgendaItem.session_id).join(AgendaSpeaker, AgendaSpeaker.agenda_item_id == AgendaItem.id)
        .where(AgendaSpeaker.participant_id == merged_id)))
    both = sa.select(AgendaSpeaker.agenda_item_id).where(AgendaSpeaker.participant_id == kept_id)
    joined = _changed(sa.delete(AgendaSpeaker).where(AgendaSpeaker.participant_id == merged_id,
                                                     AgendaSpeaker.agenda_item_id.in_(both)))
    moved = _changed(sa.update(AgendaSpeaker).where(AgendaSpeaker.participant_id == merged_id)
                     .values(participant_id=kept_id))
    return moved, joined, sessions


def _join_personal_links(kept_id: int, merged_id: int) -> str:
    """The kept record's link stays; the merged record's moves over when the kept one has none."""
    if db.session.scalar(sa.select(PersonalLink.id).where(PersonalLink.participant_id == merged_id)) is None:
        return "none"
    if db.session.scalar(sa.select(PersonalLink.id).where(PersonalLink.participant_id == kept_id)) is not None:
        _changed(sa.delete(PersonalLink).where(PersonalLink.participant_id == merged_id))
        return "dropped"
    _changed(sa.update(PersonalLink).where(PersonalLink.participant_id == merged_id).values(participant_id=kept_id))
    return "moved"


def _join_address_health(kept_id: int, merged_id: int) -> None:
    """The bounce history of the merged record's addresses goes to the kept one; for an address both have,
    the kept record's history stays (one row per person and address)."""
    both = sa.select(MailAddressHealth.address).where(MailAddressHealth.participant_id == kept_id)
    _changed(sa.delete(MailAddressHealth).where(MailAddressHealth.participant_id == merged_id,
                                                MailAddressHealth.address.in_(both)))
    _changed(sa.update(MailAddressHealth).where(MailAddressHealth.participant_id == merged_id)
             .values(participant_id=kept_id))


def _join_contributions(kept_id: int, merged_id: int) -> None:
    """Speeches, concerns and support move to the kept record; support of a concern both records gave is
    one, dated by the earlier (``endorsement`` allows one per person and concern)."""
    _changed(sa.update(Speech).where(Speech.participant_id == merged_id).values(participant_id=kept_id))
    _changed(sa.update(Concern).where(Concern.submitter_id == merged_id).values(submitter_id=kept_id))
    theirs = {endorsement.concern_id: endorsement for endorsement in db.session.scalars(
        sa.select(Endorsement).where(Endorsement.participant_id == merged_id))}
    for mine in db.session.scalars(sa.select(Endorsement).where(Endorsement.participant_id == kept_id,
                                                                Endorsement.concern_id.in_(theirs))):
        duplicate = theirs[mine.concern_id]
        mine.created_at = min(mine.created_at, duplicate.created_at)
        db.session.delete(duplicate)
    db.session.flush()
    _changed(sa.update(Endorsement).where(Endorsement.participant_id == merged_id).values(participant_id=kept_id))


def _join_details(kept: Participant, merged: Participant) -> None:
    """Fill what the kept record lacks from the merged one (rules in the module docstring)."""
    for field in ("organisation", "email", "phone"):
        if not getattr(kept, field) and getattr(merged, field):
            setattr(kept, field, getattr(merged, field))
    kept.languages = ",".join(dict.fromkeys([*kept.language_list, *merged.language_list]))
    if merged.consent_at is not None and (kept.consent_at is None or merged.consent_at < kept.consent_at):
        kept.consent_at = merged.consent_at
    held = {link.dimension_id for link in kept.categories}
    for link in merged.categories:
        if link.dimension_id not in held:
            kept.categories.append(ParticipantCategory(dimension_id=link.dimension_id, category_id=link.category_id))
    if kept.possible_duplicate_of_id == merged.id:
        kept.possible_duplicate_of_id = None
    # What moved to the kept record lives in other rows: touching it makes the merge a new version, so an
    # edit form opened before it cannot overwrite it unnoticed.
    kept.updated_at = utcnow()


def merge(kept: Participant, merged: Participant, *, kept_version: int | None = None,
          merged_version: int | None = None) -> MergeSummary:
    """Move everything of ``merged`` to ``kept`` and delete ``merged`` (rules in the module docstring).

    Works in the caller's transaction and flushes; audited as ``participant.merge`` on the kept record.
    Raises ``validation.Conflict`` for the same record twice or a stale copy of either, before any change.
    """
    if kept.id == merged.id:
        raise validation.Conflict(_("Choose two different records to merge."))
    validation.check_version(kept, kept_version)
    validation.check_version(merged, merged_version)
    kept_id, merged_id = kept.id, merged.id
    moved, joined, history, freed = _join_registrations(kept_id, merged_id)
    speakers_moved, speakers_joined, agenda_sessions = _join_speaker_entries(kept_id, merged_id)
    link = _join_personal_links(kept_id, merged_id)
    _join_address_health(kept_id, merged_id)
    _join_contributions(kept_id, merged_id)
    _join_details(kept, merged)
    _changed(sa.update(Participant).where(Participant.possible_duplicate_of_id == merged_id, Participant.id != kept_id)
             .values(possible_duplicate_of_id=kept_id))
    history += _changed(sa.update(AuditEntry).where(AuditEntry.object_type == "participant",
                                                    AuditEntry.object_id == merged_id).values(object_id=kept_id))
    history += _changed(sa.update(AuditEntry).where(AuditEntry.actor == f"participant-link:{merged_id}")
                        .values(actor=f"participant-link:{kept_id}"))
    db.session.flush()
    # The merged record's collections were loaded before the bulk moves: forget them, or deleting it would
    # delete (by cascade) the registrations now belonging to the kept record.
    db.session.expire(merged)
    db.session.delete(merged)
    db.session.flush()
    db.session.expire_all()
    for forum_session in db.session.scalars(sa.select(ForumSession).where(ForumSession.id.in_(agenda_sessions))):
        forum_session.sequence += 1
    for forum_session in db.session.scalars(sa.select(ForumSession).where(ForumSession.id.in_(freed))):
        operations.promote_waitlisted(forum_session)
    db.session.flush()
    summary = MergeSummary(kept_id, merged_id, moved, joined, speakers_moved, speakers_joined, link, history)
    audit.record("participant.merge", "participant", kept_id, detail=summary.detail())
    return summary
