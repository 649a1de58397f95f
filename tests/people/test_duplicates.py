"""A person already in the register is found before a second record is added: page, API (issue 14, item 9)."""

import sqlalchemy as sa

from forums.people import duplicates
from forums.people.duplicates import Identity
from models import AuditEntry, Participant, db


def _people() -> int:
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Participant)) or 0


def _person(create_participant, name: str, email: str = "", phone: str = "") -> Participant:
    person = create_participant(name)
    person.email, person.phone = email, phone
    db.session.commit()
    return person


# The rules ------------------------------------------------------------------------------------------

def test_the_same_name_in_another_script_or_word_order_is_found(app, create_participant):
    nigora = create_participant("Раҳимова Нигора")
    create_participant("Раҳимова Зарина")
    for typed in ("Rahimova Nigora", "Nigora Rahimova", "РАХИМОВА НИГОРА", "Раҳимова  Нигора"):
        assert [(m.participant_id, m.fields) for m in duplicates.find_one(Identity(typed))] == [(nigora.id, ("name",))]
    assert duplicates.find_one(Identity("Rahimova Nigora Saidovna")) == []
    assert duplicates.find_one(Identity("Rahimova Nigora"), exclude=[nigora.id]) == []


def test_the_same_email_in_any_case_or_phone_in_any_format_is_found(app, create_participant):
    known = _person(create_participant, "Karimov Jamshed", "jamshed@example.org", "+992 93 555 0101")
    by_email = duplicates.find_one(Identity("Someone Else", email="Jamshed@Example.ORG"))
    assert [m.fields for m in by_email] == [("email",)]
    for phone in ("935550101", "(93) 555-01-01", "+992935550101", "992 93 555 01 01"):
        found = duplicates.find_one(Identity("Someone Else", phone=phone))
        assert [(m.participant_id, m.fields) for m in found] == [(known.id, ("phone",))], phone
    assert duplicates.find_one(Identity("Someone Else", phone="+992 93 555 0102")) == []
    both = duplicates.find_one(Identity("Каримов Ҷамшед", "jamshed@example.org", "93 555 0101"))
    assert [m.fields for m in both] == [("name", "email", "phone")]
    assert both[0].reasons() == "same name, same e-mail, same phone"


def test_blank_fields_match_nothing(app, create_participant):
    _person(create_participant, "Odinaev Farrukh")
    assert duplicates.find_one(Identity("Saidov Umed", "", "")) == []


def test_many_people_are_looked_up_in_a_few_queries(app, create_participant, count_queries):
    create_participant("Safarov Umed")
    identities = [Identity(f"Person {n}", f"p{n}@example.org", f"+992 90 000 {n:04d}") for n in range(500)]
    with count_queries() as counted:
        found = duplicates.find([*identities, Identity("Umed Safarov")])
    assert found[-1][0].name == "Safarov Umed" and not any(found[:-1])
    assert counted() <= 3 * 2 + 3  # names (permutations), e-mails and phones, in chunks of CHUNK


# The staff page -------------------------------------------------------------------------------------

def test_adding_someone_already_in_the_register_warns_and_offers_the_record(client, create_user, login,
                                                                            create_participant):
    known = _person(create_participant, "Раҳимова Нигора", "nigora@example.org")
    login(create_user("organiser"))
    response = client.post("/staff/participants/new", data={"name": "Rahimova Nigora", "email": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This person may already be in the register." in page
    assert f'href="/staff/participants/{known.id}"' in page and "same name" in page
    assert 'name="add_anyway"' in page
    assert _people() == 1, "nothing is added before staff decide"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "participant.duplicate_warning")).one()
    assert entry.detail == "matches=1"


def test_adding_anyway_adds_a_second_person(client, create_user, login, create_participant):
    _person(create_participant, "Раҳимова Нигора")
    login(create_user("organiser"))
    response = client.post("/staff/participants/new", data={"name": "Rahimova Nigora", "add_anyway": "1"})
    assert response.status_code == 302
    assert _people() == 2


def test_someone_new_is_added_at_once(client, create_user, login, create_participant):
    _person(create_participant, "Раҳимова Нигора", "nigora@example.org")
    login(create_user("organiser"))
    assert client.post("/staff/participants/new", data={"name": "Rahimova Zarina"}).status_code == 302
    assert _people() == 2


# The API --------------------------------------------------------------------------------------------

def test_api_answers_409_with_the_existing_ids_unless_allowed(client, create_user, token_for, create_participant):
    known = _person(create_participant, "Раҳимова Нигора", "nigora@example.org")
    headers = token_for(create_user("organiser"))
    body = {"name": "Nigora Rahimova", "email": "NIGORA@example.org", "categories": {"group": "media"}}
    response = client.post("/api/v1/participants", json=body, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "duplicate"
    assert error["duplicates"] == [{"id": known.id, "matched": ["name", "email"]}]
    assert set(error["fields"]) == {"name", "email"} and str(known.id) in error["fields"]["email"]
    assert _people() == 1, "a refused request changes nothing"
    response = client.post("/api/v1/participants", json={**body, "allow_duplicate": True}, headers=headers)
    assert response.status_code == 201
    assert "allow_duplicate" not in response.get_json()
    assert _people() == 2


def test_api_checks_values_before_duplicates_and_refuses_a_bad_flag(client, create_user, token_for,
                                                                    create_participant):
    _person(create_participant, "Раҳимова Нигора")
    headers = token_for(create_user("organiser"))
    bad_email = {"name": "Rahimova Nigora", "email": "not-an-address", "categories": {}}
    assert client.post("/api/v1/participants", json=bad_email, headers=headers).status_code == 422
    flag = {"name": "Someone New", "categories": {}, "allow_duplicate": "yes"}
    response = client.post("/api/v1/participants", json=flag, headers=headers)
    assert response.status_code == 422 and "allow_duplicate" in response.get_json()["error"]["fields"]
    assert _people() == 1


def test_the_openapi_document_describes_the_flag_and_the_409(client, create_user, token_for):
    spec = client.get("/api/v1/openapi.json", headers=token_for(create_user("organiser"))).get_json()
    post = spec["paths"]["/participants"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["allow_duplicate"]["type"] == "boolean"
    assert "allow_duplicate" not in spec["paths"]["/participants/{participant_id}"]["patch"]["requestBody"][
        "content"]["application/json"]["schema"]["properties"]
    assert "duplicates" in str(post["responses"]["409"])
