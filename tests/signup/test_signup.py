"""Open registration: settings, the public form, bots and floods, confirmation by a POST, capacity, the register."""

import re
import time

import pytest
import sqlalchemy as sa

from forums.signup import rules
from models import AuditEntry, OpenSignup, Participant, ParticipantCategory, Registration, RegistrationStatus, db
from tests.conftest import category, sign_in_without_password

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def club(app, create_session, create_user):
    """A published public session whose organisers opened registration asking group and gender."""
    forum_session = create_session(title="Open evening on water", capacity=2)
    staff = app.test_client()
    sign_in_without_password(staff, create_user("organiser"))
    group, gender = category("group", "uto").dimension_id, category("gender", "woman").dimension_id
    response = staff.post(f"/staff/sessions/{forum_session.id}/signup",
                           data={"is_open": "y", "asks_organisation": "y", "asks_contact": "y",
                                 "dimensions": [str(group), str(gender)]})
    assert response.status_code == 302
    return forum_session


def opened(session_id: int, seconds_ago: int = 10) -> str:
    return rules.opened_token(SECRET, session_id, int(time.time()) - seconds_ago)


def sign_up(client, session_id: int, name: str = "Nigora Rahimova", **fields):
    data = {"name": name, "consent": "y", "opened": opened(session_id), "website": "",
            "email": "nigora@example.net", f"dimension_{category('group', 'uto').dimension_id}":
            str(category("group", "uto").id), f"dimension_{category('gender', 'woman').dimension_id}": rules.PREFER_NOT}
    data.update(fields)
    return client.post(f"/sessions/{session_id}/signup", data=data)


def code_of(response) -> str:
    found = re.search(r"code=([A-Za-z0-9_-]+)", response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)
    return found.group(1)


def test_the_public_page_links_to_the_form_and_the_form_asks_what_organisers_chose(app, client, club):
    page = client.get(f"/sessions/{club.id}").get_data(as_text=True)
    assert f"/sessions/{club.id}/signup" in page
    form = client.get(f"/sessions/{club.id}/signup").get_data(as_text=True)
    assert "Prefer not to say" in form and "United Tajik Opposition" in form
    assert 'name="organisation"' in form and 'name="email"' in form
    region = category("region", "dushanbe").dimension_id
    assert f"dimension_{region}" not in form


def test_a_sign_up_is_pending_until_the_confirmation_button_is_pressed(app, client, club):
    response = sign_up(client, club.id)
    assert response.status_code == 200
    code = code_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0
    # Opening the link (what a mail scanner does) changes nothing.
    page = client.get(f"/signup/confirm?code={code}")
    assert page.status_code == 200 and "Confirm my registration" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
    confirmed = client.post("/signup/confirm", data={"code": code})
    assert confirmed.status_code == 200
    # The code and the personal link are the person's keys: no cache keeps them.
    assert "no-store" in response.headers["Cache-Control"] and "no-store" in confirmed.headers["Cache-Control"]
    assert "/p/" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    participant = db.session.scalars(sa.select(Participant)).one()
    assert participant.name == "Nigora Rahimova" and participant.consent_at is not None
    links = db.session.scalars(sa.select(ParticipantCategory)
                               .where(ParticipantCategory.participant_id == participant.id)).all()
    # Group answered, gender "prefer not to say": one category, marked self-declared.
    assert [(link.category_id, link.is_self_declared) for link in links] == [(category("group", "uto").id, True)]
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.status is RegistrationStatus.registered
    signup = db.session.scalars(sa.select(OpenSignup)).one()
    assert signup.name == "" and signup.email == "" and signup.code_hash != code
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"signup.submit", "signup.confirm", "registration.create"} <= actions
    # Confirming again changes nothing.
    again = client.post("/signup/confirm", data={"code": code})
    assert "already confirmed" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_past_capacity_a_confirmation_joins_the_waitlist_and_names_nobody(app, client, club):
    codes = [code_of(sign_up(client, club.id, name=name, email=f"{n}@example.net"))
             for n, name in enumerate(["Aziz Karimov", "Bahrom Saidov", "Dilnoza Umarova"])]
    pages = [client.post("/signup/confirm", data={"code": code}).get_data(as_text=True) for code in codes]
    assert "waiting list" in pages[2] and "waiting list" not in pages[0]
    statuses = sorted(db.session.scalars(sa.select(Registration.status)))
    assert statuses.count(RegistrationStatus.waitlisted) == 1
    form = client.get(f"/sessions/{club.id}/signup").get_data(as_text=True)
    assert "The session is full" in form
    for name in ("Aziz Karimov", "Bahrom Saidov"):
        assert all(name not in page for page in pages[1:]) and name not in form


def test_a_person_already_in_the_register_is_flagged_never_merged(app, client, club, create_participant):
    existing = create_participant("Rahimova Nigora")
    code = code_of(sign_up(client, club.id, name="Нигора Раҳимова"))
    client.post("/signup/confirm", data={"code": code})
    db.session.expire_all()
    new = db.session.scalars(sa.select(Participant).where(Participant.id != existing.id)).one()
    assert new.possible_duplicate_of_id == existing.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 2


@pytest.mark.parametrize("change, message", [
    ({"website": "http://spam.example"}, "leave the last field empty"),
    ({"opened": "forged"}, "has been changed"),
    ({"consent": ""}, "Tick this box"),
])
def test_bots_and_missing_consent_are_refused_and_nothing_is_kept(app, client, club, change, message):
    response = sign_up(client, club.id, **change)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpenSignup)) == 0


