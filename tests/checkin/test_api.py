"""The check-in and facilitator endpoints of the JSON API, exactly as the contract gives them."""

import pytest
import sqlalchemy as sa

from models import AuditEntry, Registration, RegistrationStatus, SessionFacilitator, db
from tests.checkin.test_checkin import enrol  # noqa: F401  (a fixture shared by the check-in tests)


@pytest.fixture
def staff_headers(create_user, token_for):
    return token_for(create_user("organiser"))


def check_in_count(registration_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "checkin.check_in", AuditEntry.object_id == registration_id))


def test_list_searches_any_script_and_counts_attended_and_expected(client, staff_headers, create_session,
                                                                 create_participant, enrol):
    forum_session = create_session()
    rahimova = enrol(forum_session, create_participant("Раҳимова Нигора"))
    enrol(forum_session, create_participant("Sharipov Daler"), "attended")
    enrol(forum_session, create_participant("Declined Person"), "declined")
    url = f"/api/v1/sessions/{forum_session.id}/checkin"
    everyone = client.get(url, headers=staff_headers).get_json()
    assert (everyone["attended"], everyone["expected"], everyone["next"]) == (1, 2, None)
    assert [item["name"] for item in everyone["items"]] == ["Раҳимова Нигора", "Sharipov Daler"]
    found = client.get(url, query_string={"q": "rahimova"}, headers=staff_headers).get_json()
    assert found["items"] == [{"registration_id": rahimova.id, "participant_id": rahimova.participant_id,
                               "name": "Раҳимова Нигора", "status": "confirmed", "checked_in_at": None}]
    assert [i["name"] for i in client.get(url, query_string={"q": "ШАРИПОВ"}, headers=staff_headers)
            .get_json()["items"]] == ["Sharipov Daler"]


def test_list_pages_follow_the_name_order(client, staff_headers, create_session, create_participant, enrol):
    forum_session = create_session()
    for name in ("Dd Four", "Aa One", "Вв Two", "Cc Three", "Ee Five"):
        enrol(forum_session, create_participant(name))
    names, url = [], f"/api/v1/sessions/{forum_session.id}/checkin?limit=2"
    while url:
        answer = client.get(url, headers=staff_headers).get_json()
        assert len(answer["items"]) <= 2
        names += [item["name"] for item in answer["items"]]
        url = answer["next"]
    # Sorted by the folded name: Вв reads as "vv".
    assert names == ["Aa One", "Cc Three", "Dd Four", "Ee Five", "Вв Two"]


def test_check_in_twice_with_the_same_request_id_counts_once(client, staff_headers, create_session,
                                                           create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant())
    url = f"/api/v1/sessions/{forum_session.id}/checkin"
    body = {"registration_id": registration.id, "request_id": "4f1c-door-tablet-17"}
    first = client.post(url, json=body, headers=staff_headers)
    second = client.post(url, json=body, headers=staff_headers)
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    answer = first.get_json()
    assert answer["status"] == "attended" and answer["id"] == registration.id
    assert answer["session_id"] == forum_session.id and answer["checked_in_at"].endswith("+05:00")
    # The same person again under a new request id still counts once.
    assert client.post(url, json={"registration_id": registration.id}, headers=staff_headers).status_code == 200
    assert check_in_count(registration.id) == 1


