"""CSV import of participants: parse, check every line, then create all of them or none.

The file has a header line. Columns: ``name`` (required), ``organisation``, ``email``, ``phone``,
``languages`` (codes separated by spaces, commas or semicolons) and one column per dimension key
(``group``, ``region``, ...) holding a category: its key or its name in English, Russian or Tajik, in
any case (``government``, ``Правительство``, ``ҳукумат``); a blank cell leaves that dimension empty.
A problem with a category lists the values the dimension takes.

Files come as Excel saves them (``decode``, rules in order):

* a byte order mark says the encoding: UTF-8, or UTF-16 ("Unicode text", tab-separated);
* without one, UTF-16 is recognised by its zero bytes, then UTF-8 is tried, then Windows-1251 (what
  Excel on a Russian or Tajik Windows saves as "CSV"). Windows-1251 has no Tajik letters: Excel writes
  ``?`` for ғ ӣ қ ӯ ҳ ҷ, so a cell of such a file holding ``?`` is a problem asking for "CSV UTF-8";
* commas, semicolons (what Excel writes where the list separator is ``;``, as in Russian) or tabs
  separate cells: whichever the header line holds most of.

Line numbers are the file's own, counted from its first line: the header is line 1 (or, after blank
lines, the line it is on). A problem of the whole file (its size, its encoding) has no line.

People who may already be in the register (``forums.people.duplicates``), or who appear twice in the
file, are listed on the preview; confirming skips their lines unless asked to import them too.

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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask_babel import gettext as _

from forums.accounts.tokens import token_digest
from forums.i18n import current_language
from forums.people import duplicates
from forums.people import operations as people_operations
from forums.people.operations import ParticipantInput
from forums.validation import ValidationFailed
from models import Category, PendingImport, db

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
#: what may separate cells, the first winning a tie
DELIMITERS = (",", ";", "\t")
#: encodings a file may come in, by the name ``decode`` gives them, with what the preview calls them
ENCODINGS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1251": "Windows-1251"}
#: byte order marks, longest first, and the encoding each announces
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "utf-8"), (b"\xff\xfe", "utf-16", "utf-16"),
         (b"\xfe\xff", "utf-16", "utf-16"))


@dataclass(frozen=True)
class LineError:
    """One problem: the line of the file, the column, and what is wrong in words."""

    line: int
    column: str
    message: str

    def describe(self) -> str:
        """The problem as a sentence for the preview page; line 0 is the whole file."""
        if not self.line:
            return self.message
        if self.column:
            return _("Line %(line)d, column “%(column)s”: %(message)s",
                     line=self.line, column=self.column, message=self.message)
        return _("Line %(line)d: %(message)s", line=self.line, message=self.message)


@dataclass(frozen=True)
class DuplicateLine:
    """A line whose person may already be in the register (``matches``) or on an earlier line of the file."""

    line: int
    name: str
    matches: list[duplicates.Match]
    #: the earlier line of the file with the same person, and on which fields
    same_as_line: int | None = None
    same_as_fields: tuple[str, ...] = ()

    def reasons(self) -> str:
        """What matched the earlier line, in words."""
        return ", ".join(str(duplicates.FIELD_LABELS[name]) for name in self.same_as_fields)


@dataclass
class ImportReport:
    """The parsed lines and every problem found; an import happens only when ``errors`` is empty."""

    rows: list[tuple[int, ParticipantInput]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    created: int = 0
    #: reading or checking stopped early (too many problems, too long): the rest of the file was not looked at
    stopped: bool = False
    #: the file's encoding, a key of ``ENCODINGS``
    encoding: str = ""
    #: lines whose person may already be in the register, or appear earlier in the file
    duplicates: list[DuplicateLine] = field(default_factory=list)
    #: lines left out because their person is in the register already (``apply_import(skip_duplicates=True)``)
    skipped: int = 0

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


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the zero bytes say so, else None.

    Text in UTF-8 or Windows-1251 has no zero bytes; in UTF-16 every Latin letter, digit, tab and line end
    has one, always on the same side of its pair (odd offsets little-endian, even ones big-endian).
    """
    sample = raw[:4000]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if even + odd < 2:
        return None
    return "utf-16-le" if odd >= 9 * even else "utf-16-be" if even >= 9 * odd else None


