"""The facilitator's page without JavaScript: adding people, the queue and its reasons, the clock, overrides."""

from datetime import timedelta

import sqlalchemy as sa

from models import AuditEntry, Speech, SpeechState, SpeechStretch, db
from tests.floor.conftest import add


def audit_actions(prefix="floor."):
    return [entry.action for entry in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.id))]


def speeches():
    return list(db.session.scalars(sa.select(Speech).order_by(Speech.id)))


def test_a_person_present_is_found_in_another_script_and_added_with_their_categories(client, room):
    page = client.get(f"{room.base}?q=rahimova").get_data(as_text=True)
    assert "Раҳимова Нигора" in page
    assert "Smith John" not in page
    add(client, room, "Раҳимова Нигора", "pro")
    (speech,) = speeches()
    assert speech.kind == "pro" and speech.state is SpeechState.waiting
    assert speech.categories == {"group": "civil_society", "region": "dushanbe", "gender": "woman"}
    assert "floor.list" in audit_actions()


def test_someone_not_checked_in_cannot_be_put_on_the_list(client, room, create_participant):
    outsider = create_participant("Outsider Person")
    response = client.post(f"{room.base}/add", data={"participant_id": outsider.id, "kind": "contribution"})
    assert response.status_code == 404
    assert speeches() == []
    assert "Outsider" not in client.get(f"{room.base}?q=outsider").get_data(as_text=True)


def test_the_queue_shows_each_place_with_its_reason_and_points_of_order_go_first(client, room):
    add(client, room, "Sharipov Davlat")
    add(client, room, "Nazarova Zarina", "point_of_order")
    page = client.get(room.base).get_data(as_text=True)
    assert page.index("Nazarova Zarina") < page.index("Sharipov Davlat")
    assert "Point of order: ahead of the queue" in page
    assert "First come, first served" in page


def test_next_pause_resume_and_stop_keep_stretches_of_speaking(client, room):
    add(client, room, "Sharipov Davlat")
    add(client, room, "Nazarova Zarina")
    assert client.post(f"{room.base}/next").status_code == 302
    first, second = speeches()
    assert first.state is SpeechState.speaking
    client.post(f"{room.base}/pause")
    db.session.refresh(first)
    assert first.state is SpeechState.paused
    client.post(f"{room.base}/start")
    db.session.refresh(first)
    assert first.state is SpeechState.speaking
    assert client.post(f"{room.base}/next").status_code == 302
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.state is SpeechState.done and second.state is SpeechState.speaking
    assert len(first.stretches) == 2 and all(stretch.ended_at for stretch in first.stretches)
    client.post(f"{room.base}/stop")
    db.session.refresh(second)
    assert second.state is SpeechState.done
    response = client.post(f"{room.base}/next", follow_redirects=True)
    assert "Nobody is waiting for the floor." in response.get_data(as_text=True)


def test_a_speech_over_its_time_is_shown_over_and_never_cut(client, room):
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/settings", data={"policy": "first_come", "dimension": "group", "speech_minutes": "1"})
    client.post(f"{room.base}/next")
    (speech,) = speeches()
    stretch = speech.stretches[0]
    stretch.started_at = stretch.started_at - timedelta(minutes=5)
    db.session.commit()
    page = client.get(room.base).get_data(as_text=True)
    assert "Over time" in page and "floor-over" in page
    db.session.refresh(speech)
    assert speech.state is SpeechState.speaking


def test_overrides_move_skip_and_out_of_turn_are_audited(client, room):
    add(client, room, "Sharipov Davlat")
    add(client, room, "Qodirov Anvar")
    add(client, room, "Nazarova Zarina")
    first, second, third = speeches()
    client.post(f"{room.base}/speeches/{third.id}/top")
    page = client.get(room.base).get_data(as_text=True)
    assert page.index("Nazarova Zarina") < page.index("Sharipov Davlat")
    assert "Moved here by the facilitator" in page
    client.post(f"{room.base}/speeches/{first.id}/skip")
    client.post(f"{room.base}/start", data={"speech_id": second.id})
    db.session.refresh(first)
    db.session.refresh(second)
    assert first.state is SpeechState.skipped and second.state is SpeechState.speaking
    assert {"floor.move", "floor.skip", "floor.out_of_turn", "floor.add"} <= set(audit_actions())


def test_balance_policy_gives_the_floor_to_the_category_below_its_share(client, room):
    client.post(f"{room.base}/settings", data={"policy": "balance", "dimension": "group", "speech_minutes": "3"})
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    add(client, room, "Qodirov Anvar")
    add(client, room, "Karimova Dilbar")
    page = client.get(room.base).get_data(as_text=True)
    queue = page[page.index('id="floor-queue-title"'):]
    assert queue.index("Karimova Dilbar") < queue.index("Qodirov Anvar")
    assert "National minorities is furthest below its share of the room" in queue


