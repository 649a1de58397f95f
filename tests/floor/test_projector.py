"""The projector page: opened with a revocable display token, no sign-in, nothing else."""

import re

import sqlalchemy as sa

from models import FloorDisplay, db
from tests.floor.conftest import add


def new_display(client, room, hide_labels=False):
    response = client.post(f"{room.base}/displays", data={"hide_labels": "1"} if hide_labels else {},
                           follow_redirects=True)
    url = re.search(r"http://localhost(/floor/display/[A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    return url


def test_the_projector_shows_the_clock_the_speaker_and_bars_without_sign_in(client, room, app):
    url = new_display(client, room)
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    anonymous = app.test_client()
    page = anonymous.get(url)
    assert page.status_code == 200 and "Sharipov Davlat" in page.get_data(as_text=True)
    state = anonymous.get(f"{url}/state.json")
    body = state.get_json()
    assert body["speaking"] is True and body["speaker"] == "Sharipov Davlat" and body["waiting"] == 0
    assert {bar["label"] for bar in body["bars"]} >= {"Government", "United Tajik Opposition"}
    assert anonymous.get(f"{url}/state.json", headers={"If-None-Match": state.headers["ETag"]}).status_code == 304


def test_the_token_grants_nothing_else_and_stops_working_when_revoked(client, room, app):
    url = new_display(client, room)
    token = url.rsplit("/", 1)[1]
    anonymous = app.test_client()
    assert anonymous.get(room.base).status_code == 302  # the facilitator's page asks for sign-in
    assert anonymous.get(f"/api/v1/sessions/{room.session_id}/floor/report",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 401
    stored = db.session.scalars(sa.select(FloorDisplay)).one()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    client.post(f"{room.base}/displays/{stored.id}/revoke")
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(f"{url}/state.json").status_code == 404


def test_labels_can_be_hidden_and_chatham_house_never_shows_a_name(client, room, app, create_user):
    url = new_display(client, room, hide_labels=True)
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    body = app.test_client().get(f"{url}/state.json").get_json()
    assert all(bar["label"] == "" for bar in body["bars"])
    from forums.floor import operations
    from models import ForumSession
    operations.set_chatham_house(db.session.get(ForumSession, room.session_id), True)
    db.session.commit()
    body = app.test_client().get(f"{url}/state.json").get_json()
    assert body["speaker"] is None
    page = app.test_client().get(url).get_data(as_text=True)
    assert "Sharipov" not in page


def test_the_projector_poll_answers_304_until_the_floor_changes(client, room, app):
    """A poll costs a bodyless 304 while nothing changed; a stop is in the very next poll's answer."""
    url = new_display(client, room)
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    screen = app.test_client()
    first = screen.get(f"{url}/state.json")
    assert first.status_code == 200 and first.get_json()["speaking"] is True
    unchanged = screen.get(f"{url}/state.json", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    client.post(f"{room.base}/stop", headers={"Accept": "application/json"})
    after_stop = screen.get(f"{url}/state.json", headers={"If-None-Match": first.headers["ETag"]})
    assert after_stop.status_code == 200 and after_stop.headers["ETag"] != first.headers["ETag"]
    assert after_stop.get_json()["speaking"] is False and after_stop.get_json()["has_floor"] is False
