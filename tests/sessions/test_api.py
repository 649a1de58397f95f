"""API: sessions and agendas; who sees which session, times with offsets, validation, stale writes."""

from datetime import timedelta

import pytest

from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    AuditEntry,
    ForumSession,
    SessionFacilitator,
    db,
)
from tests.conftest import TEST_YEAR, dushanbe_time
from tests.people.test_dimensions_api import assert_api_error, row_count


def _assign(user, forum_session) -> None:
    db.session.add(SessionFacilitator(session_id=forum_session.id, user_id=user.id))
    db.session.commit()


def _session_body(forum_id: int) -> dict:
    return {"forum_id": forum_id, "title": "Water and land", "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00",
            "ends_at": f"{TEST_YEAR}-12-03T13:00:00+05:00", "venue": "Hotel Vakhsh", "region": "kurgan_tyube",
            "capacity": 30, "visibility": "public"}


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def test_staff_schedule_a_session_in_dushanbe_time(client, create_user, token_for, create_forum):
    forum = create_forum()
    created = client.post("/api/v1/sessions", json=_session_body(forum.id), headers=token_for(create_user()))
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body == {
        "id": body["id"], "forum_id": forum.id, "title": "Water and land", "description": "", "translations": {},
        "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00", "ends_at": f"{TEST_YEAR}-12-03T13:00:00+05:00",
        "venue": "Hotel Vakhsh", "region": "kurgan_tyube", "capacity": 30, "visibility": "public",
        "status": "draft", "version": 1, "agenda": [],
    }
    stored = db.session.get(ForumSession, body["id"])
    assert stored.starts_at == dushanbe_time(3, 10)


def test_times_in_another_offset_are_shown_in_dushanbe_time(client, create_user, token_for, create_forum):
    forum = create_forum()
    created = client.post("/api/v1/sessions", headers=token_for(create_user()),
                          json=_session_body(forum.id) | {"starts_at": f"{TEST_YEAR}-12-03T05:00:00Z",
                                                             "ends_at": f"{TEST_YEAR}-12-03T09:00:00+01:00"})
    assert created.get_json()["starts_at"] == f"{TEST_YEAR}-12-03T10:00:00+05:00"
    assert created.get_json()["ends_at"] == f"{TEST_YEAR}-12-03T13:00:00+05:00"


