"""CSV import of participants: parse, check every line, then create all of them or none.

The file has a header line. Columns: ``name`` (required), ``organisation``, ``email``, ``phone``,
``languages`` (codes separated by spaces, commas or semicolons) and one column per dimension key
(``group``, ``region``, ...) holding a category key; a blank cell leaves that dimension empty.
Commas or semicolons (as spreadsheets in Russian save) separate cells; the text must be UTF-8.

Checking is a dry run of the real import: every line goes through ``people_operations.create_participant``
inside one transaction that the caller rolls back (preview) or commits only when no line failed
(confirm). So the preview applies exactly the rules the import will, and confirming re-checks.

Between preview and confirm the uploaded bytes wait in the database (``models.PendingImport``), not
on the disk of the host that showed the preview, so any host behind the load balancer can take the
confirmation. The row is named by a random token kept in the uploader's session (only its SHA-256 is
stored) and belongs to the uploader: every lookup also requires their user id. Confirming or cancelling
deletes it in the request's transaction; ``forums.data.retention`` deletes those left behind after
``UPLOAD_MAX_AGE`` and the emergency wipe deletes all of them.
"""

import csv
import io
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from forums.accounts.tokens import token_digest
from forums.people import operations as people_operations
from forums.people.operations import ParticipantInput
from forums.validation import ValidationFailed
from models import PendingImport, db

MAX_BYTES = 2 * 1024 * 1024
#: lines of people a file may have (blank lines aside), good or not
MAX_ROWS = 5000
#: no line of people comes near this (a name, an organisation, an e-mail, a phone, codes and keys)
MAX_LINE_LENGTH = 4000
#: problems listed at most: past them, reading stops and the file is to be corrected first
MAX_ERRORS = 100
#: the longest a preview may spend checking lines against the register, in seconds: past it, checking
#: stops with a message and nothing is kept (the import itself, after a preview, is not cut short)
PREVIEW_SECONDS = 20.0
UPLOAD_MAX_AGE = timedelta(hours=24)
BASE_COLUMNS = ("name", "organisation", "email", "phone", "languages")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_LANGUAGE_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class LineError:
    """One problem: the line of the file, the column, and what is wrong in words."""

    line: int
    column: str
    message: str

    def describe(self) -> str:
        """The problem as a sentence for the preview page."""
        if self.column:
            return _("Line %(line)d, column “%(column)s”: %(message)s",
                     line=self.line, column=self.column, message=self.message)
        return _("Line %(line)d: %(message)s", line=self.line, message=self.message)


