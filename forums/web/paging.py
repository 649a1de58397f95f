"""Lists shown a page at a time: the page object templates read and the query that fills it."""


from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from models import (
    db,
)

PER_PAGE = 50


Row = TypeVar("Row")


@dataclass
class Page(Generic[Row]):
    """One page of a list and where it sits among all pages."""

    items: list[Row]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        """Whether a page comes before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after this one."""
        return self.number < self.pages


def paged(statement: sa.Select[*tuple[Any, ...]], number: int, *, scalars: bool = True) -> Page[Any]:
    """Page ``number`` (``PER_PAGE`` rows) of ``statement``, with the count of all its rows."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())) or 0
    number = max(1, number)
    limited = statement.limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    rows = list(db.session.scalars(limited)) if scalars else [tuple(row) for row in db.session.execute(limited)]
    return Page(rows, number, total)
