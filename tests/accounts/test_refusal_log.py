"""Refusals are logged (ASVS 16.3.2; SECURITY.md T05, T22): who, what and where, never a personal value.

T22, facilitator scope: a facilitator acting, through the pages and the API, on registrations named in
the address that are not offered to them for their session is answered 404, nothing is written, the denial
is logged, and no name is shown.
"""

import logging

import pytest
import sqlalchemy as sa

from models import AuditEntry, Registration, SessionFacilitator, db
from tests.conftest import sign_in_without_password

SECRET_NAME = "Farrukh Privatov"


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.getMessage().startswith("Refused ")]


@pytest.fixture
def scene(create_user, create_session, create_participant, create_registration):
    """A facilitator assigned to one session, and a person registered in another, invitation-only one."""
    facilitator = create_user("facilitator")
    own = create_session(title="Own round table", visibility="invitation")
    other = create_session(title="Closed round table Sarband", visibility="invitation")
    db.session.add(SessionFacilitator(session_id=own.id, user_id=facilitator.id))
    person = create_participant(SECRET_NAME, organisation="Sarband Union")
    registration = create_registration(other, person, "registered")
    return facilitator, own, other, person, registration


def test_a_refusal_names_the_caller_the_rule_and_the_status_but_no_typed_value(app, client, scene, token_for,
                                                                               caplog):
    facilitator, _own, other, person, _registration = scene
    caplog.set_level(logging.INFO)
    sign_in_without_password(client, facilitator)

    assert client.get(f"/sessions/{other.id}/checkin?q=Privatov").status_code == 404
    page, = _refusals(caplog)
    assert page == (f"Refused GET /sessions/<int:session_id>/checkin (checkin.page session_id={other.id}) "
                    f"with 404 for user {facilitator.id} (facilitator)")

    caplog.clear()
    headers = token_for(facilitator)
    assert client.get(f"/api/v1/participants/{person.id}?name=Privatov", headers=headers).status_code == 403
    api, = _refusals(caplog)
    assert api.startswith("Refused GET /api/v1/participants/<int:participant_id> (api.get_participant "
                          f"participant_id={person.id}) with 403 for user {facilitator.id} (facilitator)")

    caplog.clear()
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/sessions", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert _refusals(caplog) == ["Refused GET /api/v1/sessions (api.list_sessions) with 401 for an anonymous caller"]

    caplog.clear()
    unknown_link = "x" * 43
    assert anonymous.get(f"/p/{unknown_link}").status_code == 404
    link, = _refusals(caplog)
    assert link == "Refused GET /p/<token> (personal.home) with 404 for an anonymous caller"

    everything = "\n".join(record.getMessage() for record in caplog.records)
    for typed in ("Privatov", unknown_link, "not-a-token", facilitator.email):
        assert typed not in everything


def test_an_address_no_route_knows_is_not_a_refusal(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/no-such-page").status_code == 404
    assert _refusals(caplog) == []


def _state() -> list[tuple]:
    """What the refused calls must leave as it was: every registration and the audit log."""
    db.session.expire_all()
    registrations = db.session.execute(
        sa.select(Registration.id, Registration.session_id, Registration.status, Registration.checked_in_at)
        .order_by(Registration.id)).all()
    return [*registrations, db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))]


def test_t22_a_facilitator_cannot_act_on_registrations_of_another_session(app, client, scene, token_for, caplog):
    facilitator, own, other, _person, registration = scene
    headers = token_for(facilitator)
    sign_in_without_password(client, facilitator)
    caplog.set_level(logging.INFO)
    before = _state()
    calls = [
        # The registration belongs to another session, named through the facilitator's own one ...
        ("POST", f"/sessions/{own.id}/checkin/{registration.id}", {"data": {"request_id": "r1"}}),
        ("POST", f"/sessions/{own.id}/checkin/{registration.id}/undo", {"data": {}}),
        ("DELETE", f"/api/v1/sessions/{own.id}/checkin/{registration.id}", {"headers": headers}),
        # ... or through its own session.
        ("POST", f"/sessions/{other.id}/checkin/{registration.id}", {"data": {"request_id": "r2"}}),
        ("POST", f"/api/v1/sessions/{other.id}/checkin", {"json": {"registration_id": registration.id},
                                                          "headers": headers}),
        ("GET", f"/api/v1/sessions/{other.id}/checkin?q=Privatov", {"headers": headers}),
        ("GET", f"/sessions/{other.id}/checkin/sheet", {}),
    ]
    for method, url, kwargs in calls:
        caplog.clear()
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code)
        assert SECRET_NAME not in response.get_data(as_text=True)
        assert len(_refusals(caplog)) == 1, (method, url, caplog.text)
        assert f"user {facilitator.id} (facilitator)" in _refusals(caplog)[0]
    assert _state() == before
