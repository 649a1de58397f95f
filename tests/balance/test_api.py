"""``/api/v1/sessions/{id}/policy``, ``/sessions/{id}/balance`` and ``/forums/{id}/policy`` per the contract."""

import pytest
import sqlalchemy as sa

from models import AuditEntry, Registration, RegistrationStatus, SessionFacilitator, db

CATEGORY_KEYS = {"key", "count", "share", "target_share", "min_count", "max_count", "min_share", "max_share", "status"}


@pytest.fixture
def room(create_session, create_participant):
    """A session of capacity 20 with 3 government, 1 UTO and 2 observers registered, 1 minority invited."""
    forum_session = create_session(capacity=20)
    people = [("government", "registered")] * 3 + [("uto", "confirmed"), ("international", "attended"),
                                                   ("international", "registered"), ("minorities", "invited")]
    for number, (group, status) in enumerate(people):
        participant = create_participant(f"Person {number}", group=group, gender="man" if number % 2 else "woman")
        db.session.add(Registration(forum_session=forum_session, participant=participant,
                                    status=RegistrationStatus(status)))
    db.session.commit()
    return forum_session


@pytest.fixture
def organiser(create_user, token_for):
    return token_for(create_user("organiser"))


def facilitator_of(create_user, token_for, session_id):
    user = create_user("facilitator")
    db.session.add(SessionFacilitator(session_id=session_id, user_id=user.id))
    db.session.commit()
    return token_for(user)


def put_policy(client, headers, session_id, quotas):
    return client.put(f"/api/v1/sessions/{session_id}/policy", json={"quotas": quotas}, headers=headers)


def group_of(body):
    return next(d for d in body["dimensions"] if d["key"] == "group")


def test_the_report_has_the_contracts_shape(client, room, organiser):
    put_policy(client, organiser, room.id, [
        {"dimension": "group", "category": "government", "max_share": 0.5, "target_share": 0.3},
        {"dimension": "group", "category": "minorities", "min_count": 2},
    ])
    response = client.get(f"/api/v1/sessions/{room.id}/balance", headers=organiser)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"session_id", "stage", "total", "ok", "dimensions", "suggestions"}
    assert (body["session_id"], body["stage"], body["total"], body["ok"]) == (room.id, "registered", 6, False)
    group = group_of(body)
    assert set(group) == {"key", "counted", "gallagher", "ok", "categories"}
    assert group["counted"] == 4  # observers are left out
    assert len(group["categories"]) == 10  # every category, zeros included
    lines = {line["key"]: line for line in group["categories"]}
    assert all(CATEGORY_KEYS <= set(line) for line in lines.values())
    assert lines["government"]["share"] == 0.75 and lines["government"]["status"] == "over"
    assert lines["media"] == {**lines["media"], "count": 0, "share": 0, "status": "ok", "max_share": None}
    assert lines["minorities"]["status"] == "under"
    # sqrt(0.5 * (75 - 30)^2) = 31.8198...: rounded to 2 decimals in the JSON
    assert group["gallagher"] == 31.82
    assert {"action": "add", "dimension": "group", "category": "minorities", "count": 2} in body["suggestions"]
    gender = next(d for d in body["dimensions"] if d["key"] == "gender")
    assert gender["gallagher"] is None and gender["ok"] is True


def test_shares_are_rounded_to_four_decimals(client, create_session, create_participant, organiser):
    forum_session = create_session()
    for number, group in enumerate(["uto", "uto", "government"]):
        db.session.add(Registration(forum_session=forum_session, status=RegistrationStatus.registered,
                                    participant=create_participant(f"P{number}", group=group)))
    body = client.get(f"/api/v1/sessions/{forum_session.id}/balance", headers=organiser).get_json()
    lines = {line["key"]: line["share"] for line in group_of(body)["categories"]}
    assert lines["uto"] == 0.6667 and lines["government"] == 0.3333


@pytest.mark.parametrize(("stage", "total"), [("invited", 7), ("registered", 6), ("confirmed", 2), ("attended", 1)])
def test_each_stage_is_reported(client, room, organiser, stage, total):
    body = client.get(f"/api/v1/sessions/{room.id}/balance?stage={stage}", headers=organiser).get_json()
    assert (body["stage"], body["total"]) == (stage, total)


