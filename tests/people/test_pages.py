"""The participant register, dimensions and categories, and the registrations of a session."""

import re

import pytest
import sqlalchemy as sa

from forums.registrations.operations import register
from models import (
    AuditEntry,
    BalancePolicy,
    Category,
    Dimension,
    Participant,
    Quota,
    Registration,
    RegistrationStatus,
    db,
)
from tests.conftest import category
from tests.conftest import sign_in_without_password as sign_in


@pytest.fixture
def staff(client, create_user):
    """A signed-in organiser's client."""
    return sign_in(client, create_user("organiser"))


def participant_data(**overrides):
    data = {"name": "Раҳимова Нигора", "organisation": "Women's Union", "email": "Nigora@Example.org",
            "phone": "+992 37 221 00 00", "languages": ["ru", "tg"], "cat_group": "civil_society",
            "cat_region": "kulyab", "cat_gender": "woman"}
    data.update(overrides)
    return data


def post_and_follow(client, url, data):
    """POST a form that redirects, then open the page it redirects to (where the flashes show)."""
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"])


def statuses(forum_session):
    db.session.expire_all()
    return {r.participant.name: r.status.value for r in db.session.scalars(
        sa.select(Registration).where(Registration.session_id == forum_session.id))}


def audit_actions():
    return [(e.action, e.detail) for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


# The register -------------------------------------------------------------------------------------

def test_add_a_participant_with_one_category_per_dimension(staff):
    response = staff.post("/staff/participants/new", data=participant_data())
    assert response.status_code == 302
    person = db.session.scalars(sa.select(Participant)).one()
    assert person.email == "nigora@example.org" and person.language_list == ["ru", "tg"]
    assert {link.category.key for link in person.categories} == {"civil_society", "kulyab", "woman"}
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Раҳимова Нигора" in page and "Kulyab" in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": ""}, "This field is required."),
    ({"email": "not-an-address"}, "Not an e-mail address."),
    ({"cat_group": "rebels"}, "Not a valid choice"),
    ({"languages": ["xx"]}, "is not a valid choice"),
])
def test_invalid_participant_is_refused_and_nothing_saved(staff, overrides, message):
    response = staff.post("/staff/participants/new", data=participant_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) == 0


def test_edit_a_participant_and_refuse_a_stale_copy(staff, create_participant):
    person = create_participant("Sharipov Daler", group="academia")
    form = staff.get(f"/staff/participants/{person.id}/edit").get_data(as_text=True)
    assert 'value="academia" selected' in form or "selected value=\"academia\"" in form
    data = participant_data(name="Sharipov Daler", cat_group="media", version=str(person.version))
    assert staff.post(f"/staff/participants/{person.id}/edit", data=data).status_code == 302
    stale = staff.post(f"/staff/participants/{person.id}/edit", data={**data, "cat_group": "government"})
    assert stale.status_code == 422
    assert "Someone else changed this" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert {link.category.key for link in db.session.get(Participant, person.id).categories} >= {"media"}


@pytest.mark.parametrize(("query", "expected"), [
    ("rahimova", {"Раҳимова Нигора"}),
    ("РАҲИМОВА", {"Раҳимова Нигора"}),
    ("Шарипов", {"Sharipov Daler"}),
    ("juraev", {"Ҷӯраев Фаридун", "Dzhuraev Bakhtiyor"}),
    ("daler sharipov", {"Sharipov Daler"}),
    ("", {"Раҳимова Нигора", "Sharipov Daler", "Ҷӯраев Фаридун", "Dzhuraev Bakhtiyor"}),
])
def test_search_finds_names_across_scripts_and_case(staff, create_participant, query, expected):
    names = ("Раҳимова Нигора", "Sharipov Daler", "Ҷӯраев Фаридун", "Dzhuraev Bakhtiyor")
    for name in names:
        create_participant(name)
    page = staff.get("/staff/participants", query_string={"q": query}).get_data(as_text=True)
    assert {name for name in names if name in page} == expected


def test_filter_by_any_category_of_any_dimension(staff, create_participant):
    create_participant("Media woman", group="media", gender="woman")
    create_participant("Media man", group="media", gender="man")
    create_participant("Officer", group="government", gender="man")
    page = staff.get("/staff/participants?cat_group=media&cat_gender=man").get_data(as_text=True)
    assert "Media man" in page and "Media woman" not in page and "Officer" not in page
    ignored = staff.get("/staff/participants?cat_group=nonsense").get_data(as_text=True)
    assert "Officer" in ignored


