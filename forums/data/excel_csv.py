"""CSV files as Excel on Windows opens them correctly: every file the app writes for download goes through here.

* **UTF-8 with a byte order mark.** Without it Excel reads a CSV file in the machine's legacy code page
  (Windows-1251 on a Russian or Tajik Windows) and garbles every Cyrillic letter; with it Excel reads
  UTF-8 and Tajik letters (ғ ӣ қ ӯ ҳ ҷ), which Windows-1251 lacks, survive.
* **CRLF line ends**, as RFC 4180 and Excel write them.
* **Formula injection neutralised.** Every cell (headers too) that starts with ``= + - @``, tab, CR or
  NUL is prefixed with ``'`` so a spreadsheet shows it as text instead of running it (ASVS 1.2.10).

Reading files back (the import) is ``forums.data.imports``, which accepts what Excel saves.
"""

import csv
import io
from collections.abc import Iterable, Iterator

#: the first character of every file: a UTF-8 byte order mark, which makes Excel read the file as UTF-8
BOM = "\ufeff"
#: a cell starting with one of these is a formula to a spreadsheet
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")


def neutralise_cell(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with ``'``."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def line(cells: Iterable[str]) -> str:
    """One line of the file: the cells neutralised, quoted where needed, ended with CRLF."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([neutralise_cell(cell) for cell in cells])
    return buffer.getvalue()


def lines(header: Iterable[str], rows: Iterable[Iterable[str]]) -> Iterator[str]:
    """A whole file as lines, for streaming: the byte order mark and the header, then one line per row."""
    yield BOM + line(header)
    for row in rows:
        yield line(row)