def test_an_unknown_stage_is_a_422(client, room, organiser):
    response = client.get(f"/api/v1/sessions/{room.id}/balance?stage=everyone", headers=organiser)
    assert response.status_code == 422
    assert "stage" in response.get_json()["error"]["fields"]


def test_anonymous_callers_get_401(client, room):
    for response in (client.get(f"/api/v1/sessions/{room.id}/balance"),
                     client.get(f"/api/v1/sessions/{room.id}/policy"),
                     client.put(f"/api/v1/sessions/{room.id}/policy", json={"quotas": []},
                                headers={"Authorization": "Bearer nonsense"})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_facilitator_of_another_session_cannot_know_it_exists(client, room, create_session, create_user, token_for):
    other = create_session(title="Elsewhere")
    hidden = create_session(title="Closed round table", visibility="invitation")
    headers = facilitator_of(create_user, token_for, other.id)
    for path in (f"/api/v1/sessions/{hidden.id}/balance", f"/api/v1/sessions/{hidden.id}/policy",
                 f"/api/v1/sessions/{room.id + 999}/balance"):
        assert client.get(path, headers=headers).status_code == 404
    # The public room is no secret: the facilitator may see it exists but not read its balance.
    for path in (f"/api/v1/sessions/{room.id}/balance", f"/api/v1/sessions/{room.id}/policy"):
        assert client.get(path, headers=headers).status_code == 403
    # Writing a policy is for staff: role first, whichever session.
    assert put_policy(client, headers, room.id, []).status_code == 403
    assert put_policy(client, headers, hidden.id, []).status_code == 403


def test_the_sessions_facilitator_reads_but_may_not_write(client, room, create_user, token_for):
    headers = facilitator_of(create_user, token_for, room.id)
    assert client.get(f"/api/v1/sessions/{room.id}/balance", headers=headers).status_code == 200
    assert client.get(f"/api/v1/sessions/{room.id}/policy", headers=headers).status_code == 200
    response = put_policy(client, headers, room.id, [{"dimension": "group", "category": "uto", "min_count": 1}])
    assert response.status_code == 403
    assert client.get(f"/api/v1/forums/{room.forum_id}/policy", headers=headers).status_code == 403


def test_staff_save_a_policy_and_get_it_back(client, room, organiser):
    quotas = [{"dimension": "group", "category": "uto", "min_count": 2, "max_share": 0.4},
              {"dimension": "gender", "category": "woman", "min_share": 0.3, "target_share": 0.5}]
    response = put_policy(client, organiser, room.id, quotas)
    assert response.status_code == 200
    body = response.get_json()
    assert body["source"] == "session" and body["session_id"] == room.id
    full = [{"min_count": None, "max_count": None, "min_share": None, "max_share": None, "target_share": None, **q}
            for q in quotas]
    assert body["quotas"] == full
    assert client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()["quotas"] == full
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_type == "session")).all()
    assert actions == ["policy.update"]


