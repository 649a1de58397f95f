"""Every way a seat frees audits the change once and each waitlist promotion once, whoever calls.

The operations (forums.registrations.operations) write the entries, so each path below (a page, the
API, a personal link, a session edit, an undone check-in, an erasure, a command) must leave exactly
the change's own entry and one ``registration.update`` / ``promoted`` entry per person moved up,
naming that person's registration and nobody by name.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from forums.people import links
from forums.registrations import operations
from models import (
    AuditEntry,
    ForumSession,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from tests.conftest import sign_in_without_password

#: the actions a registration change records; reads of lists and records are left out
CHANGE_ACTIONS = ("registration.create", "registration.update", "registration.accept", "registration.decline",
                  "checkin.check_in", "checkin.undo", "session.update", "participant.erase")


def changes() -> list[tuple[str, str, int | None]]:
    """(action, detail, object id) of every change entry, oldest first."""
    db.session.expire_all()
    return [(entry.action, entry.detail, entry.object_id) for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.in_(CHANGE_ACTIONS)).order_by(AuditEntry.id))]


def status_of(registration_id: int) -> RegistrationStatus:
    db.session.expire_all()
    return db.session.get(Registration, registration_id).status


@pytest.fixture
def full_session(create_session, create_participant, create_registration):
    """A session of ``seats`` seats, all taken, and ``waiting`` people on its waitlist, written without audit.

    ``full_session(seats=1, waiting=1)`` returns the session, the seated registrations and the waitlisted
    ones in waitlist order.
    """
    def _make(seats: int = 1, waiting: int = 1, seated_status: str = "registered"):
        forum_session = create_session(capacity=seats)
        seated = [create_registration(forum_session, create_participant(f"Seated {n}"), seated_status)
                  for n in range(seats)]
        waitlisted = []
        for n in range(waiting):
            registration = create_registration(forum_session, create_participant(f"Waiting {n}"), "waitlisted")
            registration.waitlisted_at = utcnow() + timedelta(seconds=n)
            waitlisted.append(registration)
        db.session.commit()
        assert changes() == []
        return forum_session, seated, waitlisted

    return _make


def promoted(*registrations: Registration) -> list[tuple[str, str, int]]:
    return [("registration.update", "promoted", registration.id) for registration in registrations]


@pytest.fixture
def organiser(client, create_user):
    """The test client, signed in as an organiser."""
    return sign_in_without_password(client, create_user("organiser"))


def test_staff_status_change_on_the_registrations_page(organiser, full_session):
    _forum_session, [seated], [waiting] = full_session()

    response = organiser.post(f"/staff/registrations/{seated.id}/status", data={"status": "cancelled"})

    assert response.status_code == 302
    assert status_of(waiting.id) is RegistrationStatus.registered
    assert changes() == [("registration.update", "cancelled", seated.id), *promoted(waiting)]


def test_patch_registration_through_the_api(client, create_user, token_for, full_session):
    _forum_session, [seated], [waiting] = full_session()

    response = client.patch(f"/api/v1/registrations/{seated.id}", json={"status": "declined"},
                            headers=token_for(create_user("organiser")))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert status_of(waiting.id) is RegistrationStatus.registered
    assert changes() == [("registration.update", "declined", seated.id), *promoted(waiting)]


def test_participant_declines_through_their_personal_link(client, full_session):
    forum_session, [seated], [waiting] = full_session()
    token = links.issue(seated.participant).token
    db.session.commit()

    client.post(f"/p/{token}/sessions/{forum_session.id}/answer", data={"answer": "decline"})

    assert status_of(waiting.id) is RegistrationStatus.registered
    assert changes() == [("registration.decline", "declined", seated.id), *promoted(waiting)]
    # the person who freed the seat is the actor of both: nobody was signed in
    actors = db.session.scalars(sa.select(AuditEntry.actor).where(AuditEntry.action.in_(CHANGE_ACTIONS))).all()
    assert set(actors) == {f"participant-link:{seated.participant_id}"}


def _session_form(forum_session: ForumSession, **overrides: str) -> dict[str, str]:
    """The edit form of ``forum_session`` as the page fills it, with ``overrides``."""
    starts = forum_session.starts_at.astimezone(ZoneInfo("Asia/Dushanbe"))
    ends = forum_session.ends_at.astimezone(ZoneInfo("Asia/Dushanbe"))
    return {"forum_id": str(forum_session.forum_id), "title": forum_session.title,
            "starts_on": starts.date().isoformat(), "starts_time": starts.strftime("%H:%M"),
            "ends_time": ends.strftime("%H:%M"), "venue": forum_session.venue, "region": "dushanbe",
            "capacity": str(forum_session.capacity), "visibility": "public",
            "version": str(forum_session.version), **overrides}


def test_capacity_increase_on_the_session_edit_page(organiser, full_session):
    forum_session, _seated, waiting = full_session(seats=1, waiting=3)

    response = organiser.post(f"/staff/sessions/{forum_session.id}/edit",
                              data=_session_form(forum_session, capacity="3"))

    assert response.status_code == 302, response.get_data(as_text=True)
    assert [status_of(each.id) for each in waiting] == [RegistrationStatus.registered] * 2 + [
        RegistrationStatus.waitlisted]
    [*promotions, (action, fields, session_id)] = changes()
    assert promotions == promoted(*waiting[:2])
    assert (action, session_id) == ("session.update", forum_session.id) and "capacity" in fields.split(",")


def test_capacity_increase_through_the_api(client, create_user, token_for, full_session):
    forum_session, _seated, waiting = full_session(seats=1, waiting=2)

    response = client.patch(f"/api/v1/sessions/{forum_session.id}", json={"capacity": 2},
                            headers=token_for(create_user("organiser")))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert [status_of(each.id) for each in waiting] == [RegistrationStatus.registered, RegistrationStatus.waitlisted]
    assert changes() == [*promoted(waiting[0]), ("session.update", "capacity", forum_session.id)]


@pytest.mark.parametrize("way", ["page", "api"])
def test_undone_check_in(client, create_user, token_for, full_session, way):
    # Two seats: one registered, one held by an invited person checked in at the door; one waiting.
    forum_session, [_seated, checked_in], [waiting] = full_session(seats=2, waiting=1)
    checked_in.status = RegistrationStatus.attended
    checked_in.status_before_checkin = RegistrationStatus.invited
    checked_in.checked_in_at = utcnow()
    db.session.commit()
    url = f"/sessions/{forum_session.id}/checkin/{checked_in.id}"

    if way == "page":
        sign_in_without_password(client, create_user("organiser"))
        response = client.post(f"{url}/undo")
        assert response.status_code == 302
    else:
        response = client.delete(f"/api/v1{url}", headers=token_for(create_user("organiser")))
        assert response.status_code == 200, response.get_data(as_text=True)

    assert status_of(checked_in.id) is RegistrationStatus.invited
    assert status_of(waiting.id) is RegistrationStatus.registered
    assert changes() == [("checkin.undo", "", checked_in.id), *promoted(waiting)]


def test_erasure_on_the_data_page(client, create_user, full_session):
    _forum_session, [seated], [waiting] = full_session()
    person_id = seated.participant_id
    sign_in_without_password(client, create_user("admin"))

    assert client.post(f"/data/erase/{person_id}", data={"confirm": "y"}).status_code == 302

    assert status_of(waiting.id) is RegistrationStatus.registered
    [*promotions, erasure] = changes()
    assert promotions == promoted(waiting)
    assert erasure[0] == "participant.erase" and erasure[2] == person_id


def test_erasure_from_the_command_line(runner, full_session):
    _forum_session, [seated], [waiting] = full_session()

    result = runner.invoke(args=["erase-participant", str(seated.participant_id)])

    assert result.exit_code == 0, result.output
    assert status_of(waiting.id) is RegistrationStatus.registered
    assert changes()[:-1] == promoted(waiting)
    actors = db.session.scalars(sa.select(AuditEntry.actor).where(AuditEntry.action == "registration.update")).all()
    assert actors == ["cli"]


def test_staff_waitlisting_someone_while_seats_are_free_moves_them_straight_back(organiser, create_session,
                                                                                create_participant,
                                                                                create_registration):
    forum_session = create_session(capacity=2)
    registration = create_registration(forum_session, create_participant(), "invited")

    organiser.post(f"/staff/registrations/{registration.id}/status", data={"status": "waitlisted"})

    assert status_of(registration.id) is RegistrationStatus.registered
    assert changes() == [("registration.update", "waitlisted", registration.id), *promoted(registration)]


def test_a_change_that_frees_no_seat_promotes_nobody_and_is_audited_once(organiser, full_session):
    _forum_session, [seated], [waiting] = full_session()

    organiser.post(f"/staff/registrations/{seated.id}/status", data={"status": "confirmed"})
    organiser.post(f"/staff/registrations/{seated.id}/status", data={"status": "confirmed"})  # no change

    assert status_of(waiting.id) is RegistrationStatus.waitlisted
    assert changes() == [("registration.update", "confirmed", seated.id)]


def test_operations_record_every_change_themselves(app, full_session, create_participant):
    """Called directly, as a script or the shell would: the log still has every change and promotion."""
    forum_session, [seated], [waiting] = full_session(seats=1, waiting=1)
    newcomer = operations.register(forum_session, create_participant("Newcomer"), RegistrationStatus.invited,
                                   via="selection")
    operations.mark_attended(newcomer, via="paper")
    operations.unmark_attended(newcomer)
    promotions = operations.change_status(seated, RegistrationStatus.cancelled)
    db.session.commit()

    assert promotions == [waiting]
    assert changes() == [
        ("registration.create", "invited via selection", newcomer.id),
        ("checkin.check_in", "paper", newcomer.id),
        ("checkin.undo", "", newcomer.id),
        ("registration.update", "cancelled", seated.id),
        *promoted(waiting),
    ]
