"""API: the participant register and registrations; capacity, waitlist, need-to-know and the audit of reads."""

import pytest
import sqlalchemy as sa

from models import (
    AuditEntry,
    Participant,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    db,
)
from tests.people.test_dimensions_api import assert_api_error, row_count


def _audited(action: str, object_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == action, AuditEntry.object_id == object_id))


def _register(client, headers, forum_session, participant, status="registered"):
    return client.post(f"/api/v1/sessions/{forum_session.id}/registrations", headers=headers,
                       json={"participant_id": participant.id, "status": status})


@pytest.fixture
def staff(create_user, token_for) -> dict[str, str]:
    """Headers of an organiser's token."""
    return token_for(create_user("organiser"))


def test_staff_add_a_participant_with_a_category_per_dimension(client, staff):
    response = client.post("/api/v1/participants", headers=staff, json={
        "name": "Раҳимова Нигора", "organisation": "Women's Council of Kulyab", "email": "Nigora@Example.org",
        "phone": "+992 37 221 00 00", "languages": ["tg", "ru"],
        "categories": {"group": "civil_society", "region": "kulyab", "gender": "woman"},
    })
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "id": body["id"], "name": "Раҳимова Нигора", "organisation": "Women's Council of Kulyab",
        "email": "nigora@example.org", "phone": "+992 37 221 00 00", "languages": ["tg", "ru"],
        "categories": {"group": "civil_society", "region": "kulyab", "gender": "woman"},
        "consent_at": body["consent_at"], "version": 1,
    }
    assert body["consent_at"].endswith("+05:00")


@pytest.mark.parametrize(("changes", "field"), [
    ({"categories": {"group": "rebels"}}, "categories.group"),
    ({"categories": {"religion": "any"}}, "categories.religion"),
    ({"categories": {"group": ["uto"]}}, "categories.group"),
    ({"categories": ["uto"]}, "categories"),
    ({"languages": ["klingon"]}, "languages"),
    ({"languages": [["ru"]]}, "languages"),
    ({"email": "not-an-address"}, "email"),
    ({"name": ""}, "name"),
    ({"political_group": "uto"}, "political_group"),
])
def test_invalid_participants_are_422_and_add_nothing(client, staff, changes, field):
    before = (row_count(Participant), row_count(AuditEntry))
    body = {"name": "Sharipov Daler", "categories": {"group": "academia"}} | changes
    assert_api_error(client.post("/api/v1/participants", headers=staff, json=body), 422, field)
    assert (row_count(Participant), row_count(AuditEntry)) == before


def test_reading_a_participant_is_staff_only_and_audited(client, staff, create_user, token_for,
                                                         create_participant):
    person = create_participant("Sharipov Daler", group="academia")
    body = client.get(f"/api/v1/participants/{person.id}", headers=staff).get_json()
    assert body["categories"] == {"group": "academia", "region": "dushanbe", "gender": "woman"}
    assert _audited("participant.read", person.id) == 1
    facilitator = token_for(create_user("facilitator"))
    assert_api_error(client.get(f"/api/v1/participants/{person.id}", headers=facilitator), 403)
    assert_api_error(client.get(f"/api/v1/participants/{person.id}"), 401)
    assert_api_error(client.get("/api/v1/participants/9999", headers=staff), 404)
    assert _audited("participant.read", person.id) == 1


