"""The staff home's panels: a list each feature adds its own to, so the home grows without importing features.

The home shows every registered panel whose roles include the reader's, in the order they were registered.
A feature (mail failures, overdue commitments, ...) registers its panel once, when its package is imported
by ``forums.init_app``, with :func:`register_panel`; the desk never imports it. Each panel's ``lines``
must cost a fixed number of queries whatever the size of the database (``tests/test_query_counts.py``
requests the home at two sizes), and say in each line where the problem is fixed (its ``url``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString

from models import Role, User


@dataclass(frozen=True)
class HomeLine:
    """One thing to look at: what it is, where it is fixed, and a short note (a count, a date)."""

    text: str
    url: str
    note: str = ""
    #: further links on the line, (label, URL): a facilitator's check-in, say
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HomePanel:
    """A section of the staff home: its heading, who sees it, and the lines it lists for a reader at a moment."""

    key: str
    title: LazyString | str
    roles: frozenset[Role]
    lines: Callable[[User, datetime], Sequence[HomeLine]]
    #: said when the panel has no lines (a panel with nothing to say still shows, so its silence is news)
    empty: LazyString | str = ""


#: every panel, in the order the home shows them
HOME_PANELS: list[HomePanel] = []


def register_panel(panel: HomePanel) -> HomePanel:
    """Add ``panel`` to the staff home; a second panel with the same key replaces the first (a reloaded module)."""
    for index, existing in enumerate(HOME_PANELS):
        if existing.key == panel.key:
            HOME_PANELS[index] = panel
            return panel
    HOME_PANELS.append(panel)
    return panel


def panels_for(user: User) -> list[HomePanel]:
    """The panels ``user``'s role sees, in order."""
    return [panel for panel in HOME_PANELS if user.role in panel.roles]
