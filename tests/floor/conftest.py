"""A session under way: a facilitator assigned, eight people checked in, one list of speakers open."""

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from models import FloorList, Participant, SessionFacilitator, User, db
from tests.conftest import sign_in_without_password

#: name, group, gender of the people checked in
PEOPLE = (("Раҳимова Нигора", "civil_society", "woman"), ("Sharipov Davlat", "government", "man"),
          ("Qodirov Anvar", "government", "man"), ("Nazarova Zarina", "uto", "woman"),
          ("Юсупов Тимур", "uto", "man"), ("Karimova Dilbar", "minorities", "woman"),
          ("Aliev Rustam", "business", "man"), ("Smith John", "international", "man"))


@dataclass
class Room:
    session_id: int
    list_id: int
    facilitator: User
    people: dict[str, int]

    @property
    def base(self) -> str:
        return f"/sessions/{self.session_id}/floor/{self.list_id}"


@pytest.fixture
def room(client, create_user, create_session, create_participant, create_registration) -> Room:
    forum_session = create_session()
    people = {}
    for name, group, gender in PEOPLE:
        participant = create_participant(name, group=group, gender=gender)
        create_registration(forum_session, participant, "attended")
        people[name] = participant.id
    facilitator = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id))
    db.session.commit()
    sign_in_without_password(client, facilitator)
    response = client.post(f"/sessions/{forum_session.id}/floor/lists", data={"agenda_item_id": ""})
    assert response.status_code == 302
    list_id = db.session.scalar(sa.select(FloorList.id).where(FloorList.session_id == forum_session.id))
    return Room(forum_session.id, list_id, facilitator, people)


def add(client, room, name, kind="contribution"):
    """Put a person present on the list from the search result's form."""
    response = client.post(f"{room.base}/add", data={"participant_id": room.people[name], "kind": kind})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def name_of(participant_id):
    return db.session.scalar(sa.select(Participant.name).where(Participant.id == participant_id))