def test_patch_participant_keeps_what_it_does_not_mention(client, staff, create_participant):
    person = create_participant("Sharipov Daler", organisation="Academy of Sciences", group="academia")
    response = client.patch(f"/api/v1/participants/{person.id}", headers=staff,
                            json={"categories": {"region": "leninabad", "gender": None}, "version": 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["organisation"] == "Academy of Sciences" and body["name"] == "Sharipov Daler"
    assert body["categories"] == {"group": "academia", "region": "leninabad"}
    assert_api_error(client.patch(f"/api/v1/participants/{person.id}", headers=staff,
                               json={"name": "Stale", "version": 1}), 409)
    db.session.expire_all()
    assert db.session.get(Participant, person.id).name == "Sharipov Daler"


def test_registration_past_capacity_is_waitlisted_and_a_freed_seat_promotes(client, staff, create_session,
                                                                            create_participant):
    forum_session = create_session(capacity=1)
    first, second = create_participant("Person One"), create_participant("Person Two")
    seated = _register(client, staff, forum_session, first)
    assert seated.status_code == 201
    assert seated.get_json() == {"id": seated.get_json()["id"], "participant_id": first.id,
                                 "session_id": forum_session.id, "status": "registered", "checked_in_at": None}
    waiting = _register(client, staff, forum_session, second)
    assert waiting.status_code == 201 and waiting.get_json()["status"] == "waitlisted"
    # the waitlisted person cannot take a seat that is not free
    error = assert_api_error(client.patch(f"/api/v1/registrations/{waiting.get_json()['id']}", headers=staff,
                                       json={"status": "confirmed"}), 409)
    assert "full" in error["message"]
    cancelled = client.patch(f"/api/v1/registrations/{seated.get_json()['id']}", headers=staff,
                             json={"status": "cancelled"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    db.session.expire_all()
    assert db.session.get(Registration, waiting.get_json()["id"]).status is RegistrationStatus.registered


def test_an_invitation_does_not_take_a_seat(client, staff, create_session, create_participant):
    forum_session = create_session(capacity=1)
    invited = _register(client, staff, forum_session, create_participant("Guest"), status="invited")
    assert invited.get_json()["status"] == "invited"
    assert _register(client, staff, forum_session, create_participant("Seated")).get_json()["status"] == "registered"


def test_a_duplicate_registration_is_409_and_leaves_one_row(client, staff, create_session, create_participant):
    forum_session = create_session()
    person = create_participant()
    assert _register(client, staff, forum_session, person).status_code == 201
    assert_api_error(_register(client, staff, forum_session, person, status="invited"), 409, "participant_id")
    assert row_count(Registration) == 1


def test_invalid_registrations_are_refused(client, staff, create_session, create_participant, create_user,
                                           token_for):
    forum_session = create_session()
    person = create_participant()
    assert_api_error(_register(client, staff, forum_session, person, status="attended"), 422, "status")
    assert_api_error(client.post(f"/api/v1/sessions/{forum_session.id}/registrations", headers=staff,
                              json={"participant_id": 9999, "status": "invited"}), 422, "participant_id")
    assert_api_error(client.post(f"/api/v1/sessions/{forum_session.id}/registrations", headers=staff,
                              json={"participant_id": "1", "status": "invited"}), 422, "participant_id")
    assert_api_error(client.post("/api/v1/sessions/9999/registrations", headers=staff,
                              json={"participant_id": person.id, "status": "invited"}), 404)
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    assert_api_error(_register(client, token_for(facilitator), forum_session, person), 403)
    registration = _register(client, staff, forum_session, person).get_json()
    assert_api_error(client.patch(f"/api/v1/registrations/{registration['id']}", headers=staff,
                               json={"status": "maybe"}), 422, "status")
    assert_api_error(client.patch(f"/api/v1/registrations/{registration['id']}", headers=token_for(facilitator),
                               json={"status": "cancelled"}), 403)
    # Role first (forums.accounts.permissions): changing registrations is for staff, whichever session it is.
    assert_api_error(client.patch(f"/api/v1/registrations/{registration['id']}",
                               headers=token_for(create_user("facilitator")), json={"status": "cancelled"}), 403)
    assert_api_error(client.patch("/api/v1/registrations/9999", headers=staff, json={"status": "cancelled"}), 404)
    assert row_count(Registration) == 1
    assert db.session.get(Registration, registration["id"]).status is RegistrationStatus.registered


def test_staff_list_a_sessions_registrations_with_names_and_categories(client, staff, create_session,
                                                                       create_participant):
    forum_session = create_session()
    seated = create_participant("Раҳимова Нигора", group="uto", region="karategin")
    invited = create_participant("Sharipov Daler", group="government", gender="man")
    _register(client, staff, forum_session, seated)
    _register(client, staff, forum_session, invited, status="invited")
    url = f"/api/v1/sessions/{forum_session.id}/registrations"
    body = client.get(url, headers=staff).get_json()
    assert body["next"] is None
    first = body["items"][0]
    assert first == {"id": first["id"], "participant_id": seated.id, "session_id": forum_session.id,
                     "status": "registered", "checked_in_at": None, "name": "Раҳимова Нигора",
                     "categories": {"group": "uto", "region": "karategin", "gender": "woman"}}
    invited_only = client.get(f"{url}?status=invited", headers=staff).get_json()["items"]
    assert [item["name"] for item in invited_only] == ["Sharipov Daler"]
    assert _audited("registrations.read", forum_session.id) == 2
    assert_api_error(client.get(f"{url}?status=maybe", headers=staff), 422, "status")


def test_only_staff_read_registration_lists(client, create_user, token_for, create_session):
    invitation = create_session(visibility="invitation")
    public = create_session()
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=invitation.id, user_id=facilitator.id))
    db.session.commit()
    headers = token_for(facilitator)
    assert_api_error(client.get(f"/api/v1/sessions/{invitation.id}/registrations", headers=headers), 403)
    assert_api_error(client.get(f"/api/v1/sessions/{public.id}/registrations", headers=headers), 403)
    other = token_for(create_user("facilitator"))
    # Role first (forums.accounts.permissions): the list is for staff, so every facilitator hears 403.
    assert_api_error(client.get(f"/api/v1/sessions/{invitation.id}/registrations", headers=other), 403)
    assert_api_error(client.get(f"/api/v1/sessions/{public.id}/registrations"), 401)
    assert _audited("registrations.read", invitation.id) == 0


def test_registration_list_needs_the_same_queries_for_5_or_50_rows(client, staff, create_session,
                                                                   create_participant, count_queries):
    from forums.registrations.operations import register

    forum_session = create_session(capacity=100)

    def add_registrations(n: int) -> None:
        for _ in range(n):
            register(forum_session, create_participant(), RegistrationStatus.registered)
        db.session.commit()

    def queries_for_list(expected: int) -> int:
        with count_queries() as counted:
            response = client.get(f"/api/v1/sessions/{forum_session.id}/registrations", headers=staff)
        assert len(response.get_json()["items"]) == expected
        return counted()

    add_registrations(5)
    few = queries_for_list(5)
    add_registrations(45)
    assert queries_for_list(50) == few
