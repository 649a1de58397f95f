"""Backup and restore of the whole database, on the backend the suite runs on (SECURITY.md T18)."""

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from forums.registrations import operations
from models import ForumSession, Participant, Registration, RegistrationStatus, db

KEY_TABLES = ("forum", "forum_session", "agenda_item", "participant", "participant_category", "registration",
              "user", "dimension", "category")


def _fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 of every row, in primary-key order, per key table."""
    db.session.commit()
    result = {}
    for name in KEY_TABLES:
        table = db.metadata.tables[name]
        digest = hashlib.sha256()
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        for row in rows:
            digest.update(repr(tuple(row)).encode())
        result[name] = (len(rows), digest.hexdigest())
    db.session.commit()
    return result


@pytest.fixture
def filled(create_session: Callable[..., ForumSession], create_participant: Callable[..., Participant]) -> ForumSession:
    """A session with three registrations."""
    forum_session = create_session(capacity=2)
    for name in ("Раҳимова Нигора", "Karimov Jamshed", "Odinaev Farrukh"):
        operations.register(forum_session, create_participant(name), RegistrationStatus.registered)
    db.session.commit()
    return forum_session


def test_backup_then_restore_brings_back_every_row(runner: Any, filled: ForumSession,
                                                   create_participant: Callable[..., Participant], tmp_path: Any):
    before = _fingerprint()
    target = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob("*.partial"))

    create_participant("Added After Backup")
    db.session.execute(sa.delete(Registration).where(Registration.session_id == filled.id))
    db.session.execute(sa.update(ForumSession).values(title="Changed"))
    db.session.commit()
    assert _fingerprint() != before

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert _fingerprint() == before
    statuses = sorted(db.session.scalars(sa.select(Registration.status)))
    assert statuses == ["registered", "registered", "waitlisted"]


def test_restore_refuses_a_file_that_is_not_a_backup(runner: Any, filled: ForumSession, tmp_path: Any):
    before = _fingerprint()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(args=["restore", str(junk), "--yes"])
    assert result.exit_code != 0
    assert _fingerprint() == before


def test_restore_asks_before_replacing_everything(runner: Any, filled: ForumSession, tmp_path: Any):
    target = tmp_path / "backup.db"
    runner.invoke(args=["backup", str(target)])
    db.session.execute(sa.update(ForumSession).values(title="Changed"))
    db.session.commit()
    result = runner.invoke(args=["restore", str(target)], input="n\n")
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(ForumSession.title)) == "Changed"
