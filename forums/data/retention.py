"""Deleting personal data: the retention purge, erasing one person, and the emergency wipe.

**Retention purge.** A session *expired* when its forum has ``retention_days`` and the session
ended more than that many days before ``now``. Purging an expired session deletes:

1. its registrations (and their check-in records);
2. its speaker entries (the agenda itself stays, without names);
3. then every participant who had a registration or a speaker entry in a purged session and has
   none left anywhere else: their row, categories and personal link. People in the register who
   were never linked to any session are kept (they may just have been imported), and so is anyone
   still registered for, or speaking at, a session that has not expired.

Uploads of the CSV import left unconfirmed longer than ``imports.UPLOAD_MAX_AGE`` (rows of
``pending_import``) are deleted too (exports are streamed and never stored). Sessions, agendas and
the audit log stay: they hold no personal data. Every function takes ``now`` so the rules can be
checked at a frozen time.

Every function works in the caller's transaction and records audit entries with counts only; the
caller commits.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from forums.audit import log as audit
from forums.data import backup, imports
from forums.registrations import operations
from forums.signup import operations as signup_operations
from models import (
    AgendaItem,
    AgendaSpeaker,
    Forum,
    ForumSession,
    Participant,
    ParticipantCategory,
    PersonalLink,
    Registration,
    db,
)
from models.registrations import SEATED


@dataclass
class PurgePlan:
    """What a purge at ``now`` removes (and, once done, what it removed)."""

    session_ids: list[int] = field(default_factory=list)
    registrations: int = 0
    speakers: int = 0
    participant_ids: list[int] = field(default_factory=list)
    #: keys of the stale waiting uploads (token hashes, never the tokens)
    stale_uploads: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to purge."""
        return not (self.session_ids or self.participant_ids or self.stale_uploads)

    def summary(self) -> str:
        """Counts only, for the audit log and the command's output."""
        return (f"sessions={len(self.session_ids)} registrations={self.registrations} "
                f"speakers={self.speakers} participants={len(self.participant_ids)} "
                f"upload_files={len(self.stale_uploads)}")


def expired_session_ids(now: datetime) -> list[int]:
    """Sessions whose forum's retention period has run out at ``now``."""
    candidates = db.session.execute(
        sa.select(ForumSession.id, ForumSession.ends_at, Forum.retention_days)
        .join(Forum, Forum.id == ForumSession.forum_id)
        .where(Forum.retention_days.is_not(None), ForumSession.ends_at < now)
        .order_by(ForumSession.id)
    )
    # ``days is not None`` only tells mypy what the query's is_not(None) already made sure of
    return [session_id for session_id, ends_at, days in candidates
            if days is not None and ends_at + timedelta(days=days) < now]


def _speaker_ids_in(session_ids: list[int]) -> sa.Select[int]:
    return (sa.select(AgendaSpeaker.id).join(AgendaItem, AgendaItem.id == AgendaSpeaker.agenda_item_id)
            .where(AgendaItem.session_id.in_(session_ids)))


def _people_linked(session_filter: sa.ColumnElement[bool]) -> set[int]:
    registered = sa.select(Registration.participant_id).join(
        ForumSession, ForumSession.id == Registration.session_id).where(session_filter)
    speaking = (sa.select(AgendaSpeaker.participant_id)
                .join(AgendaItem, AgendaItem.id == AgendaSpeaker.agenda_item_id)
                .join(ForumSession, ForumSession.id == AgendaItem.session_id).where(session_filter))
    return set(db.session.scalars(sa.union(registered, speaking)))


def plan_purge(now: datetime) -> PurgePlan:
    """What a purge at ``now`` would remove, without changing anything."""
    session_ids = expired_session_ids(now)
    plan = PurgePlan(stale_uploads=imports.stale_uploads(now))
    if not session_ids:
        return plan
    plan.registrations = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(Registration.session_id.in_(session_ids))) or 0
    plan.speakers = db.session.scalar(
        sa.select(sa.func.count()).select_from(_speaker_ids_in(session_ids).subquery())) or 0
    expired = ForumSession.id.in_(session_ids)
    plan.participant_ids = sorted(_people_linked(expired) - _people_linked(sa.not_(expired)))
    # Sessions purged before keep appearing as expired; list only those that still hold data.
    holding = set(db.session.scalars(
        sa.select(Registration.session_id).where(Registration.session_id.in_(session_ids))))
    holding |= set(db.session.scalars(
        sa.select(AgendaItem.session_id).join(AgendaSpeaker).where(AgendaItem.session_id.in_(session_ids))))
    plan.session_ids = sorted(holding)
    return plan


