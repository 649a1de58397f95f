"""The demo register looks like a real one (issue 14, item 15): each name in one script, nobody twice."""

import unicodedata

import sqlalchemy as sa

from forums.data.demo import load_demo_data
from forums.people import duplicates
from models import Participant, db


def _scripts(name: str) -> set[str]:
    """The scripts of a name's letters, from their Unicode names (CYRILLIC, LATIN)."""
    return {unicodedata.name(char).split()[0] for char in name if char.isalpha()}


def test_every_demo_name_is_in_one_script_and_nobody_is_there_twice(app):
    load_demo_data()
    db.session.commit()
    people = list(db.session.scalars(sa.select(Participant)))
    assert len(people) >= 120
    mixed = [person.name for person in people if len(_scripts(person.name)) != 1]
    assert mixed == [], "a name is written in one script"
    latin = [person for person in people if _scripts(person.name) == {"LATIN"}]
    assert latin and all(person.organisation == "UN Mission of Observers" for person in latin)
    assert any(set(person.name) & set("ҳқғҷӯӣ") for person in people), "Tajik names keep their letters"
    same = [person.name for person, found in zip(people, duplicates.find(
        [duplicates.Identity(person.name, person.email, person.phone) for person in people]), strict=True)
        if [match for match in found if match.participant_id != person.id]]
    assert same == [], "no two demo people could be taken for the same person"