@pytest.mark.parametrize(("changes", "field"), [
    ({"starts_at": f"{TEST_YEAR}-12-03T10:00:00"}, "starts_at"),
    ({"ends_at": f"{TEST_YEAR}-12-03T09:00:00+05:00"}, "ends_at"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": "30"}, "capacity"),
    ({"region": "atlantis"}, "region"),
    ({"visibility": "secret"}, "visibility"),
    ({"forum_id": 9999}, "forum_id"),
    ({"title": "  "}, "title"),
    ({"translations": {"ru": {"title": 5}}}, "translations"),
    ({"agenda": []}, "agenda"),
])
def test_invalid_session_values_are_422_and_create_nothing(client, create_user, token_for, create_forum,
                                                           changes, field):
    forum = create_forum()
    headers = token_for(create_user())
    before = (row_count(ForumSession), row_count(AuditEntry))
    response = client.post("/api/v1/sessions", json=_session_body(forum.id) | changes, headers=headers)
    assert_api_error(response, 422, field)
    assert (row_count(ForumSession), row_count(AuditEntry)) == before


def test_anonymous_callers_see_only_published_public_sessions(client, create_session):
    public = create_session()
    create_session(status="draft")
    create_session(visibility="invitation")
    assert _ids(client.get("/api/v1/sessions")) == {public.id}


def test_staff_see_every_session_and_facilitators_the_public_and_their_own(client, create_user, token_for,
                                                                          create_session):
    public = create_session()
    draft = create_session(status="draft")
    invitation = create_session(visibility="invitation")
    facilitator = create_user("facilitator")
    _assign(facilitator, invitation)
    assert _ids(client.get("/api/v1/sessions", headers=token_for(create_user()))) == {public.id, draft.id,
                                                                                        invitation.id}
    assert _ids(client.get("/api/v1/sessions", headers=token_for(facilitator))) == {public.id, invitation.id}


def test_session_list_filters_by_forum_and_time(client, create_session, create_forum):
    club = create_forum(title="Discussion Club", kind="discussion_club")
    early = create_session(forum=club, starts_at=dushanbe_time(3, 10))
    late = create_session(starts_at=dushanbe_time(20, 10))
    assert _ids(client.get(f"/api/v1/sessions?forum={club.id}")) == {early.id}
    assert _ids(client.get("/api/v1/sessions", query_string={"from": f"{TEST_YEAR}-12-10T00:00:00+05:00"})) == {late.id}
    assert _ids(client.get("/api/v1/sessions", query_string={"to": f"{TEST_YEAR}-12-10T00:00:00+05:00"})) == {early.id}
    # a session still running at "from" is included: 12:00 in Dushanbe is during the early one
    assert _ids(client.get("/api/v1/sessions", query_string={"from": f"{TEST_YEAR}-12-03T07:00:00Z",
                                                             "to": f"{TEST_YEAR}-12-03T12:00:00+05:00"})) == {early.id}
    # an unencoded "+" arrives as a space; the offset is still read
    assert _ids(client.get(f"/api/v1/sessions?from={TEST_YEAR}-12-10T00:00:00+05:00")) == {late.id}
    assert_api_error(client.get("/api/v1/sessions", query_string={"from": f"{TEST_YEAR}-12-10T00:00:00"}), 422, "from")
    assert_api_error(client.get("/api/v1/sessions?to=tomorrow"), 422, "to")
    assert_api_error(client.get("/api/v1/sessions?forum=club"), 422, "forum")


def test_a_session_shows_its_agenda_with_speakers_by_name_and_organisation(client, create_session,
                                                                          create_participant):
    forum_session = create_session()
    speaker = create_participant("Шарипов Далер", organisation="Academy of Sciences", group="academia")
    item = AgendaItem(forum_session=forum_session, position=0, title="Opening remarks", kind=AgendaKind.opening,
                      starts_at=forum_session.starts_at, ends_at=forum_session.starts_at + timedelta(minutes=30))
    item.speakers.append(AgendaSpeaker(participant=speaker, position=0))
    db.session.add(item)
    db.session.commit()
    body = client.get(f"/api/v1/sessions/{forum_session.id}").get_json()
    assert body["agenda"] == [{
        "id": item.id, "position": 0, "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00",
        "ends_at": f"{TEST_YEAR}-12-03T10:30:00+05:00", "title": "Opening remarks", "kind": "opening",
        "translations": {},
        "speakers": [{"name": "Шарипов Далер", "organisation": "Academy of Sciences"}],
    }]
    assert body["region"] == "dushanbe" and body["status"] == "published"


def test_sessions_the_caller_may_not_know_are_404(client, create_user, token_for, create_session):
    draft = create_session(status="draft")
    invitation = create_session(visibility="invitation")
    assert_api_error(client.get(f"/api/v1/sessions/{draft.id}"), 404)
    assert_api_error(client.get(f"/api/v1/sessions/{invitation.id}"), 404)
    assert_api_error(client.get("/api/v1/sessions/9999"), 404)
    facilitator = create_user("facilitator")
    headers = token_for(facilitator)
    assert_api_error(client.get(f"/api/v1/sessions/{invitation.id}", headers=headers), 404)
    # Role first (forums.accounts.permissions): editing sessions is for staff, so a facilitator hears 403 for any id.
    assert_api_error(client.patch(f"/api/v1/sessions/{invitation.id}", json={"title": "X"}, headers=headers), 403)
    assert_api_error(client.patch("/api/v1/sessions/9999", json={"title": "X"}, headers=headers), 403)
    _assign(facilitator, invitation)
    assert client.get(f"/api/v1/sessions/{invitation.id}", headers=headers).status_code == 200
    assert_api_error(client.patch(f"/api/v1/sessions/{invitation.id}", json={"title": "X"}, headers=headers), 403)


def test_patch_changes_any_writable_field(client, create_user, token_for, create_session):
    forum_session = create_session(status="draft", capacity=10)
    response = client.patch(f"/api/v1/sessions/{forum_session.id}", headers=token_for(create_user()), json={
        "status": "published", "capacity": 12, "venue": "Hotel Tajikistan", "region": "kulyab",
        "starts_at": f"{TEST_YEAR}-12-03T11:00:00+05:00", "translations": {"ru": {"title": "Вода и земля"}},
        "version": 1,
    })
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["capacity"], body["venue"], body["region"]) == (
        "published", 12, "Hotel Tajikistan", "kulyab")
    assert body["starts_at"] == f"{TEST_YEAR}-12-03T11:00:00+05:00"
    assert body["translations"] == {"ru": {"title": "Вода и земля"}}
    assert body["version"] > 1


