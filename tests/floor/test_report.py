"""The report after the session (page, CSV, API), corrections and paper entry, Chatham House."""

import re
from datetime import timedelta

import sqlalchemy as sa

from models import AuditEntry, Speech, SpeechState, db
from tests.conftest import dushanbe_time, sign_in_without_password
from tests.floor.conftest import add


def speak(client, room, name, minutes, kind="contribution"):
    """``name`` asks, gets the floor and speaks ``minutes`` minutes (the stretch is set afterwards)."""
    add(client, room, name, kind)
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    speech = db.session.scalars(sa.select(Speech).order_by(Speech.id.desc())).first()
    stretch = speech.stretches[0]
    stretch.ended_at = stretch.started_at + timedelta(minutes=minutes)
    db.session.commit()
    return speech


def report_json(client, room):
    response = client.get(f"/api/v1/sessions/{room.session_id}/floor/report")
    assert response.status_code == 200
    return response.get_json()


def group_of(body):
    return next(dimension for dimension in body["dimensions"] if dimension["key"] == "group")


def test_the_report_compares_the_floor_with_the_room(client, room):
    speak(client, room, "Sharipov Davlat", 6)
    speak(client, room, "Nazarova Zarina", 2)
    add(client, room, "Karimova Dilbar")
    body = report_json(client, room)
    assert body["gallagher_unit"] == "percentage_points"
    assert (body["requests"], body["speeches"], body["seconds"]) == (3, 2, 480.0)
    group = group_of(body)
    lines = {line["key"]: line for line in group["categories"]}
    assert lines["government"]["time_share"] == 0.75 and lines["government"]["present"] == 2
    assert lines["government"]["attendance_share"] == round(2 / 7, 4)  # the observer does not count
    assert lines["minorities"]["requests"] == 1 and lines["minorities"]["speeches"] == 0
    assert set(group["never_spoke"]) == {"minorities", "civil_society", "business"}
    assert group["gallagher"] > 0
    assert [(p["name"], p["speeches"], p["seconds"]) for p in body["people"]] == [
        ("Sharipov Davlat", 1, 360.0), ("Nazarova Zarina", 1, 120.0)]
    page = client.get(f"/sessions/{room.session_id}/floor/report").get_data(as_text=True)
    assert "Present but not heard:" in page and "National minorities" in page
    assert "Sharipov Davlat" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "floor.report")) == 2


def test_the_csv_is_for_excel_and_audited(client, room):
    speak(client, room, "Sharipov Davlat", 1)
    response = client.get(f"/sessions/{room.session_id}/floor/report.csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffrow,dimension,category")
    assert "\r\n" in text and re.search(r"\r\nperson,,,P-[A-Z2-7]{12},,,,1,60,", text)
    assert "Sharipov" not in text, "names only for whoever may export them"
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "floor.report_csv"))
    room.facilitator.can_export_names = True
    db.session.commit()
    named = client.get(f"/sessions/{room.session_id}/floor/report.csv").get_data(as_text=True)
    assert "person,,,Sharipov Davlat,,,,1,60" in named


def test_a_correction_is_audited_and_the_report_recomputes(client, room):
    speech = speak(client, room, "Sharipov Davlat", 4)
    start = dushanbe_time(hour=10, minute=5)
    form = {"kind": "reply", "category-group": "uto", "category-gender": "man", "asked_at": "2036-12-03T10:00:00",
            "count": "1", "start-0": "2036-12-03T10:05:00", "end-0": "2036-12-03T10:06:30"}
    response = client.post(f"{room.base}/speeches/{speech.id}/edit", data=form)
    assert response.status_code == 302
    db.session.refresh(speech)
    assert speech.kind == "reply" and speech.categories == {"group": "uto", "gender": "man"}
    assert speech.stretches[0].started_at == start
    lines = {line["key"]: line for line in group_of(report_json(client, room))["categories"]}
    assert lines["uto"]["seconds"] == 90.0 and lines["government"]["seconds"] == 0
    assert lines["uto"]["mean_wait_seconds"] == 300.0
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "floor.correct")).one()
    assert entry.detail == f"list {room.list_id}: speech {speech.id}: kind, categories, asked_at, times"