def test_the_forums_policy_applies_until_the_session_overrides_it(client, room, organiser):
    assert client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()["source"] == "none"
    forum_quotas = [{"dimension": "group", "category": "government", "max_count": 2}]
    response = client.put(f"/api/v1/forums/{room.forum_id}/policy", json={"quotas": forum_quotas}, headers=organiser)
    assert response.status_code == 200 and response.get_json()["source"] == "forum"
    inherited = client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()
    assert inherited["source"] == "forum" and inherited["quotas"][0]["max_count"] == 2
    report = client.get(f"/api/v1/sessions/{room.id}/balance", headers=organiser).get_json()
    assert {line["key"]: line["status"] for line in group_of(report)["categories"]}["government"] == "over"

    put_policy(client, organiser, room.id, [])  # an empty override: no limits for this session
    assert client.get(f"/api/v1/sessions/{room.id}/balance", headers=organiser).get_json()["ok"] is True
    dropped = client.delete(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()
    assert dropped["source"] == "forum"


@pytest.mark.parametrize(("quotas", "field", "words"), [
    ([{"dimension": "caste", "category": "x", "min_count": 1}], "quotas[0].dimension", "no dimension"),
    ([{"dimension": "group", "category": "aliens", "min_count": 1}], "quotas[0].category", "no category"),
    ([{"dimension": "group", "category": "uto", "min_count": 5, "max_count": 2}], "quotas[0].min_count",
     "minimum (5) is above the maximum (2)"),
    ([{"dimension": "group", "category": "uto", "min_share": 0.6, "max_share": 0.5}], "quotas[0].min_share",
     "minimum (60%) is above the maximum (50%)"),
    ([{"dimension": "group", "category": "uto", "min_count": 15},
      {"dimension": "group", "category": "government", "min_count": 10}], "dimensions.group",
     "add up to 25 people, more than the capacity of 20"),
    ([{"dimension": "gender", "category": "woman", "min_share": 0.6},
      {"dimension": "gender", "category": "man", "min_share": 0.6}], "dimensions.gender", "more than 100%"),
    ([{"dimension": "group", "category": "international", "min_count": 1}], "quotas[0].category",
     "does not count toward balance"),
    ([{"dimension": "group", "category": "uto", "max_share": 1.5}], "quotas[0].max_share", "between 0% and 100%"),
])
def test_a_refused_policy_says_why_and_changes_nothing(client, room, organiser, quotas, field, words):
    put_policy(client, organiser, room.id, [{"dimension": "group", "category": "uto", "min_count": 1}])
    before = client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    response = put_policy(client, organiser, room.id, quotas)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert words in error["fields"][field] and words in error["message"]
    assert client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits


MALFORMED = [
    ({"quotas": "all"}, "quotas"),
    ({"quotas": [], "owner": 3}, "owner"),
    ({}, "quotas"),
    ({"quotas": [{"dimension": "group"}]}, "quotas[0].category"),
    ({"quotas": [{"dimension": "group", "category": "uto", "min_count": "two"}]}, "quotas[0].min_count"),
    ({"quotas": [{"dimension": "group", "category": "uto", "min_count": 1.5}]}, "quotas[0].min_count"),
    ({"quotas": [{"dimension": "group", "category": "uto", "max_share": True}]}, "quotas[0].max_share"),
    ({"quotas": [{"dimension": "group", "category": "uto", "colour": "red"}]}, "quotas[0].colour"),
]


def test_malformed_policies_are_422_with_the_field(client, room, organiser):
    for body, field in MALFORMED:
        response = client.put(f"/api/v1/sessions/{room.id}/policy", json=body, headers=organiser)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], body
    assert client.get(f"/api/v1/sessions/{room.id}/policy", headers=organiser).get_json()["source"] == "none"


def test_a_missing_forum_or_session_is_404(client, organiser):
    assert client.get("/api/v1/forums/999/policy", headers=organiser).status_code == 404
    assert put_policy(client, organiser, 999, []).status_code == 404
    assert client.get("/api/v1/sessions/999/balance", headers=organiser).status_code == 404


def test_the_openapi_document_describes_the_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "put", "delete"} <= set(spec["paths"]["/sessions/{session_id}/policy"])
    assert "get" in spec["paths"]["/sessions/{session_id}/balance"]
    assert {"get", "put"} <= set(spec["paths"]["/forums/{forum_id}/policy"])
    assert "BalanceReport" in spec["components"]["schemas"]


def test_a_facilitator_reads_no_count_that_singles_a_person_out(client, room, create_user, token_for):
    """SECURITY.md T23: the report a facilitator polls is the door panel's coarse one; staff keep the counts."""
    headers = facilitator_of(create_user, token_for, room.id)
    body = client.get(f"/api/v1/sessions/{room.id}/balance?stage=attended", headers=headers).get_json()
    assert body["detail"] == "coarse" and body["total"] == 1
    # One person attended: fewer than k=5, so nothing per category at all.
    assert all(not dimension["shown"] and dimension["categories"] == [] for dimension in body["dimensions"])
    assert "count" not in str(body) and "share" not in str(body)