def test_alternation_needs_two_categories_of_the_dimension(client, room):
    response = client.post(f"{room.base}/settings", data={"policy": "alternate", "dimension": "group",
                                                          "alternate_first": "uto", "alternate_second": "uto"},
                           follow_redirects=True)
    assert "Choose two different categories" in response.get_data(as_text=True)
    client.post(f"{room.base}/settings", data={"policy": "alternate", "dimension": "group",
                                               "alternate_first": "government", "alternate_second": "uto",
                                               "speech_minutes": "2"})
    add(client, room, "Sharipov Davlat")
    add(client, room, "Qodirov Anvar")
    add(client, room, "Nazarova Zarina")
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    page = client.get(room.base).get_data(as_text=True)
    queue = page[page.index('id="floor-queue-title"'):]
    assert queue.index("Nazarova Zarina") < queue.index("Qodirov Anvar")


def test_budgets_are_derived_from_the_records(client, room):
    client.post(f"{room.base}/budgets", data={"category": "government", "initial_minutes": "5"})
    client.post(f"{room.base}/budgets", data={"category": "government", "added_minutes": "1"})
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    client.post(f"{room.base}/stop")
    (speech,) = speeches()
    stretch = speech.stretches[0]
    stretch.ended_at = stretch.started_at + timedelta(minutes=7)
    db.session.commit()
    body = client.get(f"/api/v1/sessions/{room.session_id}/floor/lists/{room.list_id}").get_json()
    assert body["budgets"] == [{"category": "government", "initial_seconds": 300, "added_seconds": 60,
                                "used_seconds": 420.0, "left_seconds": -60.0, "over": True}]


def test_bad_input_names_the_problem_and_changes_nothing(client, room):
    response = client.post(f"{room.base}/add", data={"kind": "shouting"}, follow_redirects=True)
    assert "Choose what the request is for." in response.get_data(as_text=True)
    response = client.post(f"{room.base}/settings", data={"policy": "balance", "dimension": "group",
                                                          "speech_minutes": "many"}, follow_redirects=True)
    assert "A number of minutes." in response.get_data(as_text=True)
    assert client.post(f"{room.base}/speeches/999999/skip").status_code == 404
    assert speeches() == []


def test_the_live_part_answers_304_while_the_list_is_unchanged(client, room):
    first = client.get(f"{room.base}/live")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert client.get(f"{room.base}/live", headers={"If-None-Match": etag}).status_code == 304
    add(client, room, "Sharipov Davlat")
    changed = client.get(f"{room.base}/live", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Sharipov Davlat" in changed.get_data(as_text=True)


def test_a_script_gets_json_answers_to_its_actions(client, room):
    response = client.post(f"{room.base}/next", headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.get_json()["ok"] is False
    add(client, room, "Sharipov Davlat")
    response = client.post(f"{room.base}/next", headers={"Accept": "application/json"})
    assert response.get_json() == {"ok": True}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SpeechStretch)) == 1


def test_a_facilitator_of_another_session_may_not_run_this_list(client, room, create_user, create_session):
    from models import SessionFacilitator
    from tests.conftest import sign_in_without_password
    other = create_user("facilitator")
    elsewhere = create_session(title="Elsewhere", visibility="invitation")
    db.session.add(SessionFacilitator(session_id=elsewhere.id, user_id=other.id))
    db.session.commit()
    sign_in_without_password(client, other)
    assert client.get(room.base).status_code == 403  # a public session: seen, but not theirs
    assert client.post(f"{room.base}/next").status_code == 403
    assert client.post(f"/sessions/{room.session_id}/floor/chatham-house", data={"on": "1"}).status_code == 403


def test_next_gives_the_floor_to_the_head_of_the_queue_the_page_shows(client, room):
    """The action orders the queue from plain rows; the page from the loaded list: the same order, the same head."""
    client.post(f"{room.base}/settings", data={"policy": "balance", "dimension": "group", "speech_minutes": "3"})
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")
    for name in ("Qodirov Anvar", "Karimova Dilbar", "Nazarova Zarina"):
        add(client, room, name)
    page = client.get(room.base).get_data(as_text=True)
    queue = page[page.index('id="floor-queue-title"'):]
    head = min(("Qodirov Anvar", "Karimova Dilbar", "Nazarova Zarina"), key=queue.index)
    assert head != "Qodirov Anvar"  # government has spoken: balance puts the others first
    client.post(f"{room.base}/next")
    speaking = db.session.scalar(sa.select(Speech).where(Speech.state == SpeechState.speaking))
    assert speaking is not None and speaking.participant_id == room.people[head]
    assert "floor.out_of_turn" not in audit_actions()


def test_an_action_costs_the_same_queries_however_long_the_list(client, room, count_queries):
    """Speed (issue 15 item 8): "next" reads the list once, whatever it holds; no query per speech."""
    client.post(f"{room.base}/settings", data={"policy": "balance", "dimension": "group", "speech_minutes": "3"})
    add(client, room, "Sharipov Davlat")
    client.post(f"{room.base}/next")  # someone holds the floor each time "next" is measured

    def next_costs() -> int:
        for name in room.people:
            add(client, room, name)
        with count_queries() as counted:
            assert client.post(f"{room.base}/next", headers={"Accept": "application/json"}).get_json() == {"ok": True}
        return counted()

    short = next_costs()
    for _ in range(3):
        client.post(f"{room.base}/next")
    assert next_costs() == short