def test_a_correction_with_a_stretch_ending_before_it_starts_is_refused_and_changes_nothing(client, room):
    speech = speak(client, room, "Sharipov Davlat", 4)
    form = {"kind": "contribution", "category-group": "government", "asked_at": "2036-12-03T10:00:00",
            "count": "1", "start-0": "2036-12-03T10:05:00", "end-0": "2036-12-03T10:01:00"}
    response = client.post(f"{room.base}/speeches/{speech.id}/edit", data=form)
    assert response.status_code == 422
    assert "A stretch of speaking must end after it starts." in response.get_data(as_text=True)
    db.session.refresh(speech)
    assert speech.categories["group"] == "government"
    assert (speech.stretches[0].ended_at - speech.stretches[0].started_at) == timedelta(minutes=4)


def test_a_line_of_the_paper_sheet_is_typed_back(client, room):
    assert "Timing sheet" in client.get(f"{room.base}/sheet").get_data(as_text=True)
    response = client.post(f"{room.base}/paper", data={
        "kind": "contra", "category-group": "minorities", "category-gender": "woman",
        "asked_at": "2036-12-03T11:00:00", "start-0": "2036-12-03T11:10:00", "end-0": "2036-12-03T11:13:00"})
    assert response.status_code == 302
    speech = db.session.scalars(sa.select(Speech)).one()
    assert speech.from_paper and speech.state is SpeechState.done and speech.participant_id is None
    lines = {line["key"]: line for line in group_of(report_json(client, room))["categories"]}
    assert lines["minorities"]["seconds"] == 180.0
    response = client.post(f"{room.base}/paper", data={"kind": "contra", "category-group": "uto",
                                                       "asked_at": "2036-12-03T11:00:00",
                                                       "start-0": "2036-12-03T11:10:00"})
    assert response.status_code == 422
    assert "Give both the start and the end, or neither." in response.get_data(as_text=True)


def test_chatham_house_keeps_categories_and_no_name(client, room, create_user):
    speak(client, room, "Sharipov Davlat", 1)
    sign_in_without_password(client, create_user("organiser"))
    response = client.post(f"/sessions/{room.session_id}/floor/chatham-house", data={"on": "1"})
    assert response.status_code == 302
    add(client, room, "Nazarova Zarina")
    assert db.session.scalars(sa.select(Speech.participant_id)).all() == [None, None]
    assert db.session.scalars(sa.select(Speech.categories).order_by(Speech.id)).all()[1]["group"] == "uto"
    body = report_json(client, room)
    assert body["people"] == []
    page = client.get(room.base).get_data(as_text=True)
    live = page[page.index('id="floor-live"'):page.index('id="floor-add-title"')]
    assert "Nazarova" not in live and "Sharipov" not in live
    assert "United Tajik Opposition" in live


def test_a_facilitator_sees_no_dimension_with_too_few_people_present(client, room, app):
    app.config["SMALL_COUNT_THRESHOLD"] = 9  # eight people are present, seven of them counted by group
    speak(client, room, "Sharipov Davlat", 1)
    body = report_json(client, room)
    assert body["dimensions"] == []
    page = client.get(f"/sessions/{room.session_id}/floor/report").get_data(as_text=True)
    assert "fewer than 9 people present are not shown" in page


def test_the_openapi_description_lists_the_floor(client, room):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/sessions/{session_id}/floor/report" in spec["paths"]
    assert "FloorReport" in spec["components"]["schemas"]


def test_a_speech_corrected_to_no_stretch_never_had_the_floor_and_does_not_queue_again(client, room):
    speech = speak(client, room, "Sharipov Davlat", 4)
    form = {"kind": "contribution", "category-group": "government", "asked_at": "2036-12-03T10:00:00",
            "count": "1", "start-0": "", "end-0": ""}
    assert client.post(f"{room.base}/speeches/{speech.id}/edit", data=form).status_code == 302
    db.session.refresh(speech)
    assert speech.state is SpeechState.skipped and speech.stretches == []
    lines = {line["key"]: line for line in group_of(report_json(client, room))["categories"]}
    assert lines["government"]["seconds"] == 0 and lines["government"]["speeches"] == 0
    assert "Nobody is waiting for the floor." in client.get(room.base).get_data(as_text=True)
