"""Waitlist promotion respects the balance policy (issue 14, item 12).

The rule is written in ``forums.registrations.operations.promote_waitlisted``: seat by seat, the first
person on the waitlist whose seat keeps the session within its policy moves up; those ahead of them who
would take it further off are passed over (audited, and said on the page); a seat nobody can take so
stays free for staff to give. The pure part is ``forums.balance.rules.seat_order``.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forums.balance import policies
from forums.balance.rules import CategorySpec, DimensionSpec, Quota, promotion_problems, seat_order
from forums.people import links
from forums.registrations import operations
from models import AuditEntry, Registration, RegistrationStatus, db, utcnow
from tests.conftest import sign_in_without_password

GROUP = DimensionSpec("group", (CategorySpec("government"), CategorySpec("uto"), CategorySpec("academia"),
                                CategorySpec("international", counts_toward_balance=False)))
GENDER = DimensionSpec("gender", (CategorySpec("woman"), CategorySpec("man")))


# The rule, without an app ---------------------------------------------------------------------------

def test_a_person_in_a_category_at_its_maximum_would_break_the_policy():
    counts = {("group", "government"): 2, ("group", "uto"): 1}
    quotas = [Quota("group", "government", max_count=2)]
    assert promotion_problems([GROUP], counts, quotas, {"group": "government"}) == ("group",)
    assert promotion_problems([GROUP], counts, quotas, {"group": "academia"}) == ()
    assert promotion_problems([GROUP], counts, quotas, {"group": "international"}) == ()  # observers do not count


def test_a_share_pushed_below_its_minimum_breaks_it_and_one_already_below_may_not_fall_further():
    quotas = [Quota("gender", "woman", min_share=0.4)]
    within = {("gender", "woman"): 2, ("gender", "man"): 3}  # 40%: a man would make it 2 of 6
    assert promotion_problems([GENDER], within, quotas, {"gender": "man"}) == ("gender",)
    below = {("gender", "woman"): 1, ("gender", "man"): 3}  # 25%: a woman brings it closer
    assert promotion_problems([GENDER], below, quotas, {"gender": "woman"}) == ()
    assert promotion_problems([GENDER], below, quotas, {"gender": "man"}) == ("gender",)
    # A minimum count alone is as far off as before when the person is elsewhere.
    assert promotion_problems([GROUP], {}, [Quota("group", "uto", min_count=1)], {"group": "academia"}) == ()


def test_seats_go_to_the_first_who_keeps_the_policy_and_each_seat_counts_the_one_before():
    quotas = [Quota("gender", "woman", min_share=0.5)]
    counts = {("gender", "woman"): 2, ("gender", "man"): 2}
    waiting = [(1, {"gender": "man"}), (2, {"gender": "woman"}), (3, {"gender": "man"}), (4, {"gender": "man"})]
    # Seat 1: the man would make women 2 of 5; the woman takes it. Seat 2: now 3 of 5, a man keeps half.
    assert seat_order([GENDER], counts, quotas, waiting, 2) == ([2, 1], [])
    # One seat: the first man is passed over, the woman after him takes it.
    assert seat_order([GENDER], counts, quotas, waiting, 1) == ([2], [(1, ("gender",))])
    # Nobody fits: the seat stays free and everyone asked is passed over.
    men = [(1, {"gender": "man"}), (3, {"gender": "man"})]
    assert seat_order([GENDER], counts, quotas, men, 1) == ([], [(1, ("gender",)), (3, ("gender",))])
    # Without quotas it is first come, first served.
    assert seat_order([GENDER], counts, [], waiting, 2) == ([1, 2], [])


# The operation --------------------------------------------------------------------------------------

@pytest.fixture
def government_capped(create_session, create_participant, create_registration):
    """Three seats taken by two government people and one from the UTO, where the forum allows two government;
    waiting: an official first, then an academic."""
    forum_session = create_session(capacity=3)
    assert policies.save_policy(forum_session.forum, [Quota("group", "government", max_count=2)],
                                policies.load_catalogue()) == []
    for number in range(2):
        create_registration(forum_session, create_participant(f"Official {number}", group="government"), "registered")
    leaving = create_registration(forum_session, create_participant("Opposition One", group="uto"), "registered")
    waiting = []
    for number, (name, group) in enumerate([("Official Waiting", "government"), ("Academic Waiting", "academia")]):
        registration = create_registration(forum_session, create_participant(name, group=group), "waitlisted")
        registration.waitlisted_at = utcnow() + timedelta(seconds=number)
        waiting.append(registration)
    db.session.commit()
    return forum_session, leaving, waiting


def entries(action):
    db.session.expire_all()
    return [(entry.object_id, entry.detail) for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def status_of(registration):
    db.session.expire_all()
    return db.session.get(Registration, registration.id).status


def test_a_freed_seat_goes_past_the_person_who_would_break_the_policy(government_capped):
    forum_session, leaving, [official, academic] = government_capped
    promotion = operations.change_status(leaving, RegistrationStatus.cancelled)
    db.session.commit()
    assert promotion == [academic]
    assert [(skipped.registration.id, skipped.dimensions) for skipped in promotion.passed_over] == [
        (official.id, ("group",))]
    assert status_of(official) is RegistrationStatus.waitlisted and status_of(academic) is RegistrationStatus.registered
    assert entries("registration.passed_over") == [(official.id, "group")]
    assert (academic.id, "promoted") in entries("registration.update")


def test_a_seat_nobody_waiting_can_take_stays_for_staff_to_give(client, create_user, government_capped):
    forum_session, leaving, [official, academic] = government_capped
    operations.change_status(academic, RegistrationStatus.cancelled)  # only the official waits now
    db.session.commit()
    sign_in_without_password(client, create_user("organiser"))
    response = client.post(f"/staff/registrations/{leaving.id}/status", data={"status": "declined"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert status_of(official) is RegistrationStatus.waitlisted
    assert "Passed over on the waitlist, because their seat would take the session further from its balance " \
           "policy: Official Waiting (Group)." in page
    assert "1 seat is free, but it did not go to the waitlist" in page
    assert entries("registration.passed_over") == [(official.id, "group")]
    # Staff choose: moving the official up by hand is allowed.
    client.post(f"/staff/registrations/{official.id}/status", data={"status": "registered"})
    assert status_of(official) is RegistrationStatus.registered
    assert "seat is free, but" not in client.get(f"/staff/sessions/{forum_session.id}/registrations").get_data(
        as_text=True)


def test_a_participants_decline_passes_over_under_their_link(client, government_capped):
    forum_session, leaving, [official, academic] = government_capped
    token = links.issue(leaving.participant).token
    db.session.commit()
    client.post(f"/p/{token}/sessions/{forum_session.id}/answer", data={"answer": "decline"})
    assert status_of(academic) is RegistrationStatus.registered
    assert status_of(official) is RegistrationStatus.waitlisted
    db.session.expire_all()
    skipped = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "registration.passed_over")).one()
    assert skipped.object_id == official.id and skipped.actor == f"participant-link:{leaving.participant_id}"


def test_a_larger_capacity_also_respects_the_policy(government_capped):
    from forums.sessions import operations as session_operations

    forum_session, _leaving, [official, academic] = government_capped
    session_operations.update_session(forum_session, {"capacity": 5})
    db.session.commit()
    assert status_of(academic) is RegistrationStatus.registered
    assert status_of(official) is RegistrationStatus.waitlisted  # two seats free, but government is at two
    assert entries("registration.passed_over") == [(official.id, "group")]
