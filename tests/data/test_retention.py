"""Retention purge, erasing one person, and the emergency wipe (SECURITY.md T14 and section 3)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from forums.data import backup, imports, retention
from forums.registrations import operations
from forums.sessions import operations as session_operations
from models import (
    AgendaSpeaker,
    AuditEntry,
    CheckinRequest,
    ForumSession,
    Participant,
    PendingImport,
    PersonalLink,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from tests.conftest import TEST_YEAR, dushanbe_time

PASSPHRASE = "evacuate the register now"


@dataclass
class World:
    """Sessions and people around one expired session."""

    expired: ForumSession
    kept: ForumSession
    only_expired: Participant
    also_kept_session: Participant
    only_speaker: Participant
    never_linked: Participant
    speaks_in_kept: Participant


def _count(model: Any, *conditions: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions)) or 0


def _speak(forum_session: ForumSession, *people: Participant) -> None:
    session_operations.add_agenda_item(forum_session, {
        "title": "Opening", "kind": "opening", "starts_at": forum_session.starts_at,
        "ends_at": forum_session.starts_at + timedelta(minutes=30), "speaker_ids": [p.id for p in people]})


@pytest.fixture
def world(create_forum: Callable[..., Any], create_session: Callable[..., ForumSession],
          create_participant: Callable[..., Participant]) -> World:
    """A 30-day forum whose session ended on 3 December of ``TEST_YEAR``, and a forum that keeps data."""
    expired = create_session(forum=create_forum(retention_days=30), starts_at=dushanbe_time(3))
    kept = create_session(forum=create_forum("Economic forum", "economic_forum"), starts_at=dushanbe_time(3))
    people = World(expired, kept, *(create_participant(name) for name in
                                    ("Only Expired", "Also Kept", "Only Speaker", "Never Linked", "Speaks In Kept")))
    for person in (people.only_expired, people.also_kept_session, people.speaks_in_kept):
        operations.register(expired, person, RegistrationStatus.registered)
    operations.register(kept, people.also_kept_session, RegistrationStatus.registered)
    _speak(expired, people.only_speaker)
    _speak(kept, people.speaks_in_kept)
    db.session.add(PersonalLink(participant_id=people.only_expired.id, token="t" * 43))
    db.session.commit()
    return people


def test_nothing_expires_before_the_retention_period(world):
    plan = retention.purge_expired(world.expired.ends_at + timedelta(days=29))
    assert plan.is_empty
    assert _count(Registration) == 4


def test_dry_run_reports_without_deleting(world):
    plan = retention.purge_expired(world.expired.ends_at + timedelta(days=31), dry_run=True)
    assert plan.session_ids == [world.expired.id]
    assert (plan.registrations, plan.speakers) == (3, 1)
    assert plan.participant_ids == sorted([world.only_expired.id, world.only_speaker.id])
    db.session.commit()
    assert _count(Registration) == 4 and _count(Participant) == 5
    assert _count(AuditEntry, AuditEntry.action.startswith("retention.")) == 0


def test_purge_deletes_expired_personal_data_and_keeps_the_rest(world):
    now = world.expired.ends_at + timedelta(days=31)
    expired_id, kept_id, speaker_id = world.expired.id, world.kept.id, world.only_speaker.id
    retention.purge_expired(now)
    db.session.commit()
    assert _count(Registration, Registration.session_id == expired_id) == 0
    assert _count(Registration, Registration.session_id == kept_id) == 1
    assert _count(AgendaSpeaker, AgendaSpeaker.participant_id == speaker_id) == 0
    remaining = set(db.session.scalars(sa.select(Participant.name)))
    assert remaining == {"Also Kept", "Never Linked", "Speaks In Kept"}
    assert _count(PersonalLink) == 0
    assert db.session.get(ForumSession, expired_id).agenda, "the agenda stays, without names"
    summary = db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "retention.purge")).one()
    assert summary == "sessions=1 registrations=3 speakers=1 participants=2 upload_files=0"
    assert _count(AuditEntry, AuditEntry.action == "retention.purge_session",
                  AuditEntry.object_id == expired_id) == 1
    # A second run finds nothing left to do.
    assert retention.purge_expired(now + timedelta(days=1)).is_empty


def test_purge_deletes_unconfirmed_imports(app, create_user):
    uploader = create_user("organiser")
    token = imports.store_upload(b"name\nSecret Person\n", uploader.id)
    db.session.execute(sa.update(PendingImport).values(created_at=dushanbe_time(3) - timedelta(days=2)))
    plan = retention.purge_expired(dushanbe_time(3))
    db.session.commit()
    assert len(plan.stale_uploads) == 1 and _count(PendingImport) == 0
    assert imports.load_upload(token, uploader.id) is None


def test_purge_command_with_a_frozen_time(runner, world):
    later = (world.expired.ends_at + timedelta(days=31)).isoformat()
    result = runner.invoke(args=["purge-expired", "--dry-run", "--now", later])
    assert result.exit_code == 0 and "Would purge: sessions=1 registrations=3" in result.output
    assert _count(Registration) == 4
    result = runner.invoke(args=["purge-expired", "--now", later])
    assert result.exit_code == 0 and "Purged: sessions=1" in result.output
    assert _count(Registration) == 1
    assert runner.invoke(args=["purge-expired", "--now", "2027-01-05T10:00"]).exit_code != 0


def test_admin_page_shows_what_is_due_and_purges_it(client, create_user, login, world):
    world.expired.forum.retention_days = 1
    # the page purges against the real clock: the session ended a month ago, whatever day the suite runs
    world.expired.ends_at = utcnow() - timedelta(days=30)
    world.expired.starts_at = world.expired.ends_at - timedelta(hours=3)
    db.session.commit()
    login(create_user("admin"))
    page = client.get("/data/retention").get_data(as_text=True)
    assert "Registrations: 3" in page and "People removed from the register: 2" in page
    assert "Only Expired" not in page
    assert client.post("/data/retention").status_code == 302
    assert _count(Registration) == 1
    assert "Nothing is due for deletion." in client.get("/data/retention").get_data(as_text=True)


@pytest.mark.parametrize("role", ["organiser", "facilitator"])
def test_only_admins_may_purge_or_erase(client, create_user, login, world, role):
    login(create_user(role))
    assert client.get("/data/retention").status_code == 403
    assert client.post("/data/retention").status_code == 403
    assert client.get(f"/data/erase?participant_id={world.only_expired.id}").status_code == 403
    assert client.post(f"/data/erase/{world.only_expired.id}", data={"confirm": "y"}).status_code == 403
    assert _count(Registration) == 4 and _count(Participant) == 5


# Erasure ------------------------------------------------------------------------------------------

def test_erasing_removes_the_person_everywhere_and_frees_the_seat(world, create_participant):
    world.expired.capacity = 3
    waiting = create_participant("Waiting Person")
    late = operations.register(world.expired, waiting, RegistrationStatus.registered)
    _speak(world.kept, world.only_expired)
    db.session.commit()
    assert late.status is RegistrationStatus.waitlisted
    person_id = world.only_expired.id
    erased = retention.erase_participant(person_id)
    db.session.commit()
    assert (erased.registrations, erased.speaker_entries, erased.personal_links) == (1, 1, 1)
    assert db.session.get(Participant, person_id) is None
    for model in (Registration, AgendaSpeaker, PersonalLink):
        assert _count(model, model.participant_id == person_id) == 0
    assert db.session.get(Registration, late.id).status is RegistrationStatus.registered
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.erase")).one()
    assert entry.object_id == person_id and "Only Expired" not in entry.detail


def test_erase_command(runner, world):
    speaker_id = world.only_speaker.id
    result = runner.invoke(args=["erase-participant", str(speaker_id)])
    assert result.exit_code == 0, result.output
    assert "1 speaker entries" in result.output
    assert _count(Participant, Participant.id == speaker_id) == 0
    assert runner.invoke(args=["erase-participant", "9999"]).exit_code != 0


def test_erase_page_confirms_then_erases(client, create_user, login, world):
    login(create_user("admin"))
    person_id = world.also_kept_session.id
    page = client.get(f"/data/erase?participant_id={person_id}").get_data(as_text=True)
    assert "Also Kept" in page
    client.post(f"/data/erase/{person_id}", data={})
    assert _count(Participant, Participant.id == person_id) == 1, "not without the tick"
    assert client.post(f"/data/erase/{person_id}", data={"confirm": "y"}).status_code == 302
    assert _count(Participant, Participant.id == person_id) == 0
    assert _count(Registration) == 2
    assert client.post("/data/erase/9999", data={"confirm": "y"}).status_code == 404


# Emergency wipe -----------------------------------------------------------------------------------

def _personal_rows() -> dict[str, int]:
    return {name: _count(db.metadata.tables[name]) for name in backup.PERSONAL_TABLES}


def _personal_data() -> dict[str, list[tuple[Any, ...]]]:
    db.session.commit()
    tables = {name: db.metadata.tables[name] for name in backup.PERSONAL_TABLES}
    return {name: [tuple(row) for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))]
            for name, table in tables.items()}


def test_emergency_wipe_leaves_no_personal_rows_and_the_backup_restores_them(runner, world, tmp_path, create_user):
    imports.store_upload(b"name\nWaiting Upload Person\n", create_user("organiser").id)
    db.session.commit()
    before = _personal_rows()
    names = set(db.session.scalars(sa.select(Participant.name)))
    target = tmp_path / "evacuation.bin"
    result = runner.invoke(args=["emergency-wipe", "--backup", str(target), "--passphrase-stdin"],
                           input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert set(_personal_rows().values()) == {0}
    assert _count(PendingImport) == 0, "uploads waiting for confirmation hold personal data too"
    assert "1 pending_import" in result.output
    assert target.stat().st_mode & 0o777 == 0o600
    raw = target.read_bytes()
    assert not any(name.encode() in raw for name in names), "the file is encrypted"
    restored = backup.read_encrypted(target, PASSPHRASE)
    assert {table: len(restored[table]) for table in backup.PERSONAL_TABLES} == before
    assert {row["name"] for row in restored["participant"]} == names
    with pytest.raises(backup.BackupError):
        backup.read_encrypted(target, "not the passphrase")
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "emergency.wipe")).one()
    assert f"participant={before['participant']}" in entry.detail and "pending_import=1" in entry.detail
    assert not any(name in entry.detail for name in names)


def test_the_wiped_data_can_be_put_back_exactly(runner, world, create_participant, tmp_path):
    db.session.add(CheckinRequest(request_id="door-1", registration_id=db.session.scalar(sa.select(Registration.id))))
    db.session.commit()
    before = _personal_data()
    target = tmp_path / "evacuation.bin"
    runner.invoke(args=["emergency-wipe", "--backup", str(target), "--passphrase-stdin"], input=PASSPHRASE + "\n")
    assert runner.invoke(args=["emergency-restore", str(target), "--passphrase-stdin"],
                         input="wrong passphrase!\n").exit_code != 0
    result = runner.invoke(args=["emergency-restore", str(target), "--passphrase-stdin"], input=PASSPHRASE + "\n")
    assert result.exit_code == 0, result.output
    assert _personal_data() == before
    # New people get fresh ids after the restored ones.
    assert create_participant("After Restore").id > max(row[0] for row in before["participant"])
    again = runner.invoke(args=["emergency-restore", str(target), "--passphrase-stdin"], input=PASSPHRASE + "\n")
    assert again.exit_code != 0 and "not empty" in again.output


def test_emergency_wipe_refuses_to_overwrite_and_short_passphrases(runner, world, tmp_path):
    existing = tmp_path / "exists.bin"
    existing.write_bytes(b"keep me")
    result = runner.invoke(args=["emergency-wipe", "--backup", str(existing), "--passphrase-stdin"],
                           input=PASSPHRASE + "\n")
    assert result.exit_code != 0 and existing.read_bytes() == b"keep me"
    result = runner.invoke(args=["emergency-wipe", "--backup", str(tmp_path / "new.bin"), "--passphrase-stdin"],
                           input="short\n")
    assert result.exit_code != 0
    assert _personal_rows()["participant"] == 5
