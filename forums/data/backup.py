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

#: tables that hold a person's name or contact though no column must refer to a person (sign-ups not yet
#: confirmed; the mail outbox, whose message may be a sign-up's rather than a registration's)
PERSONAL_WITHOUT_REFERENCE = frozenset({"open_signup", "mail_message"})

#: every other table, classified on purpose as holding no participant's data (staff accounts, their second
#: factor and tokens are staff's, not participants'; officials' answers and commitments are public roles).
#: tests/data/test_personal_tables.py fails when a table is in neither list nor derived as personal.
NOT_PERSONAL = frozenset({
    "account_policy", "agenda_item", "api_token", "audit_entry", "balance_policy", "category", "checkin_event",
    "commitment", "concern", "concern_answer", "concern_category", "concern_issue", "concern_settings",
    "dimension", "floor_budget", "floor_display", "floor_list", "floor_speech", "floor_stretch", "forum",
    "forum_session", "organiser_forum", "pending_import", "quota", "recovery_code", "report_narrative",
    "session_facilitator", "signup_setting", "user",
})


def _depends_on_a_person(table: sa.Table, personal: set[str]) -> bool:
    return any(key.column.table.name in personal and not key.parent.nullable for key in table.foreign_keys)


def _personal_tables() -> tuple[str, ...]:
    """``participant``, every table whose rows cannot exist without a personal row (a foreign key that may
    not be empty, to ``participant`` or to such a table, at any depth) and ``PERSONAL_WITHOUT_REFERENCE``;
    children before parents, the order to delete them in."""
    personal = {"participant", *PERSONAL_WITHOUT_REFERENCE}
    grown = True
    while grown:
        found = {table.name for table in db.metadata.tables.values() if _depends_on_a_person(table, personal)}
        grown = not found <= personal
        personal |= found
    return tuple(table.name for table in reversed(db.metadata.sorted_tables) if table.name in personal)


#: tables that hold personal data of participants, derived from the schema (``_personal_tables``),
#: children before parents: what the emergency wipe backs up and deletes
PERSONAL_TABLES = _personal_tables()

#: (table, column) of the references a row that stays keeps to a personal row: an empty-able foreign key
#: from a table that is not personal (a speech keeps its categories, a concern its text). The wipe empties
#: them with what goes with them, ``unlinked_values`` (the snapshot keeps both, so a restore puts them back);
#: erasing a person empties theirs.
PERSONAL_LINKS = tuple(
    (table.name, key.parent.name) for table in db.metadata.sorted_tables if table.name not in PERSONAL_TABLES
    for key in sorted(table.foreign_keys, key=lambda key: key.parent.name)
    if key.column.table.name in PERSONAL_TABLES
)
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


#: what else a row forgets when its link to a person is emptied (``PERSONAL_LINKS``): a concern's organisation
#: at submission names its submitter as well as a name would (``forums.concerns.anonymity``)
FORGOTTEN_WITH_THE_LINK: dict[tuple[str, str], dict[str, Any]] = {
    ("concern", "submitter_id"): {"organisation": "", "agrees_to_be_named": False},
}


def unlinked_values(table_name: str, column_name: str) -> dict[str, Any]:
    """The values a row of ``PERSONAL_LINKS`` takes when its link is emptied (erasure, purge, wipe)."""
    return {column_name: None, **FORGOTTEN_WITH_THE_LINK.get((table_name, column_name), {})}


def link_key(table_name: str, column_name: str) -> str:
    """The snapshot's key for the links of one ``PERSONAL_LINKS`` column, e.g. ``floor_speech.participant_id``."""
    return f"{table_name}.{column_name}"


def personal_data_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every personal table, and every link of ``PERSONAL_LINKS`` that is set (primary key and
    link), as plain JSON-ready dicts."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    for name in PERSONAL_TABLES:
        table = db.metadata.tables[name]
        primary = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(table).order_by(*primary)).mappings()
        snapshot[name] = [dict(row) for row in rows]
    for name, column in PERSONAL_LINKS:
        table = db.metadata.tables[name]
        primary = list(table.primary_key.columns)
        kept = [table.c[field] for field in unlinked_values(name, column)]
        rows = db.session.execute(sa.select(*primary, *kept).where(table.c[column].is_not(None))
                                  .order_by(*primary)).mappings()
        snapshot[link_key(name, column)] = [dict(row) for row in rows]
    return snapshot


def unlink_all() -> None:
    """Empty every ``PERSONAL_LINKS`` column (the emergency wipe, after its snapshot)."""
    for name, column in PERSONAL_LINKS:
        table = db.metadata.tables[name]
        db.session.execute(sa.update(table).where(table.c[column].is_not(None)).values(unlinked_values(name, column)))


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

    Refuses (``BackupError``) when any personal table holds rows: merging would mix two states. The links
    of ``PERSONAL_LINKS`` the wipe emptied are set again. Works in the caller's transaction; returns rows
    per personal table.
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
    for name, column in PERSONAL_LINKS:
        table = db.metadata.tables[name]
        primary = list(table.primary_key.columns)
        links = snapshot.get(link_key(name, column), [])
        fields = list(unlinked_values(name, column))
        if links:
            # Rows deleted since the wipe (a speech list removed) have nothing to link: the update misses them.
            db.session.execute(
                sa.update(table).where(*(key == sa.bindparam(f"key_{key.name}") for key in primary))
                .values({field: sa.bindparam(f"value_{field}") for field in fields}),
                [{**{f"key_{key.name}": link[key.name] for key in primary},
                  **{f"value_{field}": link[field] for field in fields}} for link in links],
                execution_options={"synchronize_session": False})
    db.session.expire_all()
    return {name: len(snapshot.get(name, [])) for name in PERSONAL_TABLES}
