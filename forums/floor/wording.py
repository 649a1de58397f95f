"""The words of the list of speakers: why each request holds its place, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from forums.floor.rules import Position

#: the words of each reason of ``forums.floor.rules.REASONS``, given the name of the category it speaks of
REASON_TEXTS: dict[str, Callable[[str], str]] = {
    "moved": lambda named: _("Moved here by the facilitator"),
    "point_of_order": lambda named: _("Point of order: ahead of the queue"),
    "interposed_question": lambda named: _("Interposed question: ahead of the queue"),
    "asked_first": lambda named: _("First come, first served"),
    "first_time": lambda named: _("Has not spoken yet"),
    "spoke_before": lambda named: _("Has spoken before"),
    "speaker_unknown": lambda named: _("Speaker not recorded (Chatham House): first come, first served"),
    "furthest_below_share": lambda named: _("%(category)s is furthest below its share of the room", category=named),
    "not_counted": lambda named: _("Category not counted toward balance: after those below their share"),
    "alternation": lambda named: _("Alternation: the turn of %(category)s", category=named),
    "alternation_none_waiting": lambda named: _("Alternation: nobody of %(category)s waiting", category=named),
}


def reason_text(position: Position, category_name: Callable[[str], str]) -> str:
    """Why a request holds its place; ``category_name`` names a category key of the list's dimension."""
    return REASON_TEXTS[position.reason](category_name(position.category) if position.category else "")
