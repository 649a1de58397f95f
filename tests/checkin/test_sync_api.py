"""The batch of check-in events (POST /api/v1/sessions/{id}/checkin/events), the device's roster, paper sheets
and the staff review page: the rules of docs/CHECKIN.md, each through the app."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import (
    AuditEntry,
    CheckinEvent,
    CheckinOutcome,
    Participant,
    Registration,
    RegistrationStatus,
    ReviewReason,
    SessionFacilitator,
    SessionStatus,
    db,
    utcnow,
)
from tests.checkin.test_checkin import enrol  # noqa: F401  (a fixture shared by the check-in tests)
from tests.conftest import sign_in_without_password

#: the devices' clock: an hour ago, so that no event is later than its arrival
T0 = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def headers(client, create_user, token_for):
    """An organiser's API headers; the same organiser is signed in on the client for the staff pages."""
    organiser = create_user("organiser")
    sign_in_without_password(client, organiser)
    return token_for(organiser)


def event(client_id, kind, registration_id=None, device="tablet-a", minutes=0, **extra):
    body = {"client_id": client_id, "kind": kind, "device_id": device,
            "device_at": (T0 + timedelta(minutes=minutes)).isoformat(), **extra}
    if registration_id is not None:
        body["registration_id"] = registration_id
    return body


def send(client, headers, forum_session, *events):
    response = client.post(f"/api/v1/sessions/{forum_session.id}/checkin/events", json={"events": list(events)},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def status_of(registration):
    return db.session.scalar(sa.select(Registration.status).where(Registration.id == registration.id))


def audit_count(action, object_id=None):
    statement = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        statement = statement.where(AuditEntry.object_id == object_id)
    return db.session.scalar(statement)


def table_snapshot():
    return (db.session.execute(sa.select(Registration.id, Registration.status, Registration.checked_in_at)
                               .order_by(Registration.id)).all(),
            db.session.scalar(sa.select(sa.func.count()).select_from(CheckinEvent)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Participant)))


def test_a_replayed_batch_changes_nothing_and_gets_the_same_answer(client, headers, create_session,
                                                                   create_participant, enrol):
    forum_session = create_session()
    first = enrol(forum_session, create_participant("First Person"))
    second = enrol(forum_session, create_participant("Second Person"))
    batch = [event("e1", "check_in", first.id), event("e2", "check_in", second.id, minutes=1),
             event("e3", "undo", second.id, minutes=2),
             event("e4", "walk_in", walk_in={"name": "Новый Человек", "categories": {"group": "media"}}, minutes=3)]
    answer = send(client, headers, forum_session, *batch)
    assert [item["outcome"] for item in answer["items"]] == ["applied", "applied", "applied", "applied"]
    assert not any(item["replayed"] for item in answer["items"])
    assert answer["attended"] == 2
    before = table_snapshot()
    again = send(client, headers, forum_session, *batch)
    assert table_snapshot() == before
    assert all(item["replayed"] for item in again["items"])
    assert [(i["client_id"], i["outcome"], i["registration_id"]) for i in again["items"]] == \
        [(i["client_id"], i["outcome"], i["registration_id"]) for i in answer["items"]]
    # Attendance time is the device's; the time received is kept beside it.
    stored = db.session.scalars(sa.select(CheckinEvent).where(CheckinEvent.client_id == "e1")).one()
    assert stored.device_at == T0 and stored.received_at > T0 + timedelta(minutes=59)
    assert db.session.get(Registration, first.id).checked_in_at == T0


def test_a_device_clock_running_fast_does_not_put_the_arrival_in_the_future(client, headers, create_session,
                                                                           create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    send(client, headers, forum_session, event("fast", "check_in", registration.id, minutes=24 * 60))
    stored = db.session.scalars(sa.select(CheckinEvent)).one()
    assert stored.device_at == T0 + timedelta(days=1)
    assert db.session.get(Registration, registration.id).checked_in_at == stored.received_at


def test_the_database_refuses_a_second_event_with_the_same_client_id(app, create_session):
    forum_session = create_session()
    for _ in range(2):
        db.session.add(CheckinEvent(session_id=forum_session.id, client_id="same", kind="check_in", device_id="d",
                                    device_at=T0, outcome=CheckinOutcome.refused))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_same_person_on_two_devices_counts_once_with_both_entries_in_the_log(client, headers, create_session,
                                                                                create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    a = send(client, headers, forum_session, event("a1", "check_in", registration.id, device="tablet-a"))
    b = send(client, headers, forum_session, event("b1", "check_in", registration.id, device="tablet-b", minutes=1))
    assert (a["items"][0]["outcome"], b["items"][0]["outcome"]) == ("applied", "counted_once")
    assert b["attended"] == 1
    assert audit_count("checkin.check_in", registration.id) == 1
    assert audit_count("checkin.event", registration.id) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinEvent)
                             .where(CheckinEvent.registration_id == registration.id)) == 2


