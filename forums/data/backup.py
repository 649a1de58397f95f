"""Whole-database backups and restores, and the encrypted snapshot of personal data.

* SQLite: the online backup API (``sqlite3.Connection.backup``), page by page, consistent even
  while the app writes; never a raw file copy, which can catch a half-written WAL.
* PostgreSQL: ``pg_dump -Fc`` and ``pg_restore --clean --if-exists --single-transaction`` with the
  connection parameters of ``DATABASE_URL`` (password through ``PGPASSWORD``, never argv).

Backup files hold personal data: they are created with mode 0600 and written under a temporary
name first, so a crash never leaves a half-written file under the name asked for. Keep them on
encrypted storage; erasing a person does not reach into old backups (rotate them).

The emergency snapshot (``write_encrypted``) is AES-256-GCM under a key derived by scrypt
(N=2^17, r=8, p=1) from a passphrase; the file is ``MAGIC | salt(16) | nonce(12) | ciphertext``
with the magic as associated data, holding gzip-compressed JSON of the personal tables.
``restore_personal_data`` puts such a snapshot back, ids included, into a wiped database.
"""

import gzip
import json
import os
import secrets
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from models import UTCDateTime, db

#: tables that hold personal data of participants, children before parents
PERSONAL_TABLES = ("open_signup", "checkin_request", "registration", "agenda_speaker", "personal_link",
                   "participant_category", "participant")
MAGIC = b"DDWIPE1\n"
SALT_BYTES = 16
NONCE_BYTES = 12


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why."""


@contextmanager
def _partial_file(target: Path) -> Iterator[Path]:
    """A private temporary path beside ``target``, renamed onto it only when the block succeeds."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return Path(database)


def _pg_connection() -> tuple[list[str], dict[str, str]]:
    url = db.engine.url
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _release_connections() -> None:
    # Open transactions would block the restore (PostgreSQL) or see a database that changed under them.
    db.session.remove()
    db.engine.dispose()


def backup_database(path: Path) -> None:
    """Write a consistent copy of the whole database to ``path``."""
    path = Path(path)
    if db.engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path())
        try:
            with _partial_file(path) as partial:
                destination = sqlite3.connect(partial)
                try:
                    source.backup(destination)
                    # One self-contained file: reading it later leaves no -wal/-shm beside it.
                    destination.execute("PRAGMA journal_mode=DELETE")
                finally:
                    destination.close()
        finally:
            source.close()
    elif db.engine.dialect.name == "postgresql":
        args, env = _pg_connection()
        with _partial_file(path) as partial:
            _run(["pg_dump", "--format=custom", "--file", str(partial), *args], env)
    else:
        raise BackupError(f"No backup method for {db.engine.dialect.name}.")


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (verdict,) = connection.execute("PRAGMA integrity_check").fetchone()
            has_schema = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite backup: {error}") from None
    if verdict != "ok" or not has_schema:
        raise BackupError(f"{path} is not a Dialogue Desk backup in good order ({verdict}).")


def restore_database(path: Path) -> None:
    """Replace the whole database with the backup at ``path`` (checked before anything is touched)."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    _release_connections()
    if db.engine.dialect.name == "sqlite":
        _check_sqlite_backup(path)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        destination = sqlite3.connect(_sqlite_path(), timeout=30)
        try:
            source.backup(destination)
        finally:
            source.close()
            destination.close()
    elif db.engine.dialect.name == "postgresql":
        args, env = _pg_connection()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(path)], env)
    else:
        raise BackupError(f"No restore method for {db.engine.dialect.name}.")


# Encrypted snapshot of personal data ----------------------------------------------------------------

def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


def personal_data_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every personal table, as plain JSON-ready dicts."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    for name in PERSONAL_TABLES:
        table = db.metadata.tables[name]
        primary = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(table).order_by(*primary)).mappings()
        snapshot[name] = [dict(row) for row in rows]
    return snapshot


def _key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**17, r=8, p=1).derive(passphrase.encode())


def encrypt(payload: dict[str, Any], passphrase: str) -> bytes:
    """The encrypted file content for ``payload``."""
    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    plain = gzip.compress(json.dumps(payload, default=_json_value, ensure_ascii=False).encode())
    return MAGIC + salt + nonce + AESGCM(_key(passphrase, salt)).encrypt(nonce, plain, MAGIC)


def decrypt(content: bytes, passphrase: str) -> dict[str, Any]:
    """The payload of an encrypted file; ``BackupError`` on a wrong passphrase or a damaged file."""
    if not content.startswith(MAGIC):
        raise BackupError("Not an encrypted Dialogue Desk backup.")
    body = content[len(MAGIC):]
    salt, nonce = body[:SALT_BYTES], body[SALT_BYTES:SALT_BYTES + NONCE_BYTES]
    ciphertext = body[SALT_BYTES + NONCE_BYTES:]
    try:
        plain = AESGCM(_key(passphrase, salt)).decrypt(nonce, ciphertext, MAGIC)
    except InvalidTag:
        raise BackupError("Wrong passphrase, or the file is damaged.") from None
    return json.loads(gzip.decompress(plain))


def write_encrypted(path: Path, payload: dict[str, Any], passphrase: str) -> None:
    """Encrypt ``payload`` to ``path``, flushed to disk, and prove it decrypts before returning."""
    path = Path(path)
    content = encrypt(payload, passphrase)
    with _partial_file(path) as partial:
        with open(partial, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    if decrypt(path.read_bytes(), passphrase) != json.loads(json.dumps(payload, default=_json_value)):
        raise BackupError(f"The encrypted backup at {path} does not read back as written.")


def read_encrypted(path: Path, passphrase: str) -> dict[str, Any]:
    """Decrypt the file at ``path``."""
    return decrypt(Path(path).read_bytes(), passphrase)


def _row_for_insert(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for column in table.columns:
        value = row.get(column.name)
        if isinstance(value, str) and isinstance(column.type, UTCDateTime):
            value = datetime.fromisoformat(value)
        values[column.name] = value
    return values


def restore_personal_data(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Put an emergency snapshot back, with its original ids, into tables emptied by the wipe.

    Refuses (``BackupError``) when any personal table holds rows: merging would mix two states.
    Works in the caller's transaction; returns rows per table.
    """
    for name in PERSONAL_TABLES:
        if db.session.scalar(sa.select(sa.func.count()).select_from(db.metadata.tables[name])):
            raise BackupError(f"The table {name} is not empty; restore only into a wiped database.")
    for name in reversed(PERSONAL_TABLES):
        table = db.metadata.tables[name]
        rows = [_row_for_insert(table, row) for row in snapshot.get(name, [])]
        if rows:
            db.session.execute(sa.insert(table), rows)
        if db.engine.dialect.name == "postgresql" and "id" in table.columns and rows:
            # Rows came with their ids, so the sequence must move past them.
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                       f"(SELECT max(id) FROM {name}))"))
    db.session.expire_all()
    return {name: len(snapshot.get(name, [])) for name in PERSONAL_TABLES}