@dataclass
class ImportReport:
    """The parsed lines and every problem found; an import happens only when ``errors`` is empty."""

    rows: list[tuple[int, ParticipantInput]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    #: reading or checking stopped early (too many problems, too long): the rest of the file was not looked at
    stopped: bool = False

    @property
    def is_clean(self) -> bool:
        """Whether no line has a problem."""
        return not self.errors

    def add(self, error: LineError) -> None:
        """Note a problem; at ``MAX_ERRORS`` the list ends with a last line saying so, and reading stops."""
        if self.stopped:
            return
        self.errors.append(error)
        if len(self.errors) >= MAX_ERRORS:
            self.stop(LineError(error.line, "", _("More than %(n)d problems: correct these and upload the file "
                                                  "again to see the rest.", n=MAX_ERRORS)))

    def stop(self, error: LineError) -> None:
        """Stop reading or checking with ``error`` as the last problem."""
        if not self.stopped:
            self.errors.append(error)
            self.stopped = True


def _decode(raw: bytes, report: ImportReport) -> str | None:
    if len(raw) > MAX_BYTES:
        report.stop(LineError(0, "", _("The file is larger than 2 MB; split it.")))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.stop(LineError(0, "", _("The file is not UTF-8 text; save it as “CSV UTF-8”.")))
        return None


def _check_header(header: list[str], dimension_keys: set[str], report: ImportReport) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    known = set(BASE_COLUMNS) | dimension_keys
    seen: set[str] = set()
    for column in columns:
        if column not in known:
            report.add(LineError(1, column, _("Unknown column; use %(columns)s.", columns=", ".join(sorted(known)))))
        elif column in seen:
            report.add(LineError(1, column, _("This column appears twice.")))
        seen.add(column)
    if "name" not in columns:
        report.add(LineError(1, "name", _("The column “name” is missing.")))
    return columns


def _participant_input(cells: dict[str, str], dimension_keys: set[str]) -> ParticipantInput:
    languages = [code for code in _LANGUAGE_SEPARATORS.split(cells.get("languages", "").lower()) if code]
    return ParticipantInput(
        name=cells.get("name", ""),
        organisation=cells.get("organisation", ""),
        email=cells.get("email", ""),
        phone=cells.get("phone", ""),
        languages=languages,
        categories={key: value.strip() for key, value in cells.items() if key in dimension_keys},
    )


def parse_csv(raw: bytes, dimension_keys: set[str]) -> ImportReport:
    """Read the file into participant inputs; problems of form (header, size, cells) go to ``errors``."""
    report = ImportReport()
    text = _decode(raw, report)
    if text is None:
        return report
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            report.add(LineError(1, "", _("The file is empty.")))
            return report
        columns = _check_header(header, dimension_keys, report)
        line = reader.line_num
        people = 0
        for cells in reader:
            line_start, line = line + 1, reader.line_num
            if report.stopped:
                break
            if not any(cell.strip() for cell in cells):
                continue
            people += 1
            if people > MAX_ROWS:
                report.stop(LineError(line_start, "", _("More than %(n)d people; split the file.", n=MAX_ROWS)))
            elif sum(len(cell) + 1 for cell in cells) > MAX_LINE_LENGTH:
                report.stop(LineError(line_start, "", _("This line is longer than %(n)d characters; is it a file of "
                                                        "people, one per line?", n=MAX_LINE_LENGTH)))
            elif len(cells) > len(columns):
                report.add(LineError(line_start, "", _("This line has %(found)d cells; the header has %(expected)d.",
                                                       found=len(cells), expected=len(columns))))
            else:
                report.rows.append((line_start, _participant_input(dict(zip(columns, cells, strict=False)),
                                                                   dimension_keys)))
    except csv.Error as error:
        report.add(LineError(reader.line_num, "", _("The file cannot be read as CSV (%(reason)s).", reason=str(error))))
    return report


def apply_import(report: ImportReport, *, time_limit: float | None = None) -> ImportReport:
    """Create every parsed person in the caller's transaction, adding each refused line to ``errors``.

    The caller commits only when ``report.is_clean`` and rolls back otherwise (and after a preview).
    A preview passes ``time_limit`` (seconds): past it, checking stops with a problem saying so.
    """
    lookup = people_operations.category_lookup()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    for line, data in report.rows:
        if report.stopped:
            break
        if deadline is not None and time.monotonic() > deadline:
            report.stop(LineError(line, "", _("Checking the file took too long and stopped here; split it into "
                                              "smaller files.")))
            break
        try:
            people_operations.create_participant(data, lookup)
        except ValidationFailed as failure:
            for field_name, message in failure.fields.items():
                report.add(LineError(line, field_name.removeprefix("categories."), message))
        else:
            report.created += 1
    report.errors.sort(key=lambda error: error.line)
    return report


# Uploads waiting between preview and confirm --------------------------------------------------------
# All of these work in the caller's transaction; the caller commits.

def _owned(token: str, user_id: int) -> sa.ColumnElement[bool]:
    """The waiting upload named by ``token`` if ``user_id`` uploaded it; nobody else's."""
    return sa.and_(PendingImport.token_hash == token_digest(token), PendingImport.user_id == user_id)


def store_upload(raw: bytes, user_id: int) -> str:
    """Keep an uploaded file until ``user_id`` confirms it; returns its random token."""
    token = secrets.token_urlsafe(32)
    db.session.add(PendingImport(token_hash=token_digest(token), user_id=user_id, content=raw))
    db.session.flush()
    return token


def load_upload(token: str, user_id: int) -> bytes | None:
    """The upload ``user_id`` left waiting under ``token``, or None when it is gone, someone else's or malformed."""
    if not _TOKEN.match(token or ""):
        return None
    return db.session.scalar(sa.select(PendingImport.content).where(_owned(token, user_id)))


def discard_upload(token: str, user_id: int) -> bool:
    """Delete the upload ``user_id`` left waiting under ``token``; whether there was one.

    Confirming calls this before it commits, and refuses when it deleted nothing: two confirmations
    of the same upload (a double click, two hosts) cannot both import it. On PostgreSQL the second
    one's DELETE waits for the first to commit and then finds no row; on SQLite every transaction
    takes the write lock first (``forums.database``), so the second one does not even find the upload.
    """
    if not _TOKEN.match(token or ""):
        return False
    result = db.session.execute(sa.delete(PendingImport).where(_owned(token, user_id)),
                                execution_options={"synchronize_session": False})
    return bool(result.rowcount)


def stale_uploads(now: datetime) -> list[str]:
    """Keys (token hashes, not tokens) of the uploads older than ``UPLOAD_MAX_AGE``: personal data nobody confirmed."""
    return list(db.session.scalars(
        sa.select(PendingImport.token_hash).where(PendingImport.created_at < now - UPLOAD_MAX_AGE)
        .order_by(PendingImport.created_at)))


def delete_uploads(token_hashes: list[str]) -> int:
    """Delete the waiting uploads with these keys (the retention purge's) in one statement; how many."""
    result = db.session.execute(sa.delete(PendingImport).where(PendingImport.token_hash.in_(token_hashes)),
                                execution_options={"synchronize_session": False})
    return result.rowcount or 0


def delete_all_uploads() -> int:
    """Delete every waiting upload, whoever made it (the emergency wipe); how many."""
    return db.session.execute(sa.delete(PendingImport), execution_options={"synchronize_session": False}).rowcount or 0