def test_a_form_sent_faster_than_a_person_types_is_refused(app, client, club):
    response = sign_up(client, club.id, opened=opened(club.id, seconds_ago=0))
    assert response.status_code == 422 and "very quick" in response.get_data(as_text=True)


def test_fill_time_rules():
    token = rules.opened_token(SECRET, 7, 1000)
    assert rules.fill_problem(SECRET, token, 7, 1010) is None
    assert rules.fill_problem(SECRET, token, 7, 1001) == "too_fast"
    assert rules.fill_problem(SECRET, token, 7, 1000 + rules.MAX_FILL_SECONDS + 1) == "stale"
    assert rules.fill_problem(SECRET, token, 8, 1010) == "forged"
    assert rules.fill_problem("another secret that is long enough", token, 7, 1010) == "forged"


def test_sign_ups_are_throttled_per_address(app_config, create_session):
    from app import create_app
    app_config.update(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per hour")
    throttled = create_app(app_config)
    with throttled.app_context():
        client = throttled.test_client()
        statuses = [client.post("/sessions/999999/signup", data={}).status_code for _ in range(3)]
    assert statuses == [404, 404, 429]


def test_a_session_not_open_says_so_and_an_unknown_code_is_a_404(app, client, create_session):
    closed = create_session(title="Closed evening")
    page = client.get(f"/sessions/{closed.id}/signup")
    assert page.status_code == 200 and "does not take registrations" in page.get_data(as_text=True)
    assert f"/sessions/{closed.id}/signup" not in client.get(f"/sessions/{closed.id}").get_data(as_text=True)
    assert client.get("/signup/confirm?code=" + "x" * 43).status_code == 404
    private = create_session(title="Private", visibility="invitation")
    assert client.get(f"/sessions/{private.id}/signup").status_code == 404


def test_the_staff_participant_page_marks_self_declared_categories(app, client, club, create_user):
    code = code_of(sign_up(client, club.id))
    client.post("/signup/confirm", data={"code": code})
    participant_id = db.session.scalar(sa.select(Participant.id))
    staff = app.test_client()
    sign_in_without_password(staff, create_user("organiser"))
    page = staff.get(f"/staff/participants/{participant_id}").get_data(as_text=True)
    assert "self-declared" in page


def test_a_category_staff_change_is_no_longer_marked_self_declared(app, client, club):
    from forums.people.operations import ParticipantInput, update_participant

    client.post("/signup/confirm", data={"code": code_of(sign_up(client, club.id))})
    participant = db.session.scalars(sa.select(Participant)).one()
    update_participant(participant, ParticipantInput(name=participant.name, email=participant.email,
                                                     categories={"group": "uto"}))
    db.session.commit()
    assert [link.is_self_declared for link in participant.categories] == [True]
    update_participant(participant, ParticipantInput(name=participant.name, email=participant.email,
                                                     categories={"group": "media"}))
    db.session.commit()
    assert [link.is_self_declared for link in participant.categories] == [False]


def test_the_staff_home_counts_confirmed_and_pending_sign_ups(app, client, club, create_user):
    client.post("/signup/confirm", data={"code": code_of(sign_up(client, club.id))})
    sign_up(client, club.id, name="Second Person", email="second@example.net")
    staff = sign_in_without_password(app.test_client(), create_user("organiser"))
    page = staff.get("/staff/").get_data(as_text=True)
    assert "Open evening on water" in page
    assert "confirmed: 1, waiting for confirmation: 1" in page
    assert f"/staff/sessions/{club.id}/signup" in page


def test_retired_categories_are_offered_to_nobody_and_an_answer_retired_since_is_dropped(app, client, club):
    media = category("group", "media")
    media.is_retired = True
    db.session.commit()
    form = client.get(f"/sessions/{club.id}/signup").get_data(as_text=True)
    assert "United Tajik Opposition" in form and ">Media<" not in form
    code = code_of(sign_up(client, club.id))
    uto = category("group", "uto")
    uto.is_retired = True
    db.session.commit()
    assert client.post("/signup/confirm", data={"code": code}).status_code == 200
    participant = db.session.scalars(sa.select(Participant)).one()
    assert participant.categories == []
    assert db.session.scalars(sa.select(Registration.status)).one() is RegistrationStatus.registered


def test_opening_registration_shows_at_once_on_the_kept_public_page(app, client, create_session, create_user):
    forum_session = create_session(title="Evening kept in the cache")
    assert f"/sessions/{forum_session.id}/signup" not in client.get(f"/sessions/{forum_session.id}").get_data(
        as_text=True)
    staff = sign_in_without_password(app.test_client(), create_user("organiser"))
    staff.post(f"/staff/sessions/{forum_session.id}/signup", data={"is_open": "y"})
    assert f"/sessions/{forum_session.id}/signup" in client.get(f"/sessions/{forum_session.id}").get_data(
        as_text=True)


def test_unconfirmed_sign_ups_are_forgotten_by_the_purge_and_wiped_in_an_emergency(app, club, tmp_path):
    from datetime import timedelta

    from forums.data import retention
    from forums.signup import operations
    from models import utcnow

    stale, _code = operations.submit(club, operations.SignupAnswers(name="Stale Person", email="s@example.net"))
    operations.submit(club, operations.SignupAnswers(name="Fresh Person"))
    stale.created_at = utcnow() - timedelta(hours=rules.PENDING_HOURS + 1)
    db.session.commit()
    retention.purge_expired(utcnow())
    db.session.commit()
    assert list(db.session.scalars(sa.select(OpenSignup.name))) == ["Fresh Person"]
    retention.emergency_wipe(tmp_path / "wipe.bin", "a passphrase long enough to count")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpenSignup)) == 0