def decode(raw: bytes) -> tuple[str, str] | None:
    """The text of an uploaded file and its encoding (a key of ``ENCODINGS``), or None when it is none of
    them (rules in the module docstring)."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), name
            except UnicodeDecodeError:
                return None
    attempts = [(codec, "utf-16") for codec in [_utf16_without_bom(raw)] if codec] or [("utf-8", "utf-8"),
                                                                                        ("cp1251", "cp1251")]
    for codec, name in attempts:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text, name
    return None


def _decode(raw: bytes, report: ImportReport) -> str | None:
    if len(raw) > MAX_BYTES:
        report.stop(LineError(0, "", _("The file is larger than 2 MB; split it.")))
        return None
    decoded = decode(raw)
    if decoded is None:
        report.stop(LineError(0, "", _("The file is not text in UTF-8, UTF-16 or Windows-1251; save it from Excel "
                                       "as “CSV UTF-8” or “Unicode text”.")))
        return None
    text, report.encoding = decoded
    return text


def _check_header(header: list[str], line: int, dimension_keys: set[str], report: ImportReport) -> list[str]:
    columns = [cell.strip().lower() for cell in header]
    known = set(BASE_COLUMNS) | dimension_keys
    seen: set[str] = set()
    for column in columns:
        if column not in known:
            report.add(LineError(line, column, _("Unknown column; use %(columns)s.",
                                                 columns=", ".join(sorted(known)))))
        elif column in seen:
            report.add(LineError(line, column, _("This column appears twice.")))
        seen.add(column)
    if "name" not in columns:
        report.add(LineError(line, "name", _("The column “name” is missing.")))
    return columns


def _delimiter(text: str) -> str:
    """The separator the header line (the first that is not blank) holds most of; a comma on a tie."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=header.count)


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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = next((cells for cells in reader if any(cell.strip() for cell in cells)), None)
        if header is None:
            report.add(LineError(0, "", _("The file is empty.")))
            return report
        line = reader.line_num
        columns = _check_header(header, line, dimension_keys, report)
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
            elif report.encoding == "cp1251" and any("?" in cell for cell in cells):
                column = next(column for column, cell in zip(columns, cells, strict=False) if "?" in cell)
                report.add(LineError(line_start, column, _(
                    "“?” stands for a letter Windows-1251 does not have (Tajik ғ ӣ қ ӯ ҳ ҷ): save the file from "
                    "Excel as “CSV UTF-8” or “Unicode text” instead of “CSV”.")))
            else:
                report.rows.append((line_start, _participant_input(dict(zip(columns, cells, strict=False)),
                                                                   dimension_keys)))
    except csv.Error as error:
        report.add(LineError(reader.line_num, "", _("The file cannot be read as CSV (%(reason)s).", reason=str(error))))
    return report


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class CategoryNames:
    """A dimension's categories by key or by display name in English, Russian or Tajik, in any case."""

    def __init__(self, categories: dict[str, Category]) -> None:
        self.categories = categories
        names: dict[str, set[str]] = {}
        for key, category in categories.items():
            for name in (key, category.name_en, category.name_ru, category.name_tg):
                if name:
                    names.setdefault(_fold(name), set()).add(key)
        # A name two categories share says neither: it stays unknown and the problem lists the values.
        self.by_name = {name: next(iter(keys)) for name, keys in names.items() if len(keys) == 1}

    def key(self, value: str) -> str | None:
        """The key of the category ``value`` names, or None."""
        return value if value in self.categories else self.by_name.get(_fold(value))

    def described(self) -> str:
        """The values to use, as a problem lists them: each key with its name in the reader's language."""
        locale = current_language()
        return ", ".join(f"{key} ({category.name(locale)})" for key, category in self.categories.items())


