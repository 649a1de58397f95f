"""The concerns API: a journey through every resource, each answer checked against its OpenAPI schema."""

from datetime import timedelta

import jsonschema_rs
import sqlalchemy as sa

from models import AgendaItem, AgendaKind, AuditEntry, Concern, db, utcnow
from tests.concerns.test_concerns import forum_world  # noqa: F401

API = "/api/v1"


def _check(spec, path, method, status, response):
    assert response.status_code == status, (path, response.get_data(as_text=True))
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]}).validate(response.get_json())
    return response.get_json()


def test_concerns_issues_answers_and_commitments_through_the_api(client, token_for, forum_world):  # noqa: F811
    _forum, forum_session, people, staff = forum_world
    headers = token_for(staff)
    spec = client.get(f"{API}/openapi.json").get_json()
    sid = forum_session.id
    made = _check(spec, "/sessions/{session_id}/concerns", "post", 201, client.post(
        f"{API}/sessions/{sid}/concerns", headers=headers,
        json={"participant_id": people["farmer"].id, "channel": "paper", "language": "tg", "text": "Об"}))
    assert made["categories"]["region"] == "kulyab" and made["stage"] == "submitted"
    refused = client.patch(f"{API}/concerns/{made['id']}", headers=headers, json={"stage": "declined"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["fields"]
    _check(spec, "/concerns/{concern_id}", "patch", 200, client.patch(
        f"{API}/concerns/{made['id']}", headers=headers,
        json={"stage": "accepted", "translation": {"language": "ru", "text": "Вода", "done": True}}))
    issue = _check(spec, "/sessions/{session_id}/concern-issues", "post", 201, client.post(
        f"{API}/sessions/{sid}/concern-issues", headers=headers, json={"title": "Water", "concern_ids": [made["id"]]}))
    item = AgendaItem(forum_session=forum_session, title="Hearing", kind=AgendaKind.discussion,
                      starts_at=forum_session.starts_at, ends_at=forum_session.ends_at)
    db.session.add(item)
    db.session.commit()
    moved = _check(spec, "/concern-issues/{issue_id}", "patch", 200, client.patch(
        f"{API}/concern-issues/{issue['id']}", headers=headers, json={"stage": "on_agenda", "agenda_item_id": item.id}))
    assert moved["stage"] == "on_agenda"
    answer = _check(spec, "/concern-issues/{issue_id}/answers", "post", 201, client.post(
        f"{API}/concern-issues/{issue['id']}/answers", headers=headers,
        json={"official": "Deputy minister", "authority": "Ministry of Water", "answered_on": "2026-12-03",
              "text": "Accepted", "state": "accepted"}))
    assert answer["published_at"] is None
    commitment = _check(spec, "/concern-answers/{answer_id}/commitments", "post", 201, client.post(
        f"{API}/concern-answers/{answer['id']}/commitments", headers=headers,
        json={"description": "Cut the tariff", "owner": "Ministry of Water",
              "due_on": (utcnow().date() - timedelta(days=2)).isoformat()}))
    assert commitment["overdue"] is True
    _check(spec, "/concern-answers/{answer_id}", "patch", 200, client.patch(
        f"{API}/concern-answers/{answer['id']}", headers=headers, json={"published": True}))
    listed = _check(spec, "/forums/{forum_id}/commitments", "get", 200, client.get(
        f"{API}/forums/{forum_session.forum_id}/commitments", headers=headers))
    assert [each["id"] for each in listed["items"]] == [commitment["id"]]
    _check(spec, "/commitments/{commitment_id}", "patch", 200, client.patch(
        f"{API}/commitments/{commitment['id']}", headers=headers, json={"status": "done"}))
    issues = _check(spec, "/sessions/{session_id}/concern-issues", "get", 200,
                    client.get(f"{API}/sessions/{sid}/concern-issues", headers=headers))
    assert issues["items"][0]["stage"] == "answered"
    concerns = _check(spec, "/sessions/{session_id}/concerns", "get", 200,
                      client.get(f"{API}/sessions/{sid}/concerns", headers=headers))
    assert concerns["items"][0]["translations"] == {"ru": {"text": "Вода", "done": True}}
    report = client.get(f"{API}/sessions/{sid}/concerns/balance?stage=answered", headers=headers).get_json()
    assert report["stage"] == "answered" and report["total"] == 1
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "concern.list")) is not None


def test_the_api_refuses_bad_input_without_changing_anything(client, token_for, forum_world):  # noqa: F811
    _forum, forum_session, people, staff = forum_world
    headers = token_for(staff)
    url = f"{API}/sessions/{forum_session.id}/concerns"
    for body in ({"participant_id": people["farmer"].id, "channel": "link", "language": "en", "text": "x"},
                 {"participant_id": people["farmer"].id, "channel": "paper", "language": "de", "text": "x"},
                 {"participant_id": "1", "channel": "paper", "language": "en", "text": "x"},
                 {"participant_id": people["farmer"].id, "channel": "paper", "language": "en", "text": ""}):
        assert client.post(url, headers=headers, json=body).status_code == 422
    assert client.get(f"{API}/sessions/{forum_session.id}/concerns/balance?stage=seated",
                      headers=headers).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Concern)) == 0


def test_role_first_then_the_object(client, token_for, create_user, forum_world):  # noqa: F811
    _forum, forum_session, people, staff = forum_world
    facilitator = token_for(create_user("facilitator", email="door@example.org"))
    organiser = token_for(staff)
    assert client.patch(f"{API}/concerns/987654", headers=facilitator, json={}).status_code == 403
    assert client.patch(f"{API}/concerns/987654", headers=organiser, json={}).status_code == 404
    assert client.get(f"{API}/sessions/{forum_session.id}/concerns", headers=facilitator).status_code == 403