def test_reading_the_register_is_audited_without_names(staff, create_participant):
    person = create_participant("Раҳимова Нигора")
    create_participant("Sharipov Daler")
    staff.get("/staff/participants")
    staff.get(f"/staff/participants/{person.id}")
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.in_(("register.list", "participant.read"))))
    assert [(e.action, e.detail, e.object_id) for e in entries] == [("register.list", "2", None),
                                                                     ("participant.read", "", person.id)]
    assert not any("Раҳимова" in detail or "Sharipov" in detail for _action, detail in audit_actions())


def test_staff_add_dimensions_and_categories_without_code(staff):
    assert staff.post("/staff/dimensions/new", data={
        "dimension-key": "age_band", "dimension-name_en": "Age band", "dimension-name_ru": "Возраст",
    }).status_code == 302
    assert staff.post("/staff/categories/new", data={
        "category-dimension": "age_band", "category-key": "under_30", "category-name_en": "Under 30",
        "category-counts_toward_balance": "y"}).status_code == 302
    dimension = db.session.scalars(sa.select(Dimension).where(Dimension.key == "age_band")).one()
    assert [c.key for c in dimension.categories] == ["under_30"]
    form = staff.get("/staff/participants/new").get_data(as_text=True)
    assert 'name="cat_age_band"' in form and "Under 30" in form
    assert staff.post("/staff/participants/new", data=participant_data(cat_age_band="under_30")).status_code == 302


def _dimension_and_category_counts() -> tuple[int, int]:
    counts = db.session.execute(sa.select(sa.func.count(Dimension.id.distinct()), sa.func.count(Category.id))
                                .select_from(Dimension).join(Category)).one()
    return tuple(counts)


def test_duplicate_or_malformed_dimension_and_category_keys_are_refused(staff):
    before = _dimension_and_category_counts()
    duplicate = staff.post("/staff/dimensions/new", data={"dimension-key": "group", "dimension-name_en": "Group"})
    assert duplicate.status_code == 422
    assert "A dimension with this key already exists." in duplicate.get_data(as_text=True)
    malformed = staff.post("/staff/categories/new", data={
        "category-dimension": "group", "category-key": "Bad Key", "category-name_en": "Bad"})
    assert malformed.status_code == 422
    assert "Use lowercase letters" in malformed.get_data(as_text=True)
    assert _dimension_and_category_counts() == before


# Registrations ------------------------------------------------------------------------------------

def test_bulk_invite_from_a_filtered_register_list(staff, create_session, create_participant):
    forum_session = create_session()
    journalists = [create_participant(f"Journalist {n}", group="media") for n in range(3)]
    create_participant("Officer", group="government")
    page = staff.get(f"/staff/sessions/{forum_session.id}/registrations?cat_group=media").get_data(as_text=True)
    assert page.count('name="participant_ids"') == 3 and "Officer" not in page
    response = post_and_follow(staff, f"/staff/sessions/{forum_session.id}/registrations/add",
                               {"participant_ids": [str(p.id) for p in journalists], "action": "invite"})
    assert "3 people invited." in response.get_data(as_text=True)
    assert statuses(forum_session) == {f"Journalist {n}": "invited" for n in range(3)}
    assert [a for a, _d in audit_actions()].count("registration.create") == 3
    again = post_and_follow(staff, f"/staff/sessions/{forum_session.id}/registrations/add",
                            {"participant_ids": [str(journalists[0].id)], "action": "register"})
    assert "1 person was already on the list" in again.get_data(as_text=True)
    assert statuses(forum_session)["Journalist 0"] == "invited"


def test_ticking_nobody_is_refused(staff, create_session):
    forum_session = create_session()
    response = staff.post(f"/staff/sessions/{forum_session.id}/registrations/add", data={"action": "invite"})
    assert response.status_code == 422
    assert "Tick at least one person." in response.get_data(as_text=True)


