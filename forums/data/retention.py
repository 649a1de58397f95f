"""Deleting personal data: the retention purge, erasing one person, and the emergency wipe.

**Retention purge.** A session *expired* when its forum has ``retention_days`` and the session
ended more than that many days before ``now``. Purging an expired session deletes:

1. its registrations (and their check-in records and mail);
2. its speaker entries (the agenda itself stays, without names);
3. who spoke on its floor and who raised or supported its concerns: speeches and concerns stay with
   the categories of that moment, without the person (support of a concern goes);
4. then every participant who had any of these in a purged session and has none left anywhere else:
   their row and everything that refers to it (``_remove``). People in the register who were never
   linked to any session are kept (they may just have been imported), and so is anyone still
   registered for, speaking at, or with a concern in a session that has not expired.

Finished mail past the mail's own retention period (``forums.mail.outbox.purge_finished``) and
sign-ups of the public forms never confirmed (``forums.signup.operations.forget_unconfirmed``) go too.

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
from forums.mail import outbox
from forums.mail import settings as mail_settings
from forums.registrations import operations
from forums.signup import operations as signup_operations
from models import (
    AgendaItem,
    AgendaSpeaker,
    Concern,
    Endorsement,
    FloorList,
    Forum,
    ForumSession,
    Participant,
    PersonalLink,
    Registration,
    Speech,
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
    on_the_floor = (sa.select(Speech.participant_id).join(FloorList, FloorList.id == Speech.list_id)
                    .join(ForumSession, ForumSession.id == FloorList.session_id)
                    .where(session_filter, Speech.participant_id.is_not(None)))
    raising = (sa.select(Concern.submitter_id).join(ForumSession, ForumSession.id == Concern.session_id)
               .where(session_filter, Concern.submitter_id.is_not(None)))
    supporting = (sa.select(Endorsement.participant_id).join(Concern, Concern.id == Endorsement.concern_id)
                  .join(ForumSession, ForumSession.id == Concern.session_id).where(session_filter))
    return set(db.session.scalars(sa.union(registered, speaking, on_the_floor, raising, supporting)))


def _sessions_linking_people(session_ids: list[int]) -> set[int]:
    """Those of ``session_ids`` with a speech, concern or support still tied to a person."""
    speaking = (sa.select(FloorList.session_id).join(Speech, Speech.list_id == FloorList.id)
                .where(FloorList.session_id.in_(session_ids), Speech.participant_id.is_not(None)))
    raising = sa.select(Concern.session_id).where(Concern.session_id.in_(session_ids),
                                                  Concern.submitter_id.is_not(None))
    supporting = (sa.select(Concern.session_id).join(Endorsement, Endorsement.concern_id == Concern.id)
                  .where(Concern.session_id.in_(session_ids)))
    return set(db.session.scalars(sa.union(speaking, raising, supporting)))


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
    holding |= _sessions_linking_people(session_ids)
    plan.session_ids = sorted(holding)
    return plan


def _unlink(table: sa.Table, column: sa.Column[object], condition: sa.ColumnElement[bool]) -> None:
    db.session.execute(sa.update(table).where(condition).values(backup.unlinked_values(table.name, column.name)),
                       execution_options={"synchronize_session": False})


def _remove(table: sa.Table, condition: sa.ColumnElement[bool]) -> None:
    """Delete the rows of ``table`` that meet ``condition`` and first what refers to them, as the schema's
    ``ON DELETE`` says: rows that cannot exist without them (CASCADE) are removed the same way, references
    that may be empty (SET NULL) are emptied (``backup.unlinked_values``).

    Done here rather than left to the database so both backends behave alike whatever their foreign-key
    settings, and a table added later that refers to a person is followed without a change here.
    """
    for referring in db.metadata.sorted_tables:
        for key in referring.foreign_keys:
            if key.column.table is not table:
                continue
            referred = key.parent.in_(sa.select(key.column).where(condition))
            if key.ondelete == "SET NULL":
                _unlink(referring, key.parent, referred)
            elif key.ondelete == "CASCADE":
                _remove(referring, referred)
    db.session.execute(sa.delete(table).where(condition), execution_options={"synchronize_session": False})


def _delete_participants(participant_ids: list[int]) -> None:
    _remove(db.metadata.tables["participant"], Participant.id.in_(participant_ids))


def _delete_registrations(condition: sa.ColumnElement[bool]) -> None:
    _remove(db.metadata.tables["registration"], condition)


def _forget_people_in(session_ids: list[int]) -> None:
    """Speeches and concerns of these sessions stay with their categories; who spoke, raised or supported goes."""
    lists = sa.select(FloorList.id).where(FloorList.session_id.in_(session_ids))
    speeches = db.metadata.tables["floor_speech"]
    _unlink(speeches, speeches.c.participant_id,
            sa.and_(speeches.c.list_id.in_(lists), speeches.c.participant_id.is_not(None)))
    concerns = db.metadata.tables["concern"]
    in_sessions = concerns.c.session_id.in_(session_ids)
    _unlink(concerns, concerns.c.submitter_id, sa.and_(in_sessions, concerns.c.submitter_id.is_not(None)))
    _remove(db.metadata.tables["endorsement"], Endorsement.concern_id.in_(sa.select(concerns.c.id).where(in_sessions)))


def purge_expired(now: datetime, dry_run: bool = False) -> PurgePlan:
    """Delete the personal data of expired sessions (see the module's rules); returns what went."""
    plan = plan_purge(now)
    if not dry_run:
        # Sign-ups of the public forms never confirmed hold a name and a contact: gone once their link ran out.
        signup_operations.forget_unconfirmed(now)
        # Sent and stopped mail (an address, a name in the text) is kept for the mail's own retention period.
        outbox.purge_finished(now, mail_settings.retention_days())
    if dry_run or plan.is_empty:
        return plan
    if plan.session_ids:
        db.session.execute(sa.delete(AgendaSpeaker).where(AgendaSpeaker.id.in_(_speaker_ids_in(plan.session_ids))),
                           execution_options={"synchronize_session": False})
        _delete_registrations(Registration.session_id.in_(plan.session_ids))
        _forget_people_in(plan.session_ids)
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
    """Remove one person everywhere: row, categories, registrations (with their check-in requests and mail),
    speaker entries, personal link, support of concerns, the health of their addresses, sign-ups of the public
    form not yet confirmed with their e-mail or phone. Speeches on the floor
    and concerns they raised stay with the categories of that moment, without the person (and a concern
    without the organisation, ``backup.FORGOTTEN_WITH_THE_LINK``); check-in events lose the registration.

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
    # Everything else that refers to the person follows the schema (``_remove``): their endorsements, address
    # health and registrations' mail go; speeches and concerns keep their categories without them.
    contacts = sorted({value for value in (participant.email, participant.phone) if value})
    _delete_participants([participant_id])
    # A sign-up of the public form not yet confirmed names nobody in the register: found by the person's contact.
    if contacts:
        signups = db.metadata.tables["open_signup"]
        _remove(signups, sa.and_(signups.c.confirmed_at.is_(None),
                                 sa.or_(signups.c.email.in_(contacts), signups.c.phone.in_(contacts))))
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
    confirmed them, and whoever needs them uploads the file again. Rows that stay but point at a person
    (speeches, concerns, check-in events: ``backup.PERSONAL_LINKS``) lose the link and what goes with it; the
    file keeps both. Staff accounts, forums, sessions, agendas and the audit log (which holds no personal
    values) stay.
    """
    snapshot = backup.personal_data_snapshot()
    backup.write_encrypted(backup_path, snapshot, passphrase)
    backup.unlink_all()
    for table_name in backup.PERSONAL_TABLES:
        db.session.execute(sa.delete(db.metadata.tables[table_name]))
    waiting_uploads = imports.delete_all_uploads()
    db.session.expire_all()
    counts = {name: len(snapshot[name]) for name in backup.PERSONAL_TABLES}
    counts["pending_import"] = waiting_uploads
    audit.record("emergency.wipe", detail=" ".join(f"{name}={count}" for name, count in counts.items()))
    return counts