def test_a_request_id_reused_for_someone_else_is_a_conflict(client, staff_headers, create_session,
                                                          create_participant, enrol):
    forum_session = create_session()
    first = enrol(forum_session, create_participant("First Person"))
    second = enrol(forum_session, create_participant("Second Person"))
    url = f"/api/v1/sessions/{forum_session.id}/checkin"
    client.post(url, json={"registration_id": first.id, "request_id": "r1"}, headers=staff_headers)
    response = client.post(url, json={"registration_id": second.id, "request_id": "r1"}, headers=staff_headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert db.session.get(Registration, second.id).status is RegistrationStatus.confirmed


@pytest.mark.parametrize(("body", "field"), [
    ({"registration_id": "7"}, "registration_id"),
    ({"registration_id": 1, "request_id": ""}, "request_id"),
    ({"registration_id": 1, "request_id": "x" * 81}, "request_id"),
    ({"registration_id": 1, "status": "attended"}, "status"),
    ({}, "registration_id"),
])
def test_invalid_check_in_bodies_are_refused(client, staff_headers, create_session, body, field):
    forum_session = create_session()
    response = client.post(f"/api/v1/sessions/{forum_session.id}/checkin", json=body, headers=staff_headers)
    assert response.status_code == 422 and field in response.get_json()["error"]["fields"]


def test_a_registration_of_another_session_is_not_checked_in(client, staff_headers, create_session,
                                                           create_participant, enrol):
    day_one, day_two = create_session(title="Day one"), create_session(title="Day two")
    other = enrol(day_two, create_participant())
    response = client.post(f"/api/v1/sessions/{day_one.id}/checkin", json={"registration_id": other.id},
                           headers=staff_headers)
    assert response.status_code == 404
    assert db.session.get(Registration, other.id).status is RegistrationStatus.confirmed


def test_delete_returns_the_registration_to_its_status_before_check_in(client, staff_headers, create_session,
                                                                     create_participant, enrol):
    forum_session = create_session()
    registration = enrol(forum_session, create_participant(), "registered")
    url = f"/api/v1/sessions/{forum_session.id}/checkin"
    client.post(url, json={"registration_id": registration.id}, headers=staff_headers)
    undone = client.delete(f"{url}/{registration.id}", headers=staff_headers)
    assert undone.status_code == 200
    assert undone.get_json()["status"] == "registered" and undone.get_json()["checked_in_at"] is None
    assert client.delete(f"{url}/999999", headers=staff_headers).status_code == 404


def test_facilitators_act_on_their_sessions_only(client, create_user, token_for, create_session,
                                                create_participant, enrol):
    mine, hidden = create_session(visibility="invitation"), create_session(visibility="invitation")
    registration = enrol(hidden, create_participant())
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=mine.id, user_id=facilitator.id))
    db.session.commit()
    headers = token_for(facilitator)
    assert client.get(f"/api/v1/sessions/{mine.id}/checkin", headers=headers).status_code == 200
    for response in (
        client.get(f"/api/v1/sessions/{hidden.id}/checkin", headers=headers),
        client.post(f"/api/v1/sessions/{hidden.id}/checkin", json={"registration_id": registration.id},
                    headers=headers),
        client.delete(f"/api/v1/sessions/{hidden.id}/checkin/{registration.id}", headers=headers),
        client.get(f"/api/v1/sessions/{hidden.id}/checkin/summary", headers=headers),
    ):
        assert response.status_code == 404
    assert db.session.get(Registration, registration.id).status is RegistrationStatus.confirmed
    assert client.get(f"/api/v1/sessions/{mine.id}/checkin").status_code == 401


def test_staff_assign_facilitators_by_email(client, create_user, token_for, create_session):
    forum_session = create_session(visibility="invitation")
    facilitator = create_user("facilitator", email="door@example.org")
    organiser = create_user("organiser")
    url = f"/api/v1/sessions/{forum_session.id}/facilitators"
    headers = token_for(organiser)
    created = client.post(url, json={"email": "door@example.org"}, headers=headers)
    assert created.status_code == 201
    assert created.get_json() == {"session_id": forum_session.id, "user_id": facilitator.id,
                                  "email": "door@example.org"}
    assert client.post(url, json={"email": "door@example.org"}, headers=headers).status_code == 409
    not_a_facilitator = client.post(url, json={"email": organiser.email}, headers=headers)
    assert not_a_facilitator.status_code == 422 and "email" in not_a_facilitator.get_json()["error"]["fields"]
    assert client.post("/api/v1/sessions/999999/facilitators", json={"email": "door@example.org"},
                       headers=headers).status_code == 404
    # The facilitator may now see the session's check-in, but not assign others.
    facilitator_headers = token_for(facilitator)
    assert client.get(f"/api/v1/sessions/{forum_session.id}/checkin", headers=facilitator_headers).status_code == 200
    assert client.post(url, json={"email": "door@example.org"}, headers=facilitator_headers).status_code == 403


def test_summary_gives_counts_and_the_attended_balance_without_names(client, staff_headers, create_session,
                                                                    create_participant, enrol):
    forum_session = create_session(capacity=5)
    enrol(forum_session, create_participant("Раҳимова Нигора", group="media"), "attended")
    enrol(forum_session, create_participant("Sharipov Daler", group="uto"))
    summary = client.get(f"/api/v1/sessions/{forum_session.id}/checkin/summary", headers=staff_headers).get_json()
    assert {key: summary[key] for key in ("attended", "expected", "seated", "capacity")} == {
        "attended": 1, "expected": 2, "seated": 2, "capacity": 5}
    assert summary["balance"]["stage"] == "attended" and summary["balance"]["total"] == 1
    group = next(d for d in summary["balance"]["dimensions"] if d["key"] == "group")
    assert next(c for c in group["categories"] if c["key"] == "media")["count"] == 1
    assert "Раҳимова" not in str(summary) and "Sharipov" not in str(summary)


def test_the_openapi_document_describes_the_checkin_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/sessions/{session_id}/checkin"]) == {"get", "post"}
    assert "delete" in paths["/sessions/{session_id}/checkin/{registration_id}"]
    assert "post" in paths["/sessions/{session_id}/facilitators"]
    assert "get" in paths["/sessions/{session_id}/checkin/summary"]