def _delete_participants(participant_ids: list[int]) -> None:
    # Explicit deletes rather than relying on ON DELETE CASCADE, so both backends behave alike.
    db.session.execute(sa.delete(PersonalLink).where(PersonalLink.participant_id.in_(participant_ids)))
    db.session.execute(sa.delete(ParticipantCategory).where(ParticipantCategory.participant_id.in_(participant_ids)))
    db.session.execute(sa.delete(Participant).where(Participant.id.in_(participant_ids)),
                       execution_options={"synchronize_session": False})


def _delete_registrations(condition: sa.ColumnElement[bool]) -> None:
    registration_ids = sa.select(Registration.id).where(condition)
    checkins = db.metadata.tables["checkin_request"]
    db.session.execute(sa.delete(checkins).where(checkins.c.registration_id.in_(registration_ids)))
    db.session.execute(sa.delete(Registration).where(condition), execution_options={"synchronize_session": False})


def purge_expired(now: datetime, dry_run: bool = False) -> PurgePlan:
    """Delete the personal data of expired sessions (see the module's rules); returns what went."""
    plan = plan_purge(now)
    if not dry_run:
        # Sign-ups of the public forms never confirmed hold a name and a contact: gone once their link ran out.
        signup_operations.forget_unconfirmed(now)
    if dry_run or plan.is_empty:
        return plan
    if plan.session_ids:
        db.session.execute(sa.delete(AgendaSpeaker).where(AgendaSpeaker.id.in_(_speaker_ids_in(plan.session_ids))),
                           execution_options={"synchronize_session": False})
        _delete_registrations(Registration.session_id.in_(plan.session_ids))
    if plan.participant_ids:
        _delete_participants(plan.participant_ids)
    if plan.stale_uploads:
        imports.delete_uploads(plan.stale_uploads)
    db.session.expire_all()
    for session_id in plan.session_ids:
        audit.record("retention.purge_session", "session", session_id)
    audit.record("retention.purge", detail=plan.summary())
    return plan


@dataclass(frozen=True)
class Erasure:
    """What erasing one person removed (counts only)."""

    registrations: int
    speaker_entries: int
    personal_links: int


def erase_participant(participant_id: int) -> Erasure | None:
    """Remove one person everywhere: row, categories, registrations, speaker entries, personal link.

    Seats the person held go to the waitlist of those sessions. Returns None when there is no such
    person. The audit entry names the id only, never the person.
    """
    participant = db.session.get(Participant, participant_id)
    if participant is None:
        return None
    seated_sessions = list(db.session.scalars(
        sa.select(Registration.session_id).where(Registration.participant_id == participant_id,
                                                 Registration.status.in_(SEATED))))
    registrations = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(Registration.participant_id == participant_id)) or 0
    speaker_sessions = list(db.session.scalars(
        sa.select(AgendaItem.session_id).join(AgendaSpeaker).where(AgendaSpeaker.participant_id == participant_id)))
    links = db.session.scalar(
        sa.select(sa.func.count()).select_from(PersonalLink).where(PersonalLink.participant_id == participant_id)) or 0
    db.session.execute(sa.delete(AgendaSpeaker).where(AgendaSpeaker.participant_id == participant_id),
                       execution_options={"synchronize_session": False})
    _delete_registrations(Registration.participant_id == participant_id)
    _delete_participants([participant_id])
    db.session.expire_all()
    # Calendars must notice that an agenda changed.
    for forum_session in db.session.scalars(sa.select(ForumSession).where(ForumSession.id.in_(set(speaker_sessions)))):
        forum_session.sequence += 1
    for forum_session in db.session.scalars(sa.select(ForumSession).where(ForumSession.id.in_(set(seated_sessions)))):
        operations.promote_waitlisted(forum_session)
    db.session.flush()
    result = Erasure(registrations, len(speaker_sessions), links)
    audit.record("participant.erase", "participant", participant_id,
                 detail=f"registrations={result.registrations} speaker_entries={result.speaker_entries} "
                        f"personal_links={result.personal_links}")
    return result


def emergency_wipe(backup_path: Path, passphrase: str) -> dict[str, int]:
    """Write every personal row to an encrypted file, then delete them all; returns rows per table.

    The file is written, flushed and read back before the first delete: a failed backup wipes nothing.
    Uploads of the CSV import waiting for confirmation are deleted too but not backed up: nobody
    confirmed them, and whoever needs them uploads the file again. Staff accounts, forums, sessions,
    agendas and the audit log (which holds no personal values) stay.
    """
    snapshot = backup.personal_data_snapshot()
    backup.write_encrypted(backup_path, snapshot, passphrase)
    for table_name in backup.PERSONAL_TABLES:
        db.session.execute(sa.delete(db.metadata.tables[table_name]))
    waiting_uploads = imports.delete_all_uploads()
    db.session.expire_all()
    counts = {name: len(rows) for name, rows in snapshot.items()}
    counts["pending_import"] = waiting_uploads
    audit.record("emergency.wipe", detail=" ".join(f"{name}={count}" for name, count in counts.items()))
    return counts
