"""Where other features add sections to the report for headquarters, without the report importing them.

Floor balance (who was heard, not only who was present) belongs in the report once the floor feature
exists; so may anything else a feature counts per category. Such a feature calls :func:`add_section`
once when it starts, with a function that gets the report's scope and returns a section (or None
when it has nothing for that scope). A section holds text only, already free of names and with its
small counts suppressed (``forums.data.anonymity``, the ``k`` it is given): the report prints it and
puts it in the CSV file as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: its days (inclusive), its forums (empty: every forum) and the sessions held."""

    first_day: date
    last_day: date
    forum_ids: tuple[int, ...]
    session_ids: tuple[int, ...]
    #: the smallest count a cell may show (the app's ``SMALL_COUNT_THRESHOLD``)
    k: int
    #: the reader's language
    locale: str


@dataclass(frozen=True)
class ReportSection:
    """A table another feature adds to the report: a title, column headings and rows of text."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


SectionProvider = Callable[[ReportScope], "ReportSection | None"]

_providers: list[SectionProvider] = []


def add_section(provider: SectionProvider) -> None:
    """Have every report ask ``provider`` for a section from now on (once per provider)."""
    if provider not in _providers:
        _providers.append(provider)


def sections_for(scope: ReportScope) -> Sequence[ReportSection]:
    """The sections the registered providers give for ``scope``, in the order they were added."""
    return [section for provider in _providers if (section := provider(scope)) is not None]