def test_an_offline_check_in_past_capacity_or_after_a_decline_is_recorded_and_flagged(client, headers, create_session,
                                                                                    create_participant, enrol):
    forum_session = create_session(capacity=1)
    seated = enrol(forum_session, create_participant("Seated Person"))
    waiting = enrol(forum_session, create_participant("Waiting Person"), "registered")
    declined = enrol(forum_session, create_participant("Declined Person"), "declined")
    assert status_of(waiting) is RegistrationStatus.waitlisted
    answer = send(client, headers, forum_session, event("s", "check_in", seated.id),
                  event("w", "check_in", waiting.id), event("d", "check_in", declined.id))
    assert [(i["outcome"], i["review"], i["status"]) for i in answer["items"]] == [
        ("applied", None, "attended"), ("applied", "past_capacity", "attended"),
        ("applied", "not_expected", "attended")]
    page = client.get(f"/sessions/{forum_session.id}/checkin/review").get_data(as_text=True)
    assert "Waiting Person" in page and "Declined Person" in page and "Seated Person" not in page


def test_an_undo_wins_only_from_the_device_that_checked_in_and_later_else_staff_reconcile(
        client, headers, create_session, create_participant, enrol):
    forum_session = create_session()
    kept = enrol(forum_session, create_participant("Kept Person"))
    undone = enrol(forum_session, create_participant("Undone Person"))
    send(client, headers, forum_session, event("c1", "check_in", kept.id, device="tablet-a"),
         event("c2", "check_in", undone.id, device="tablet-a"))
    answer = send(client, headers, forum_session,
                  event("u1", "undo", kept.id, device="tablet-b", minutes=5),
                  event("u2", "undo", undone.id, device="tablet-a", minutes=5))
    assert [(i["outcome"], i["review"]) for i in answer["items"]] == [("reconcile", "undo_conflict"), ("applied", None)]
    assert status_of(kept) is RegistrationStatus.attended
    assert status_of(undone) is RegistrationStatus.confirmed
    conflict = db.session.scalars(sa.select(CheckinEvent).where(CheckinEvent.client_id == "u1")).one()
    page = client.get(f"/sessions/{forum_session.id}/checkin/review").get_data(as_text=True)
    assert "Kept Person" in page and "Apply the undo" in page
    response = client.post(f"/sessions/{forum_session.id}/checkin/review/{conflict.id}", data={"action": "undo"})
    assert response.status_code == 302
    assert status_of(kept) is RegistrationStatus.confirmed
    assert db.session.get(CheckinEvent, conflict.id).resolved_at is not None
    assert audit_count("checkin.review", kept.id) == 1
    assert "Kept Person" not in client.get(f"/sessions/{forum_session.id}/checkin/review").get_data(as_text=True)


def test_an_offline_walk_in_is_a_new_person_flagged_for_the_duplicate_finder_never_merged(
        client, headers, create_session, create_participant):
    forum_session = create_session()
    known = create_participant("Раҳимова Нигора")
    answer = send(client, headers, forum_session,
                  event("w1", "walk_in", walk_in={"name": "Rahimova Nigora", "organisation": "Radio"}))
    item = answer["items"][0]
    assert (item["outcome"], item["review"], item["status"]) == ("applied", "possible_duplicate", "attended")
    walk_in = db.session.get(Registration, item["registration_id"]).participant
    assert walk_in.id != known.id and walk_in.possible_duplicate_of_id == known.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2


