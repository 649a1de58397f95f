"""The registration status sets and transitions: written once in models/registrations.py, enforced by
``change_status``, and copied nowhere else in the code."""

import ast
import itertools
from pathlib import Path

import pytest

from forums.balance.rules import STAGES
from forums.registrations import operations
from models import AuditEntry, RegistrationStatus, db
from models.registrations import (
    ALL,
    ALLOWED_TRANSITIONS,
    CAN_ACCEPT,
    CAN_DECLINE,
    CLOSED,
    HOLDING,
    INITIAL,
    ON_LIST,
    PENDING,
    SEATED,
    STAGE_STATUSES,
    ChangedBy,
    in_order,
    is_allowed,
)

S = RegistrationStatus
ROOT = Path(__file__).resolve().parent.parent.parent
HOME = "models/registrations.py"
#: literal status collections that are data, not rules: the mixes demo and synthetic data are drawn from,
#: and stage names (which are spelled like statuses)
NOT_RULES = {
    ("forums/data/demo.py", ("[RegistrationStatus.invited, RegistrationStatus.registered, "
                             "RegistrationStatus.confirmed, RegistrationStatus.attended, "
                             "RegistrationStatus.declined, RegistrationStatus.cancelled]")),
    ("forums/data/synthetic.py", ("[RegistrationStatus.declined, RegistrationStatus.cancelled, "
                                  "RegistrationStatus.waitlisted]")),
    ("forums/balance/rules.py", "('invited', 'registered', 'confirmed', 'attended')"),  # STAGES
    ("forums/balance/queries.py", "('invited', 'attended')"),  # FORUM_STAGES
}


# The sets -----------------------------------------------------------------------------------------

def test_the_sets_say_what_the_domain_says():
    assert SEATED == {S.registered, S.confirmed, S.attended}
    assert INITIAL == {S.invited, S.registered}
    assert CLOSED == {S.declined, S.cancelled}
    assert ON_LIST == ALL - CLOSED
    assert PENDING == {S.invited, S.registered, S.confirmed, S.waitlisted}
    assert HOLDING == {S.invited, S.registered, S.confirmed, S.attended}
    assert SEATED < HOLDING < ON_LIST


def test_each_balance_stage_counts_fewer_statuses_than_the_one_before():
    assert tuple(STAGE_STATUSES) == STAGES
    counted = [STAGE_STATUSES[stage] for stage in STAGES]
    assert all(later < earlier for earlier, later in itertools.pairwise(counted))
    assert STAGE_STATUSES["registered"] == SEATED
    assert not any(S.cancelled in statuses for statuses in counted)


def test_in_order_follows_the_enum():
    assert in_order(PENDING) == (S.invited, S.registered, S.confirmed, S.waitlisted)
    assert in_order(INITIAL) == (S.invited, S.registered)


# The transitions ----------------------------------------------------------------------------------

def test_every_kind_of_change_has_rules_and_none_lists_a_move_to_the_same_status():
    assert set(ALLOWED_TRANSITIONS) == set(ChangedBy)
    for by, moves in ALLOWED_TRANSITIONS.items():
        for old, targets in moves.items():
            assert old not in targets, (by, old)
            assert targets <= ALL


def test_staff_may_correct_anything():
    assert all(is_allowed(ChangedBy.staff, old, new) for old in S for new in S)


def test_a_participant_accepts_declines_or_takes_a_decline_back_and_nothing_else():
    assert CAN_ACCEPT == {S.invited, S.declined}
    assert CAN_DECLINE == {S.invited, S.registered, S.confirmed, S.waitlisted}
    reachable = set().union(*ALLOWED_TRANSITIONS[ChangedBy.participant].values())
    assert reachable == {S.registered, S.waitlisted, S.declined}
    # a cancellation is the organisers' decision, and attendance the door's
    assert not any(is_allowed(ChangedBy.participant, old, new) for old in (S.cancelled, S.attended)
                   for new in S if new != old)


def test_check_in_moves_anyone_to_attended_and_its_undo_back_and_the_waitlist_only_moves_up():
    checkin = ALLOWED_TRANSITIONS[ChangedBy.checkin]
    assert all(checkin[old] == {S.attended} for old in S if old is not S.attended)
    assert checkin[S.attended] == ALL - {S.attended}
    assert ALLOWED_TRANSITIONS[ChangedBy.waitlist] == {S.waitlisted: {S.registered}}


def test_change_status_enforces_the_participants_transitions(create_session, create_participant,
                                                             create_registration):
    forum_session = create_session(capacity=50)
    for old in S:
        registration = create_registration(forum_session, create_participant(f"Person {old.value}"), old.value)
        for new in S:
            if new == old:
                continue
            if is_allowed(ChangedBy.participant, old, new):
                operations.change_status(registration, new, by=ChangedBy.participant)
                assert registration.status in (new, S.registered)  # waitlisted with seats free moves up
            else:
                with pytest.raises(operations.RegistrationError) as refused:
                    operations.change_status(registration, new, by=ChangedBy.participant)
                assert refused.value.code == "not_allowed"
                assert registration.status is old
                assert not any(isinstance(pending, AuditEntry) for pending in db.session.new)
            db.session.rollback()


# One home -----------------------------------------------------------------------------------------

def _status_members(node: ast.expr) -> int:
    """How many elements of a literal set, tuple or list are statuses (``RegistrationStatus.x`` or a status value)."""
    values = {status.value for status in S}
    count = 0
    for element in getattr(node, "elts", ()):
        is_member = (isinstance(element, ast.Attribute) and isinstance(element.value, ast.Name)
                     and element.value.id == "RegistrationStatus")
        is_value = isinstance(element, ast.Constant) and element.value in values
        count += is_member or is_value
    return count


def status_collections() -> list[str]:
    """Literal collections of two or more statuses outside models/registrations.py, as ``path:line source``."""
    found = []
    for path in sorted([*(ROOT / "forums").rglob("*.py"), *(ROOT / "models").rglob("*.py")]):
        relative = path.relative_to(ROOT).as_posix()
        if relative == HOME:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=relative)):
            is_copy = isinstance(node, ast.Set | ast.Tuple | ast.List) and _status_members(node) >= 2
            if is_copy and (relative, ast.unparse(node)) not in NOT_RULES:
                found.append(f"{relative}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_status_set_is_written_outside_its_home():
    assert status_collections() == [], f"name a set of {HOME} instead"


def test_the_scan_would_see_a_copy():
    tree = ast.parse("CANCEL_COUNTED = (RegistrationStatus.invited, RegistrationStatus.registered)\n"
                     "WORDS = {'registered', 'confirmed', 'attended'}")
    assert [_status_members(node) for node in ast.walk(tree) if isinstance(node, ast.Tuple | ast.Set)] == [2, 3]