def test_patch_refuses_unknown_and_read_only_fields_bad_values_and_stale_versions(client, create_user, token_for,
                                                                                 create_session):
    forum_session = create_session(title="Original")
    headers = token_for(create_user())
    url = f"/api/v1/sessions/{forum_session.id}"
    assert_api_error(client.patch(url, json={"sequence": 5}, headers=headers), 422, "sequence")
    assert_api_error(client.patch(url, json={"id": 5}, headers=headers), 422, "id")
    assert_api_error(client.patch(url, json={"title": "New", "ends_at": f"{TEST_YEAR}-12-03T09:00:00+05:00"},
                                  headers=headers), 422, "ends_at")
    assert_api_error(client.patch(url, json={"title": "New", "starts_at": f"{TEST_YEAR}-12-03T10:00"}, headers=headers),
                  422, "starts_at")
    assert_api_error(client.patch(url, json={"title": "New", "version": "1"}, headers=headers), 422, "version")
    assert_api_error(client.patch(url, json={"title": "New", "version": 7}, headers=headers), 409)
    db.session.expire_all()
    stored = db.session.get(ForumSession, forum_session.id)
    assert (stored.title, stored.version) == ("Original", 1)


def test_agenda_items_are_added_changed_moved_and_removed(client, create_user, token_for, create_session,
                                                          create_participant):
    forum_session = create_session()
    speaker = create_participant("Sharipov Daler", organisation="Academy of Sciences")
    headers = token_for(create_user())
    url = f"/api/v1/sessions/{forum_session.id}/agenda"
    first = client.post(url, headers=headers, json={"title": "Opening", "kind": "opening",
                                                     "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00",
                                                     "ends_at": f"{TEST_YEAR}-12-03T10:15:00+05:00"})
    assert first.status_code == 201, first.get_data(as_text=True)
    second = client.post(url, headers=headers, json={"title": "Water rights", "kind": "presentation",
                                                      "starts_at": f"{TEST_YEAR}-12-03T10:15:00+05:00",
                                                      "ends_at": f"{TEST_YEAR}-12-03T11:00:00+05:00",
                                                      "speaker_ids": [speaker.id]})
    assert second.get_json()["speakers"] == [{"name": "Sharipov Daler", "organisation": "Academy of Sciences"}]
    item_id = second.get_json()["id"]
    # The agenda runs in time order: a place before an item that starts earlier is refused, nothing changes.
    assert_api_error(client.patch(f"{url}/{item_id}", headers=headers,
                                  json={"position": 0, "title": "Water rights today"}), 422, "position")
    assert client.get(f"/api/v1/sessions/{forum_session.id}").get_json()["agenda"][1]["title"] == "Water rights"
    # Starting together, the two may be put in either order.
    moved = client.patch(f"{url}/{item_id}", headers=headers,
                         json={"position": 0, "title": "Water rights today",
                               "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00"})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert (moved.get_json()["position"], moved.get_json()["title"]) == (0, "Water rights today")
    agenda = client.get(f"/api/v1/sessions/{forum_session.id}").get_json()["agenda"]
    assert [entry["title"] for entry in agenda] == ["Water rights today", "Opening"]
    assert client.delete(f"{url}/{first.get_json()['id']}", headers=headers).status_code == 204
    agenda = client.get(f"/api/v1/sessions/{forum_session.id}").get_json()["agenda"]
    assert [entry["id"] for entry in agenda] == [item_id]