def test_a_walk_in_the_register_refuses_is_kept_as_refused_with_the_field(client, headers, create_session):
    forum_session = create_session()
    answer = send(client, headers, forum_session, event("w1", "walk_in", walk_in={"name": "   "}))
    item = answer["items"][0]
    assert item["outcome"] == "refused" and "name" in item["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0


def test_paper_and_device_check_ins_of_one_person_count_once(client, headers, create_session, create_participant,
                                                             enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant("Paper Person"))
    send(client, headers, forum_session, event("d1", "check_in", registration.id))
    response = client.post(f"/sessions/{forum_session.id}/checkin/paper", data={"registration_id": [registration.id]})
    assert response.status_code == 302
    assert audit_count("checkin.check_in", registration.id) == 1
    kinds = db.session.execute(sa.select(CheckinEvent.kind, CheckinEvent.outcome)
                               .where(CheckinEvent.registration_id == registration.id)
                               .order_by(CheckinEvent.id)).all()
    assert [(kind.value, outcome.value) for kind, outcome in kinds] == [("check_in", "applied"),
                                                                       ("paper", "counted_once")]


def test_bad_events_are_refused_naming_the_field_and_change_nothing(client, headers, create_session,
                                                                   create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    url = f"/api/v1/sessions/{forum_session.id}/checkin/events"
    no_offset = event("ok", "check_in", registration.id) | {"device_at": "2036-12-03T10:00:00"}
    for body, field in [({"events": [event("ok", "check_in", registration.id), no_offset]}, "events.1.device_at"),
                        ({"events": [event("bad id!", "check_in", registration.id)]}, "events.0.client_id"),
                        ({"events": [event("p", "paper", registration.id)]}, "events.0.kind"),
                        ({"events": []}, "events")]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422 and field in response.get_json()["error"]["fields"]
    assert status_of(registration) is RegistrationStatus.confirmed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckinEvent)) == 0


def test_another_sessions_registration_is_refused_and_not_kept(client, headers, create_session, create_participant,
                                                              enrol):
    forum_session, other = create_session(), create_session(title="Elsewhere")
    foreign = enrol(other, create_participant())
    answer = send(client, headers, forum_session, event("x", "check_in", foreign.id))
    assert answer["items"][0]["outcome"] == "refused"
    assert status_of(foreign) is RegistrationStatus.confirmed


def test_a_facilitator_syncs_only_their_own_sessions(client, create_user, token_for, create_session,
                                                     create_participant, enrol):
    mine, theirs = create_session(), create_session(title="Not mine")
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=mine.id, user_id=facilitator.id))
    db.session.commit()
    own = enrol(mine, create_participant("Own Person"))
    other = enrol(theirs, create_participant("Other Person"))
    headers = token_for(facilitator)
    assert send(client, headers, mine, event("f1", "check_in", own.id))["items"][0]["outcome"] == "applied"
    response = client.post(f"/api/v1/sessions/{theirs.id}/checkin/events",
                           json={"events": [event("f2", "check_in", other.id)]}, headers=headers)
    assert response.status_code in (403, 404)
    assert status_of(other) is RegistrationStatus.confirmed
    assert client.get(f"/sessions/{mine.id}/checkin/review", headers=headers).status_code in (302, 401, 403, 404)


def test_the_roster_holds_the_least_and_only_on_the_sessions_day(client, headers, create_session,
                                                                 create_participant, enrol):
    today = create_session(starts_at=utcnow().replace(microsecond=0), hours=1)
    later = create_session(title="Next year")
    person = enrol(today, create_participant("Раҳимова Нигора", organisation="Ministry"))
    enrol(later, create_participant("Later Person"))
    roster = client.get(f"/api/v1/sessions/{today.id}/checkin/roster", headers=headers).get_json()
    assert roster["items"] == [{"registration_id": person.id, "name": "Раҳимова Нигора", "key": "rahimova nigora",
                                "status": "confirmed", "expected": True}]
    assert roster["holds_until"] is not None
    assert client.get(f"/api/v1/sessions/{later.id}/checkin/roster",
                      headers=headers).get_json() == {"session_id": later.id, "holds_until": None, "items": []}


def test_a_cancelled_session_keeps_the_event_for_staff_and_takes_no_attendance(client, headers, create_session,
                                                                              create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant("Late Person"))
    forum_session.status = SessionStatus.cancelled
    db.session.commit()
    answer = send(client, headers, forum_session, event("c", "check_in", registration.id))
    assert (answer["items"][0]["outcome"], answer["items"][0]["review"]) == ("refused", "session_cancelled")
    assert status_of(registration) is RegistrationStatus.confirmed
    assert "Late Person" in client.get(f"/sessions/{forum_session.id}/checkin/review").get_data(as_text=True)


def test_the_service_worker_is_served_from_the_root_so_its_scope_covers_the_check_in_pages(client):
    response = client.get("/checkin-sw.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert "/sessions/" in response.get_data(as_text=True)
