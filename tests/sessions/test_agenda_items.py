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


# Agendas run in time order everywhere (issue 14, item 7) -----------------------------------------

@pytest.fixture
def late_item(staff, create_session, create_participant, create_registration):
    """A session 10:00-18:00 whose items were added as 14:15, 17:00 and then 15:00, with a person invited."""
    forum_session = create_session(hours=8, title="Water and land")
    for start, end, title in (("14:15", "15:00", "Canals and quotas"), ("17:00", "17:30", "Closing words"),
                              ("15:00", "16:00", "Late addition")):
        response = staff.post(f"/staff/sessions/{forum_session.id}/agenda",
                              data=agenda_data(start, end, title=title, kind="presentation"))
        assert response.status_code == 302
    person = create_participant("Rahimova Nigora")
    create_registration(forum_session, person, "registered")
    return forum_session, person


IN_TIME_ORDER = ["Canals and quotas", "Late addition", "Closing words"]


def in_time_order(text):
    """Whether the three titles appear in ``text`` in time order."""
    places = [text.index(title) for title in IN_TIME_ORDER]
    return places == sorted(places)


def test_an_item_added_later_sits_at_its_time_on_every_page(client, staff, late_item):
    forum_session, person = late_item
    assert [item.title for item in db.session.get(ForumSession, forum_session.id).agenda] == IN_TIME_ORDER
    assert in_time_order(staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True))
    assert in_time_order(staff.get(f"/sessions/{forum_session.id}").get_data(as_text=True))
    token = links.issue(person).token
    db.session.commit()
    assert in_time_order(client.get(f"/p/{token}/sessions/{forum_session.id}").get_data(as_text=True))
    assert in_time_order(client.get(f"/p/{token}/calendar.ics").get_data(as_text=True).replace("\r\n ", ""))
    assert in_time_order(client.get(f"/api/v1/sessions/{forum_session.id}/calendar.ics").get_data(as_text=True)
                         .replace("\r\n ", ""))
    agenda = client.get(f"/api/v1/sessions/{forum_session.id}").get_json()["agenda"]
    assert [entry["title"] for entry in agenda] == IN_TIME_ORDER
    assert [entry["position"] for entry in agenda] == [0, 1, 2]


def test_a_new_start_time_moves_the_item(staff, late_item):
    forum_session, _person = late_item
    closing = db.session.scalar(sa.select(AgendaItem.id).where(AgendaItem.title == "Closing words"))
    staff.post(f"/staff/agenda/{closing}/edit", data=agenda_data("10:00", "10:30", title="Closing words",
                                                                 kind="closing"))
    db.session.expire_all()
    agenda = db.session.get(ForumSession, forum_session.id).agenda
    assert [item.title for item in agenda] == ["Closing words", *IN_TIME_ORDER[:2]]
    assert [item.position for item in agenda] == [0, 1, 2]


def test_moving_by_hand_against_the_times_changes_nothing(client, create_user, token_for, staff, late_item):
    forum_session, _person = late_item
    late = db.session.scalar(sa.select(AgendaItem.id).where(AgendaItem.title == "Late addition"))
    page = staff.get(f"/staff/sessions/{forum_session.id}/agenda").get_data(as_text=True)
    assert "/move/" not in page  # no two items start together: no move buttons
    refused = staff.post(f"/staff/agenda/{late}/move/up", follow_redirects=True)
    assert "change its start time" in refused.get_data(as_text=True)
    response = client.patch(f"/api/v1/sessions/{forum_session.id}/agenda/{late}", headers=token_for(create_user()),
                            json={"position": 2})
    assert response.status_code == 422 and "position" in response.get_json()["error"]["fields"]
    db.session.expire_all()
    assert [item.title for item in db.session.get(ForumSession, forum_session.id).agenda] == IN_TIME_ORDER
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "agenda.move")) == 0


# Deleting an item asks first (issue 14, item 13) --------------------------------------------------

def test_deleting_an_item_asks_first_and_changes_nothing(staff, spoken_item):
    item_id, _people = spoken_item
    response = staff.post(f"/staff/agenda/{item_id}/delete")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Delete this agenda item?" in page and "Opening remarks" in page
    assert "Sharipov Daler" in page and "Qodirova Madina" in page
    assert 'name="confirmed" value="1"' in page and "Yes, delete the item" in page
    session_id = db.session.get(AgendaItem, item_id).session_id
    assert f'href="/staff/sessions/{session_id}/agenda#item-{item_id}"' in page  # the way back
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "agenda.delete")) == 0


def test_the_confirmed_post_deletes_the_item(staff, spoken_item):
    item_id, _people = spoken_item
    session_id = db.session.get(AgendaItem, item_id).session_id
    response = staff.post(f"/staff/agenda/{item_id}/delete", data={"confirmed": "1"})
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/sessions/{session_id}/agenda"
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaSpeaker)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "agenda.delete")) == 1


def test_deleting_works_without_javascript_with_the_pages_tokens(app, staff, spoken_item):
    item_id, _people = spoken_item
    session_id = db.session.get(AgendaItem, item_id).session_id
    app.config["WTF_CSRF_ENABLED"] = True
    agenda = staff.get(f"/staff/sessions/{session_id}/agenda").get_data(as_text=True)
    form = re.search(rf'<form method="post" action="/staff/agenda/{item_id}/delete" class="inline">(.*?)</form>',
                     agenda, re.S).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert "confirmed" not in form
    confirm = staff.post(f"/staff/agenda/{item_id}/delete", data={"csrf_token": token}).get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm))
    assert fields["confirmed"] == "1"
    assert staff.post(f"/staff/agenda/{item_id}/delete", data=fields).status_code == 302
    db.session.expire_all()
    assert db.session.get(AgendaItem, item_id) is None


def test_the_confirmation_speaks_tajik(staff, spoken_item):
    item_id, _people = spoken_item
    page = staff.post(f"/staff/agenda/{item_id}/delete?lang=tg").get_data(as_text=True)
    assert "Delete this agenda item?" not in page and "Yes, delete the item" not in page