def test_invalid_agenda_items_are_422_and_add_nothing(client, create_user, token_for, create_session):
    forum_session = create_session()
    headers = token_for(create_user())
    url = f"/api/v1/sessions/{forum_session.id}/agenda"
    good = {"title": "Opening", "kind": "opening", "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00",
            "ends_at": f"{TEST_YEAR}-12-03T10:15:00+05:00"}
    assert_api_error(client.post(url, headers=headers, json={**good, "starts_at": f"{TEST_YEAR}-12-03T09:00:00+05:00"}),
                  422, "starts_at")
    assert_api_error(client.post(url, headers=headers, json={**good, "kind": "lunch"}), 422, "kind")
    assert_api_error(client.post(url, headers=headers, json={**good, "speaker_ids": [9999]}), 422, "speaker_ids")
    assert_api_error(client.post(url, headers=headers, json={**good, "speaker_ids": ["x"]}), 422, "speaker_ids")
    assert_api_error(client.post(url, headers=headers, json={**good, "ends_at": f"{TEST_YEAR}-12-03T10:15:00"}),
                     422, "ends_at")
    assert row_count(AgendaItem) == 0
    other = create_session()
    item = client.post(f"/api/v1/sessions/{other.id}/agenda", headers=headers, json=good).get_json()
    assert_api_error(client.patch(f"{url}/{item['id']}", headers=headers, json={"title": "X"}), 404)
    assert_api_error(client.delete(f"{url}/{item['id']}", headers=headers), 404)


def test_facilitators_may_not_write_agendas(client, create_user, token_for, create_session):
    forum_session = create_session()
    facilitator = create_user("facilitator")
    _assign(facilitator, forum_session)
    response = client.post(f"/api/v1/sessions/{forum_session.id}/agenda", headers=token_for(facilitator),
                           json={"title": "Opening", "kind": "opening",
                                 "starts_at": f"{TEST_YEAR}-12-03T10:00:00+05:00",
                                 "ends_at": f"{TEST_YEAR}-12-03T10:15:00+05:00"})
    assert_api_error(response, 403)
    assert_api_error(client.post("/api/v1/sessions", headers=token_for(facilitator), json=_session_body(1)), 403)


def test_session_list_needs_the_same_queries_for_5_or_50_sessions(client, create_user, token_for, create_session,
                                                                  create_participant, count_queries):
    headers = token_for(create_user())
    speaker = create_participant()

    def add_sessions(n: int) -> None:
        for _ in range(n):
            forum_session = create_session()
            item = AgendaItem(forum_session=forum_session, title="Talk", kind=AgendaKind.presentation,
                              starts_at=forum_session.starts_at, ends_at=forum_session.ends_at)
            item.speakers.append(AgendaSpeaker(participant=speaker))
            db.session.add(item)
        db.session.commit()

    def queries_for_list(expected: int) -> int:
        with count_queries() as counted:
            response = client.get("/api/v1/sessions", headers=headers)
        assert len(response.get_json()["items"]) == expected
        return counted()

    add_sessions(5)
    few = queries_for_list(5)
    add_sessions(45)
    assert queries_for_list(50) == few