def _with_category_keys(line: int, data: ParticipantInput, names: dict[str, CategoryNames],
                        report: ImportReport) -> ParticipantInput:
    """``data`` with each category named by its key; a value naming none is a problem listing the values."""
    resolved: dict[str, str] = {}
    for dimension_key, value in (data.categories or {}).items():
        if not value or dimension_key not in names:
            resolved[dimension_key] = value
            continue
        key = names[dimension_key].key(value)
        if key is None:
            report.add(LineError(line, dimension_key, _("Unknown category. Use one of: %(values)s.",
                                                        values=names[dimension_key].described())))
        else:
            resolved[dimension_key] = key
    return replace(data, categories=resolved)


def find_duplicates(report: ImportReport) -> None:
    """List in ``report.duplicates`` the lines whose person may be in the register or on an earlier line."""
    identities = [duplicates.Identity(data.name, data.email, data.phone) for _line, data in report.rows]
    first_line: dict[tuple[str, object], int] = {}
    report.duplicates = []
    for (line, data), identity, matches in zip(report.rows, identities, duplicates.find(identities), strict=True):
        keys = duplicates.keys_of(identity)
        earlier = sorted({first_line[key] for key in keys if key in first_line})
        same_as = earlier[0] if earlier else None
        fields = tuple(field_name for field_name, key in keys if first_line.get((field_name, key)) == same_as)
        if matches or same_as is not None:
            report.duplicates.append(DuplicateLine(line, data.name, matches, same_as, fields if same_as else ()))
        for key in keys:
            first_line.setdefault(key, line)


def apply_import(report: ImportReport, *, time_limit: float | None = None,
                 skip_duplicates: bool = False) -> ImportReport:
    """Create every parsed person in the caller's transaction, adding each refused line to ``errors``.

    The caller commits only when ``report.is_clean`` and rolls back otherwise (and after a preview).
    A preview passes ``time_limit`` (seconds): past it, checking stops with a problem saying so.
    Lines whose person may already be in the register or on an earlier line are found first
    (``report.duplicates``); with ``skip_duplicates`` they are left out (``report.skipped``).
    """
    lookup = people_operations.category_lookup()
    names = {dimension_key: CategoryNames(categories) for dimension_key, categories in lookup.items()}
    find_duplicates(report)
    left_out = {duplicate.line for duplicate in report.duplicates} if skip_duplicates else set()
    deadline = None if time_limit is None else time.monotonic() + time_limit
    for line, data in report.rows:
        if report.stopped:
            break
        if deadline is not None and time.monotonic() > deadline:
            report.stop(LineError(line, "", _("Checking the file took too long and stopped here; split it into "
                                              "smaller files.")))
            break
        if line in left_out:
            report.skipped += 1
            continue
        try:
            people_operations.create_participant(_with_category_keys(line, data, names, report), lookup)
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
    return bool(_deleted(sa.delete(PendingImport).where(_owned(token, user_id))))


def stale_uploads(now: datetime) -> list[str]:
    """Keys (token hashes, not tokens) of the uploads older than ``UPLOAD_MAX_AGE``: personal data nobody confirmed."""
    return list(db.session.scalars(
        sa.select(PendingImport.token_hash).where(PendingImport.created_at < now - UPLOAD_MAX_AGE)
        .order_by(PendingImport.created_at)))


def delete_uploads(token_hashes: list[str]) -> int:
    """Delete the waiting uploads with these keys (the retention purge's) in one statement; how many."""
    return _deleted(sa.delete(PendingImport).where(PendingImport.token_hash.in_(token_hashes)))


def delete_all_uploads() -> int:
    """Delete every waiting upload, whoever made it (the emergency wipe); how many."""
    return _deleted(sa.delete(PendingImport))


def _deleted(statement: sa.Delete) -> int:
    """Run a bulk DELETE (the session's copies are not synchronised); how many rows it deleted."""
    # a DELETE's result is a CursorResult, which has the row count; Session.execute is typed for any statement
    result = cast("sa.CursorResult[Any]",
                  db.session.execute(statement, execution_options={"synchronize_session": False}))
    return result.rowcount or 0
