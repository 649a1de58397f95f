"""Need-to-know at the door: whom a facilitator may act on, and what a walk-in may tell them (issue 14).

Staff (admins, organisers) keep the register: they see every likely duplicate of a walk-in with its
organisation and may check in anyone in the register. A facilitator sees only the people of their
own session, so:

* **Acting on a person** (``/sessions/<id>/checkin/participants/<participant id>``) is allowed for a
  person already on the session's list (``door.EXPECTED_STATUSES``), or for one of the exact
  candidates the walk-in form offered to this user for this session: the form carries their ids
  signed with the app's secret (itsdangerous, bound to the session and the user, valid
  ``OFFER_MAX_AGE`` seconds). Any other id, existing or not, is a 404 recorded in the audit log
  (``checkin.out_of_scope``), so ids cannot be probed for names.
* **Walk-in hints** offer a facilitator only near-exact name matches (``NEAR_EXACT_SIMILARITY`` on
  ``forums.people.names.similarity``) among the people registered at this session, without
  organisation. Anyone else in the register whose name resembles the walk-in's is never shown: the
  walk-in is added as a new person flagged ``possible_duplicate_of_id`` for staff to check
  (``participant.possible_duplicate`` in the audit log), and the facilitator's page reads exactly as
  it would if nobody resembled them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from forums.audit import log as audit
from forums.checkin import door
from models import Participant, Registration, db

#: a facilitator is offered a person already registered at the session only when the names are this alike
#: (1.0 is the same search key; "Rahimova Nigora" and "Rahimova Nigora Saidovna" score 0.875)
NEAR_EXACT_SIMILARITY = 0.95

#: how long the candidates a walk-in form offered stay valid, in seconds
OFFER_MAX_AGE = 3600

_OFFER_SALT = "checkin.walk-in-offer"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_OFFER_SALT)


def sign_offer(session_id: int, user_id: int, participant_ids: list[int]) -> str:
    """A token naming the candidates a walk-in form offered to this user for this session."""
    return _serializer().dumps({"s": session_id, "u": user_id, "p": sorted(set(participant_ids))})


def offered_ids(token: str, session_id: int, user_id: int) -> frozenset[int]:
    """The candidates ``token`` offered to this user for this session; empty when it is not such a token."""
    if not token or len(token) > 4000:
        return frozenset()
    try:
        payload = _serializer().loads(token, max_age=OFFER_MAX_AGE)
    except BadData:
        return frozenset()
    if not isinstance(payload, dict) or payload.get("s") != session_id or payload.get("u") != user_id:
        return frozenset()
    ids = payload.get("p")
    if not isinstance(ids, list):
        return frozenset()
    return frozenset(value for value in ids if isinstance(value, int) and not isinstance(value, bool))


def is_on_list(session_id: int, participant_id: int) -> bool:
    """Whether the person is on the session's check-in list (the people the facilitator sees anyway)."""
    return db.session.scalar(
        sa.select(Registration.id).where(Registration.session_id == session_id,
                                         Registration.participant_id == participant_id,
                                         Registration.status.in_(door.EXPECTED_STATUSES))
    ) is not None


def may_act_on(*, is_staff: bool, user_id: int, session_id: int, participant_id: int, offer: str) -> bool:
    """Whether the reader may check this person in at this session (rules in the module docstring)."""
    if is_staff:
        return True
    return participant_id in offered_ids(offer, session_id, user_id) or is_on_list(session_id, participant_id)


def record_refusal(session_id: int, participant_id: int) -> None:
    """Audit a refused person id (the id only: whether it exists is not looked up)."""
    audit.record("checkin.out_of_scope", "participant", participant_id, detail=f"session {session_id}")


@dataclass(frozen=True)
class WalkInHints:
    """What the walk-in form shows, and whom the new person may duplicate without the reader being told."""

    shown: list[door.DuplicateHint]
    #: the most alike person not shown (a facilitator's walk-in is flagged for staff with them)
    unshown_match: int | None


def walk_in_hints(session_id: int, name: str, *, is_staff: bool) -> WalkInHints:
    """Likely duplicates of a walk-in as this reader may see them (the register's search, then narrowed)."""
    hints = door.duplicate_hints(session_id, name)
    if is_staff:
        return WalkInHints(hints, None)
    shown = [replace(hint, organisation="") for hint in hints
             if hint.status is not None and hint.score >= NEAR_EXACT_SIMILARITY]
    shown_ids = {hint.participant_id for hint in shown}
    unshown = [hint.participant_id for hint in hints if hint.participant_id not in shown_ids]
    return WalkInHints(shown, unshown[0] if unshown else None)


def flag_possible_duplicate(participant: Participant, duplicate_of: int) -> None:
    """Mark a new person for staff to compare with someone else in the register, and audit it."""
    participant.possible_duplicate_of_id = duplicate_of
    audit.record("participant.possible_duplicate", "participant", participant.id,
                 detail=f"similar to participant {duplicate_of}")


def clear_possible_duplicate(participant: Participant) -> bool:
    """Staff checked: not the same person. False when there was nothing to clear."""
    if participant.possible_duplicate_of_id is None:
        return False
    audit.record("participant.duplicate_cleared", "participant", participant.id,
                 detail=f"was similar to participant {participant.possible_duplicate_of_id}")
    participant.possible_duplicate_of_id = None
    return True
