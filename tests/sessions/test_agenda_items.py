"""Agenda items: time order everywhere, editing items with speakers, deleting only once confirmed."""

import re

import pytest
import sqlalchemy as sa

from forums.people import links
from forums.registrations.operations import register
from models import AgendaItem, AgendaSpeaker, AuditEntry, ForumSession, RegistrationStatus, db
from tests.conftest import TEST_YEAR, sign_in_without_password


@pytest.fixture
def staff(client, create_user):
    """A signed-in organiser's client."""
    return sign_in_without_password(client, create_user("organiser"))


def agenda_data(start, end, **overrides):
    data = {"title": "Opening remarks", "kind": "opening", "on": f"{TEST_YEAR}-12-03", "starts_time": start,
            "ends_time": end}
    data.update(overrides)
    return data


def speaker_ids(item_id):
    db.session.expire_all()
    return [speaker.participant_id for speaker in db.session.get(AgendaItem, item_id).speakers]


# Editing an item that has speakers (issue 14, item 8) --------------------------------------------

@pytest.fixture
def spoken_item(staff, create_session, create_participant):
    """A session 10:00-13:00 with two registered people and an item whose speakers they both are."""
    forum_session = create_session()
    first, second, third = (create_participant(name) for name in ("Sharipov Daler", "Qodirova Madina", "Nazarov Umed"))
    for person in (first, second, third):
        register(forum_session, person, RegistrationStatus.invited)
    db.session.commit()
    response = staff.post(f"/staff/sessions/{forum_session.id}/agenda",
                          data=agenda_data("10:00", "10:30", speaker_ids=[str(first.id), str(second.id)]))
    assert response.status_code == 302
    item = db.session.scalars(sa.select(AgendaItem)).one()
    return item.id, (first.id, second.id, third.id)


def test_an_item_with_speakers_is_edited_on_its_page(staff, spoken_item):
    item_id, (first, second, third) = spoken_item
    page = staff.get(f"/staff/agenda/{item_id}/edit")
    assert page.status_code == 200
    response = staff.post(f"/staff/agenda/{item_id}/edit",
                          data=agenda_data("10:00", "10:45", title="Opening words",
                                           speaker_ids=[str(second), str(first)]))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert speaker_ids(item_id) == [second, first]
    staff.post(f"/staff/agenda/{item_id}/edit", data=agenda_data("10:00", "10:45", speaker_ids=[str(third),
                                                                                               str(first)]))
    assert speaker_ids(item_id) == [third, first]
    assert db.session.get(AgendaItem, item_id).title == "Opening remarks"


def test_an_item_with_speakers_is_edited_through_the_api(client, create_user, token_for, spoken_item):
    item_id, (first, second, third) = spoken_item
    session_id = db.session.get(AgendaItem, item_id).session_id
    headers = token_for(create_user())
    url = f"/api/v1/sessions/{session_id}/agenda/{item_id}"
    same = client.patch(url, headers=headers, json={"title": "Opening words", "speaker_ids": [first, second]})
    assert same.status_code == 200, same.get_data(as_text=True)
    swapped = client.patch(url, headers=headers, json={"speaker_ids": [second, first, third]})
    assert swapped.status_code == 200, swapped.get_data(as_text=True)
    assert speaker_ids(item_id) == [second, first, third]
    assert client.patch(url, headers=headers, json={"title": "Opening"}).status_code == 200
    assert speaker_ids(item_id) == [second, first, third]
    assert client.patch(url, headers=headers, json={"speaker_ids": []}).status_code == 200
    assert speaker_ids(item_id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaSpeaker)) == 0
