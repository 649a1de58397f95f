"""Need-to-know at the door (issue 14 items 1-3; SECURITY.md T22, T23).

A facilitator acts only on the people of their own session or on the candidates the walk-in form
offered them; walk-in hints never read the register to them; the live panel shows no count that
moves with one check-in. Staff keep the register and the exact figures.
"""

import re

import pytest
import sqlalchemy as sa

from forums.checkin import door as checkin
from forums.checkin import scope
from models import (
    AuditEntry,
    BalancePolicy,
    Participant,
    Quota,
    Registration,
    RegistrationStatus,
    SessionFacilitator,
    db,
)
from tests.checkin.test_checkin import enrol  # noqa: F401  (a fixture shared by the check-in tests)
from tests.conftest import category, sign_in_without_password

SECRET_NAME = "Раҳимова Нигора"
SECRET_ORGANISATION = "Sarband Union"


@pytest.fixture
def door(client, create_user, create_session):
    """A facilitator signed in and assigned to an invitation-only session, and another session they do not run."""
    facilitator = create_user("facilitator")
    own = create_session(title="Own round table", visibility="invitation", capacity=40)
    other = create_session(title="Closed round table", visibility="invitation")
    db.session.add(SessionFacilitator(session_id=own.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, facilitator)
    return facilitator, own, other


def audit_entries(action):
    return db.session.execute(sa.select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.detail)
                              .where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def registrations_of(session_id):
    return db.session.scalars(sa.select(Registration.participant_id).where(Registration.session_id == session_id)
                              .execution_options(populate_existing=True)).all()


def walk_in(client, session_id, name, **fields):
    form = {"name": name, "cat_group": "media", "cat_region": "dushanbe", "cat_gender": "woman", **fields}
    return client.post(f"/sessions/{session_id}/checkin/walk-in", data=form)


# Item 1: acting on a person id ---------------------------------------------------------------------

def test_a_facilitator_cannot_check_in_someone_from_elsewhere_in_the_register(client, door, create_participant,
                                                                             enrol):
    _facilitator, own, other = door
    outsider = create_participant(SECRET_NAME, organisation=SECRET_ORGANISATION, group="uto", region="karategin")
    enrol(other, outsider)
    before = checkin.attendance(own.id, own.capacity)
    response = client.post(f"/sessions/{own.id}/checkin/participants/{outsider.id}")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert SECRET_NAME not in body and SECRET_ORGANISATION not in body
    # Nothing written: not registered here, not counted on the panel ...
    assert outsider.id not in registrations_of(own.id)
    assert checkin.attendance(own.id, own.capacity) == before
    # ... but the refusal is in the audit log, by id only.
    assert audit_entries("checkin.out_of_scope") == [("participant", outsider.id, f"session {own.id}")]


def test_an_unknown_id_is_refused_exactly_like_a_known_one(client, door):
    _facilitator, own, _other = door
    response = client.post(f"/sessions/{own.id}/checkin/participants/999999")
    assert response.status_code == 404
    assert audit_entries("checkin.out_of_scope") == [("participant", 999999, f"session {own.id}")]


def test_a_facilitator_may_check_in_someone_on_their_list_by_id(client, door, create_participant, enrol):
    _facilitator, own, _other = door
    expected = enrol(own, create_participant("Sharipov Daler"))
    assert client.post(f"/sessions/{own.id}/checkin/participants/{expected.participant_id}").status_code == 302
    assert db.session.get(Registration, expected.id, populate_existing=True).status is RegistrationStatus.attended
    assert audit_entries("checkin.out_of_scope") == []


def test_an_offered_candidate_may_be_checked_in_only_with_the_offer_of_this_form(client, door, create_user,
                                                                                create_participant, enrol):
    facilitator, own, other = door
    # Declined, so not on the check-in list: the facilitator can reach them only through the walk-in form.
    declined = enrol(own, create_participant(SECRET_NAME, organisation=SECRET_ORGANISATION), "declined")
    url = f"/sessions/{own.id}/checkin/participants/{declined.participant_id}"
    assert client.post(url).status_code == 404
    foreign_offers = [
        scope.sign_offer(other.id, facilitator.id, [declined.participant_id]),  # another session
        scope.sign_offer(own.id, create_user("facilitator").id, [declined.participant_id]),  # another user
        scope.sign_offer(own.id, facilitator.id, [declined.participant_id + 1]),  # someone else
        "not-a-token",
    ]
    for offer in foreign_offers:
        assert client.post(url, data={"offer": offer}).status_code == 404
    assert len(audit_entries("checkin.out_of_scope")) == 1 + len(foreign_offers)
    page = walk_in(client, own.id, "Rakhimova Nigora").get_data(as_text=True)
    assert "Is it one of these people?" in page and SECRET_NAME in page
    offer = re.search(r'name="offer" value="([^"]+)"', page).group(1)
    assert client.post(url, data={"offer": offer}).status_code == 302
    assert db.session.get(Registration, declined.id, populate_existing=True).status is RegistrationStatus.attended


def test_staff_still_check_in_anyone_in_the_register(client, create_user, create_session, create_participant, enrol):
    own, other = create_session(), create_session(title="Elsewhere")
    known = create_participant(SECRET_NAME)
    enrol(other, known)
    sign_in_without_password(client, create_user("organiser"))
    assert client.post(f"/sessions/{own.id}/checkin/participants/{known.id}").status_code == 302
    assert known.id in registrations_of(own.id)


# Item 2: walk-in hints -----------------------------------------------------------------------------

def test_walk_in_hints_never_read_the_register_to_a_facilitator(client, door, create_participant, enrol):
    _facilitator, own, other = door
    known = create_participant(SECRET_NAME, organisation=SECRET_ORGANISATION)
    enrol(other, known)
    response = walk_in(client, own.id, "Rakhimova Nigora", organisation="Women's council")
    # No hint at all: the walk-in is added and checked in as if nobody in the register resembled them.
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert SECRET_ORGANISATION not in page and "Is it one of these people?" not in page
    assert "Rakhimova Nigora is registered and checked in." in page
    new = db.session.scalars(sa.select(Participant).where(Participant.name == "Rakhimova Nigora")).one()
    assert new.id in registrations_of(own.id)
    # Staff are told instead: the new person is flagged, and the log says so.
    assert new.possible_duplicate_of_id == known.id
    assert audit_entries("participant.possible_duplicate") == [
        ("participant", new.id, f"similar to participant {known.id}")]
    assert audit_entries("checkin.duplicate_hints") == []


def test_a_walk_in_nobody_resembles_is_not_flagged(client, door):
    _facilitator, own, _other = door
    assert walk_in(client, own.id, "Odinaev Bakhtiyor").status_code == 302
    new = db.session.scalars(sa.select(Participant).where(Participant.name == "Odinaev Bakhtiyor")).one()
    assert new.possible_duplicate_of_id is None and audit_entries("participant.possible_duplicate") == []


def test_a_facilitator_is_offered_only_near_exact_names_of_their_session_without_organisation(
        client, door, create_participant, enrol):
    _facilitator, own, _other = door
    enrol(own, create_participant(SECRET_NAME, organisation=SECRET_ORGANISATION), "cancelled")
    enrol(own, create_participant("Rahimova Nigora Saidovna", organisation="Khovar"), "cancelled")
    page = walk_in(client, own.id, "Rakhimova Nigora").get_data(as_text=True)
    assert "This session already has someone with this name." in page
    assert SECRET_NAME in page and SECRET_ORGANISATION not in page
    # Alike (0.875) but not near-exact: not offered.
    assert "Saidovna" not in page and "Khovar" not in page


def test_staff_see_likely_duplicates_with_their_organisation_and_the_flag_on_the_record(
        client, door, create_user, create_participant, enrol):
    _facilitator, own, other = door
    known = create_participant(SECRET_NAME, organisation=SECRET_ORGANISATION)
    enrol(other, known)
    walk_in(client, own.id, "Rakhimova Nigora")
    flagged = db.session.scalars(sa.select(Participant).where(Participant.name == "Rakhimova Nigora")).one()
    sign_in_without_password(client, create_user("organiser"))
    hints = walk_in(client, own.id, "Rakhimova Nigora").get_data(as_text=True)
    assert SECRET_NAME in hints and SECRET_ORGANISATION in hints
    record = client.get(f"/staff/participants/{flagged.id}").get_data(as_text=True)
    assert "Possible duplicate" in record and f"/staff/participants/{known.id}" in record
    # Staff compare the two and find they are two people: the flag goes, and the log says so.
    client.post(f"/staff/participants/{flagged.id}/not-a-duplicate")
    assert db.session.get(Participant, flagged.id, populate_existing=True).possible_duplicate_of_id is None
    assert audit_entries("participant.duplicate_cleared") == [
        ("participant", flagged.id, f"was similar to participant {known.id}")]
    assert "Possible duplicate" not in client.get(f"/staff/participants/{flagged.id}").get_data(as_text=True)


# Item 3: the live panel ----------------------------------------------------------------------------

def _balance_part(panel_html):
    """The panel below its head counts: what must not move when one person is checked in or out."""
    return panel_html.split("Balance of those present", 1)[1]


def test_checking_one_person_in_and_out_does_not_show_their_categories_to_a_facilitator(
        client, door, create_user, create_participant, enrol):
    _facilitator, own, _other = door
    media = category("group", "media")
    policy = BalancePolicy(session_id=own.id)
    policy.quotas.append(Quota(dimension_id=media.dimension_id, category_id=media.id, max_share=0.5))
    db.session.add(policy)
    db.session.commit()
    journalist = enrol(own, create_participant("Karimov Jamshed", group="media", region="gorno_badakhshan",
                                               gender="man"))
    url = f"/sessions/{own.id}/checkin/panel"
    before = client.get(url).get_data(as_text=True)
    checkin.check_in_once(own.id, journalist.id)
    db.session.commit()
    during = client.get(url).get_data(as_text=True)
    assert "1 of 1 expected have arrived." in during
    assert _balance_part(during) == _balance_part(before)
    for revealing in ("Media", "Gorno-Badakhshan", "above the maximum", "<td>1</td>", "100"):
        assert revealing not in during
    checkin.undo_check_in(own.id, journalist.id)
    db.session.commit()
    assert _balance_part(client.get(url).get_data(as_text=True)) == _balance_part(before)
    # Staff see the exact figures.
    sign_in_without_password(client, create_user("organiser"))
    checkin.check_in_once(own.id, journalist.id)
    db.session.commit()
    exact = client.get(url).get_data(as_text=True)
    assert "Media" in exact and "<td>1</td>" in exact and "above the maximum" in exact


def test_a_facilitator_sees_where_categories_stand_but_no_counts_once_enough_are_present(
        client, door, create_participant, enrol):
    _facilitator, own, _other = door
    government = category("group", "government")
    policy = BalancePolicy(session_id=own.id)
    policy.quotas.append(Quota(dimension_id=government.dimension_id, category_id=government.id, max_share=0.5))
    db.session.add(policy)
    db.session.commit()
    for n in range(6):
        registration = enrol(own, create_participant(f"Official {n}", group="government"))
        checkin.check_in_once(own.id, registration.id)
    latecomer = enrol(own, create_participant("Teacher One", group="academia"))
    enrol(own, create_participant("Student Two", group="academia"))  # still expected after the latecomer
    db.session.commit()
    url = f"/sessions/{own.id}/checkin/panel"
    panel = client.get(url).get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", panel).split())
    assert "Group: outside the policy" in text and "above the maximum" in text
    assert not re.search(r"<td>\d+</td>", panel) and "counted)" not in panel and "%" not in panel
    # Checking in the seventh person, an academic, moves nothing a facilitator sees but the head count.
    checkin.check_in_once(own.id, latecomer.id)
    db.session.commit()
    assert _balance_part(client.get(url).get_data(as_text=True)) == _balance_part(panel)


def test_the_summary_json_gives_a_facilitator_no_count_per_category(client, door, create_user, token_for,
                                                                    create_participant, enrol):
    facilitator, own, _other = door
    enrol(own, create_participant("Karimov Jamshed", group="media"), "attended")
    url = f"/api/v1/sessions/{own.id}/checkin/summary"
    coarse = client.get(url, headers=token_for(facilitator)).get_json()
    assert (coarse["attended"], coarse["expected"]) == (1, 1)
    assert coarse["balance"]["detail"] == "coarse" and coarse["balance"]["total"] == 1
    dimensions = coarse["balance"]["dimensions"]
    assert all(not dimension["shown"] and dimension["categories"] == [] for dimension in dimensions)
    assert "media" not in str(coarse["balance"]) and "count" not in str(coarse["balance"])
    exact = client.get(url, headers=token_for(create_user("organiser"))).get_json()
    group = next(d for d in exact["balance"]["dimensions"] if d["key"] == "group")
    assert next(c for c in group["categories"] if c["key"] == "media")["count"] == 1
