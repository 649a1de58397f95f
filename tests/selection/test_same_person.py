"""A draw's pool never holds one person twice, whatever records the register has of them (issue 14, item 9)."""

import sqlalchemy as sa

from forums.people.names import search_key
from forums.selection.draw import PanelSpec, draw_panel
from forums.selection.rules import one_record_per_person
from models import AuditEntry, Participant, ParticipantCategory, Registration, RegistrationStatus, db
from tests.conftest import category


def _person(name: str, email: str = "", phone: str = "", *, status: str | None = None, forum_session=None) -> int:
    person = Participant(name=name, search_key=search_key(name), email=email, phone=phone)
    for dimension_key, category_key in {"group": "media", "region": "dushanbe", "gender": "woman"}.items():
        chosen = category(dimension_key, category_key)
        person.categories.append(ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id))
    db.session.add(person)
    if status is not None:
        db.session.add(Registration(forum_session=forum_session, participant=person, status=RegistrationStatus(status)))
    db.session.commit()
    return person.id


def test_records_sharing_a_key_are_one_person_transitively_and_the_preferred_one_stays():
    keys = {1: ["a"], 2: ["b"], 3: ["a", "b"], 4: ["c"], 5: []}
    assert one_record_per_person([1, 2, 3, 4, 5], keys) == {2: 1, 3: 1}
    assert one_record_per_person([1, 2, 3, 4, 5], keys, preferred={3}) == {1: 3, 2: 3}
    assert one_record_per_person([4, 5], keys) == {}


def test_two_records_of_one_person_are_drawn_as_one(create_session):
    forum_session = create_session()
    first = _person("Раҳимова Нигора")
    second = _person("Rahimova Nigora")
    same_phone = _person("Karimova Zarina", phone="+992 93 555 0101")
    again = _person("Зарина Каримова Саидовна", phone="93 555 01 01")
    others = [_person(f"Other person {n}") for n in range(3)]
    pool = (first, second, same_phone, again, *others)
    draw = draw_panel(PanelSpec(forum_session.id, pool, size=5, seed=7))
    db.session.commit()
    assert dict(draw.same_person) == {second: first, again: same_phone}
    assert set(draw.people) == {first, same_phone, *others}
    assert set(draw.result.selected) == {first, same_phone, *others}, "everyone else is one person each"
    detail = db.session.scalar(sa.select(AuditEntry.detail).where(AuditEntry.action == "selection.run"))
    assert "same_person=2" in detail


def test_a_record_holding_an_invitation_or_a_decline_stands_for_its_person(create_session):
    forum_session = create_session()
    invited = _person("Safarov Umed", "umed@example.org", status="invited", forum_session=forum_session)
    fresh = _person("Umed Safarov")
    declined = _person("Odinaev Farrukh", status="declined", forum_session=forum_session)
    new_copy = _person("Одинаев Фаррух")
    others = [_person(f"Other person {n}") for n in range(4)]
    draw = draw_panel(PanelSpec(forum_session.id, (fresh, new_copy, *others), size=4, seed=1))
    assert dict(draw.same_person) == {fresh: invited, new_copy: declined}
    assert invited in draw.result.selected and fresh not in draw.result.selected
    assert declined not in draw.result.selected and new_copy not in draw.result.selected


def test_two_records_both_holding_invitations_both_stay_on_the_panel(create_session):
    forum_session = create_session()
    one = _person("Safarov Umed", status="invited", forum_session=forum_session)
    two = _person("Safarov Umed", status="registered", forum_session=forum_session)
    others = [_person(f"Other person {n}") for n in range(3)]
    draw = draw_panel(PanelSpec(forum_session.id, tuple(others), size=4, seed=1))
    assert {one, two} <= set(draw.result.selected) and dict(draw.same_person) == {}
