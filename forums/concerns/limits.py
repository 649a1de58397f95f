"""How many concerns of one organisation may reach the officials of a session.

Pure: no Flask, SQLAlchemy or models import.

A forum may set a maximum of accepted concerns per organisation and session, so that one chamber of
commerce or one ministry cannot fill the officials' time. Rules:

- organisations are compared by :func:`organisation_key`: case, surrounding spaces and runs of spaces
  do not make two organisations;
- a concern of nobody's organisation (an individual entrepreneur, an empty field) is never limited;
- the limit counts concerns that reach officials (accepted, at any later stage); accepting one more is
  refused when the organisation already has ``limit`` of them. Declined and waiting concerns do not count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: the largest limit a forum may set
MAX_LIMIT = 1000


def organisation_key(organisation: str) -> str:
    """The organisation as compared for the limit: casefolded, spaces collapsed."""
    return re.sub(r"\s+", " ", organisation).strip().casefold()


def limit_reached(organisation: str, reaching_by_key: Mapping[str, int], limit: int | None) -> bool:
    """Whether one more concern of ``organisation`` would exceed ``limit``; ``reaching_by_key`` counts, per
    ``organisation_key``, the concerns already reaching officials."""
    key = organisation_key(organisation)
    if limit is None or not key:
        return False
    return reaching_by_key.get(key, 0) >= limit