def test_registering_past_capacity_waitlists_and_a_freed_seat_promotes(staff, create_session, create_participant):
    forum_session = create_session(capacity=2)
    people = [create_participant(name) for name in ("Aliev Anvar", "Boboev Bahrom", "Valieva Vera", "Ghafurova Gulya")]
    response = post_and_follow(staff, f"/staff/sessions/{forum_session.id}/registrations/add",
                               {"participant_ids": [str(p.id) for p in people], "action": "register"})
    page = response.get_data(as_text=True)
    assert "2 people registered." in page and "The session is full: 2 people were put on the waitlist." in page
    assert sorted(statuses(forum_session).values()) == ["registered", "registered", "waitlisted", "waitlisted"]
    waitlisted = db.session.scalars(sa.select(Registration).where(Registration.status == RegistrationStatus.waitlisted)
                                    .order_by(Registration.waitlisted_at, Registration.id)).all()
    first_in_line = waitlisted[0].participant.name
    refused = post_and_follow(staff, f"/staff/registrations/{waitlisted[1].id}/status", {"status": "confirmed"})
    assert "The session is full" in refused.get_data(as_text=True)
    seated = db.session.scalars(
        sa.select(Registration).where(Registration.status == RegistrationStatus.registered)).first()
    freed = post_and_follow(staff, f"/staff/registrations/{seated.id}/status", {"status": "cancelled"})
    assert f"Moved up from the waitlist: {first_in_line}." in freed.get_data(as_text=True)
    assert statuses(forum_session)[first_in_line] == "registered"
    updates = [d for a, d in audit_actions() if a == "registration.update"]
    assert updates == ["cancelled", "promoted"]


def test_registrations_are_listed_by_status_with_counts(staff, create_session, create_participant):
    forum_session = create_session()
    register(forum_session, create_participant("Invited person"), RegistrationStatus.invited)
    register(forum_session, create_participant("Registered person"), RegistrationStatus.registered)
    db.session.commit()
    page = staff.get(f"/staff/sessions/{forum_session.id}/registrations?status=invited").get_data(as_text=True)
    assert "Invited person" in page and "Registered person" not in page.split("Invite or register people")[0]
    assert "Registered</a> (1)" in page and "All</a> (2)" in page
    assert ("registration.list", "1") in audit_actions()


def test_balance_warnings_are_confirmed_before_and_reported_after(staff, create_session, create_participant):
    forum_session = create_session()
    uto = category("group", "uto")
    db.session.add(BalancePolicy(session_id=forum_session.id, quotas=[
        Quota(dimension_id=uto.dimension_id, category_id=uto.id, max_count=1)]))
    db.session.commit()
    fighters = [create_participant(f"UTO member {n}", group="uto") for n in range(2)]
    data = {"participant_ids": [str(p.id) for p in fighters], "action": "invite"}
    confirm = staff.post(f"/staff/sessions/{forum_session.id}/registrations/add", data=data)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Check the balance first" in page and "above the maximum" in page
    assert statuses(forum_session) == {}
    done = post_and_follow(staff, f"/staff/sessions/{forum_session.id}/registrations/add", {**data, "confirmed": "1"})
    assert "1 category is now outside the balance policy" in done.get_data(as_text=True)
    assert statuses(forum_session) == {"UTO member 0": "invited", "UTO member 1": "invited"}


def test_publishing_an_unbalanced_invitation_list_asks_first(staff, create_session, create_participant):
    forum_session = create_session(status="draft")
    women = category("gender", "woman")
    db.session.add(BalancePolicy(session_id=forum_session.id, quotas=[
        Quota(dimension_id=women.dimension_id, category_id=women.id, min_count=2)]))
    register(forum_session, create_participant("Only man", gender="man"), RegistrationStatus.invited)
    db.session.commit()
    ask = staff.post(f"/staff/sessions/{forum_session.id}/publish")
    assert ask.status_code == 200 and "Publish anyway?" in ask.get_data(as_text=True)
    db.session.expire_all()
    assert forum_session.status.value == "draft"
    done = post_and_follow(staff, f"/staff/sessions/{forum_session.id}/publish", {"confirmed": "1"})
    assert "outside the balance policy" in done.get_data(as_text=True)
    db.session.expire_all()
    assert forum_session.status.value == "published"


def test_staff_hand_out_a_personal_link_and_a_new_one_revokes_the_old(client, create_user, create_participant):
    sign_in(client, create_user("organiser"))
    person = create_participant("Sharipov Daler")
    page = client.get(f"/staff/participants/{person.id}").get_data(as_text=True)
    assert "No personal link yet." in page
    assert client.post(f"/staff/participants/{person.id}/link").status_code == 302
    first = re.search(r'href="(http://localhost/p/[^"]+)"',
                      client.get(f"/staff/participants/{person.id}").get_data(as_text=True)).group(1)
    assert client.get(first.removeprefix("http://localhost")).status_code == 200
    client.post(f"/staff/participants/{person.id}/link")
    second = re.search(r'href="(http://localhost/p/[^"]+)"',
                       client.get(f"/staff/participants/{person.id}").get_data(as_text=True)).group(1)
    assert second != first
    assert client.get(first.removeprefix("http://localhost")).status_code == 404
    assert client.get(second.removeprefix("http://localhost")).status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == person.id)).all()
    assert actions.count("link.rotate") == 2
