"""T13: registrations driven by random sequences of operations, checked against a model after every step.

The machine invites and registers people, moves them to any status, checks them in and undoes it,
and resizes the session, all through the functions the views call (forums.registrations.operations and
forums.sessions.operations.update_session), committing after each step as a view does. A plain-Python model
predicts every status; after each step the database must equal the model and the invariants hold.
"""

from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from forums.registrations import operations
from forums.registrations.operations import RegistrationError
from forums.sessions import operations as session_operations
from forums.validation import ValidationFailed
from models import ForumSession, Participant, Registration, RegistrationStatus, db
from models.registrations import SEATED

PEOPLE = 5
#: small, so that full sessions, waitlists and promotions happen in most runs
START_CAPACITY = 2
EXAMPLES = 500
STEPS = 6
ALL_STATUSES = list(RegistrationStatus)


class RegistrationMachine(RuleBasedStateMachine):
    """One session and ``PEOPLE`` people; the model is each person's status and the waitlist order."""

    session_id: int
    participant_ids: list[int]

    def __init__(self) -> None:
        super().__init__()
        self.status: dict[int, RegistrationStatus] = {}
        self.before_checkin: dict[int, RegistrationStatus | None] = {}
        self.waitlist: list[int] = []
        self.capacity = START_CAPACITY
        self.seated_before_step = 0
        self.step_was_check_in = False
        self.snapshot: tuple[list[sa.Row[Any]], int] | None = None

    # Model helpers --------------------------------------------------------------------------------

    def seated(self) -> int:
        return sum(status in SEATED for status in self.status.values())

    def promote(self) -> None:
        free = self.capacity - self.seated()
        while free > 0 and self.waitlist:
            self.status[self.waitlist.pop(0)] = RegistrationStatus.registered
            free -= 1

    def waitlist_person(self, person: int) -> None:
        self.status[person] = RegistrationStatus.waitlisted
        self.waitlist.append(person)

    def leave_waitlist(self, person: int) -> None:
        if person in self.waitlist:
            self.waitlist.remove(person)

    def begin_step(self, check_in: bool = False) -> None:
        self.seated_before_step = self.seated()
        self.step_was_check_in = check_in
        self.snapshot = None

    # Database helpers -----------------------------------------------------------------------------

    def forum_session(self) -> ForumSession:
        return db.session.get(ForumSession, self.session_id)

    def registration(self, person: int) -> Registration:
        return db.session.scalars(sa.select(Registration).where(
            Registration.session_id == self.session_id,
            Registration.participant_id == self.participant_ids[person])).one()

    # Rules ------------------------------------------------------------------------------------------

    @initialize()
    def empty_session(self) -> None:
        db.session.execute(sa.delete(Registration).where(Registration.session_id == self.session_id))
        self.forum_session().capacity = START_CAPACITY
        db.session.commit()

    @rule(person=st.integers(0, PEOPLE - 1),
          status=st.sampled_from([RegistrationStatus.invited, RegistrationStatus.registered]))
    def register(self, person: int, status: RegistrationStatus) -> None:
        self.begin_step()
        participant = db.session.get(Participant, self.participant_ids[person])
        if person in self.status:
            self.expect_refusal("duplicate", operations.register, self.forum_session(), participant, status)
            return
        if status is RegistrationStatus.registered and self.seated() >= self.capacity:
            self.waitlist_person(person)
        else:
            self.status[person] = status
        self.before_checkin[person] = None
        operations.register(self.forum_session(), participant, status)
        db.session.commit()

    @precondition(lambda self: self.status)
    @rule(data=st.data(), new=st.sampled_from(ALL_STATUSES))
    def change_status(self, data: Any, new: RegistrationStatus) -> None:
        person = data.draw(st.sampled_from(sorted(self.status)), label="person")
        self.begin_step()
        old = self.status[person]
        if new == old:
            operations.change_status(self.registration(person), new)
            db.session.commit()
            return
        if new in SEATED and old not in SEATED and self.seated() >= self.capacity:
            self.expect_refusal("full", operations.change_status, self.registration(person), new)
            return
        self.leave_waitlist(person)
        if new is RegistrationStatus.waitlisted:
            self.waitlist_person(person)
        else:
            self.status[person] = new
        # Attendance set by hand counts as a check-in from the old status.
        self.before_checkin[person] = old if new is RegistrationStatus.attended else None
        if (old in SEATED and new not in SEATED) or new is RegistrationStatus.waitlisted:
            self.promote()
        operations.change_status(self.registration(person), new)
        db.session.commit()

    @precondition(lambda self: self.status)
    @rule(data=st.data())
    def check_in(self, data: Any) -> None:
        person = data.draw(st.sampled_from(sorted(self.status)), label="person")
        self.begin_step(check_in=True)
        if self.status[person] is not RegistrationStatus.attended:
            self.before_checkin[person] = self.status[person]
            self.leave_waitlist(person)
            self.status[person] = RegistrationStatus.attended
        operations.mark_attended(self.registration(person))
        db.session.commit()

    @precondition(lambda self: self.status)
    @rule(data=st.data())
    def undo_check_in(self, data: Any) -> None:
        person = data.draw(st.sampled_from(sorted(self.status)), label="person")
        self.begin_step()
        if self.status[person] is RegistrationStatus.attended:
            previous = self.before_checkin[person] or RegistrationStatus.confirmed
            self.before_checkin[person] = None
            if previous is RegistrationStatus.waitlisted:
                self.waitlist_person(person)
            else:
                self.status[person] = previous
            if previous not in SEATED:
                self.promote()
        operations.unmark_attended(self.registration(person))
        db.session.commit()

    @rule(capacity=st.integers(1, PEOPLE + 1))
    def resize(self, capacity: int) -> None:
        self.begin_step()
        if capacity < self.seated():
            try:
                session_operations.update_session(self.forum_session(), {"capacity": capacity})
            except ValidationFailed as refused:
                assert "capacity" in refused.fields
                db.session.rollback()
                return
            raise AssertionError(f"capacity {capacity} below {self.seated()} seated was accepted")
        self.capacity = capacity
        self.promote()
        session_operations.update_session(self.forum_session(), {"capacity": capacity})
        db.session.commit()

    def expect_refusal(self, code: str, operation: Any, *args: Any) -> None:
        try:
            operation(*args)
        except RegistrationError as refused:
            assert refused.code == code
            db.session.rollback()
            return
        raise AssertionError(f"{operation.__name__} should have been refused with {code!r}")

    # Invariants: each reads one snapshot of the database taken after the step ----------------------

    def stored(self) -> tuple[list[sa.Row[Any]], int]:
        """The session's registrations and capacity, read once per step for all the invariants."""
        if self.snapshot is None:
            # One round trip: the session's capacity joined to its registrations (if any).
            rows = list(db.session.execute(
                sa.select(ForumSession.capacity, Registration.participant_id, Registration.status,
                          Registration.checked_in_at, Registration.status_before_checkin, Registration.waitlisted_at)
                .outerjoin(Registration, Registration.session_id == ForumSession.id)
                .where(ForumSession.id == self.session_id)
            ))
            self.snapshot = ([row for row in rows if row.participant_id is not None], rows[0].capacity)
        return self.snapshot

    @invariant()
    def database_matches_the_model(self) -> None:
        registrations, capacity = self.stored()
        assert {self.participant_ids.index(r.participant_id): r.status for r in registrations} == self.status
        assert capacity == self.capacity

    @invariant()
    def one_registration_per_person(self) -> None:
        people = [r.participant_id for r in self.stored()[0]]
        assert len(people) == len(set(people))

    @invariant()
    def attendance_and_check_in_time_go_together(self) -> None:
        for registration in self.stored()[0]:
            attended = registration.status is RegistrationStatus.attended
            assert attended == (registration.checked_in_at is not None), registration.status
            if not attended:
                assert registration.status_before_checkin is None

    @invariant()
    def only_check_in_seats_people_past_capacity(self) -> None:
        registrations, capacity = self.stored()
        seated = sum(r.status in SEATED for r in registrations)
        if self.step_was_check_in:
            assert seated <= max(capacity, self.seated_before_step + 1)
        else:
            # Shrinking is refused below the seated count, so nothing else may add a seat past capacity.
            assert seated <= max(capacity, self.seated_before_step)

    @invariant()
    def waitlisted_people_only_when_full(self) -> None:
        registrations, capacity = self.stored()
        waiting = [r for r in registrations if r.status is RegistrationStatus.waitlisted]
        if waiting:
            assert sum(r.status in SEATED for r in registrations) >= capacity
            assert all(r.waitlisted_at is not None for r in waiting)


def test_registrations_follow_the_model_over_random_operation_sequences(create_session, create_participant):
    forum_session = create_session(capacity=START_CAPACITY)
    people = [create_participant(f"Person {number}") for number in range(PEOPLE)]
    machine = type("BoundRegistrationMachine", (RegistrationMachine,), {
        "session_id": forum_session.id, "participant_ids": [person.id for person in people]})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow]))
