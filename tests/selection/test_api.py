"""``POST /api/v1/sessions/{id}/selection``: reproducible, within quotas, every chance published, staff only."""

from collections import Counter

import jsonschema_rs
import pytest
import sqlalchemy as sa

from forums.balance.rules import Quota
from models import AuditEntry, Category, ParticipantCategory, db
from tests.conftest import category
from tests.selection.test_draw import pool_of, save_policy  # noqa: F401 (fixture)

KEYS = {"selected", "probabilities", "min_probability", "algorithm", "seed", "is_optimal", "upper_bound", "gap",
        "time_limit_seconds", "steps"}


@pytest.fixture
def staff_headers(create_user, token_for):
    return token_for(create_user("organiser"))


def url(forum_session) -> str:
    return f"/api/v1/sessions/{forum_session.id}/selection"


def categories_of(ids, dimension: str) -> Counter:
    """People per category key of ``dimension`` among ``ids``."""
    return Counter(db.session.scalars(
        sa.select(Category.key).join(ParticipantCategory, ParticipantCategory.category_id == Category.id)
        .where(ParticipantCategory.participant_id.in_(list(ids)),
               Category.dimension_id == category(dimension, "woman" if dimension == "gender" else "uto").dimension_id)))


def schema_validator(client, name: str) -> jsonschema_rs.Draft202012Validator:
    spec = client.get("/api/v1/openapi.json").get_json()
    return jsonschema_rs.Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                               "components": spec["components"]})


def test_the_same_seed_draws_the_same_panel_within_every_quota(client, staff_headers, create_session, pool_of):
    forum_session = create_session(capacity=12)
    pool = pool_of(30)
    save_policy(forum_session, Quota("group", "uto", min_count=3, max_count=3),
                Quota("group", "government", max_share=0.25), Quota("gender", "woman", min_share=0.5))
    body = {"pool": pool, "size": 12, "seed": 2021, "algorithm": "leximin"}

    first = client.post(url(forum_session), json=body, headers=staff_headers)
    again = client.post(url(forum_session), json=body, headers=staff_headers)

    assert first.status_code == 200, first.get_data(as_text=True)
    answer = first.get_json()
    assert set(answer) == KEYS and answer == again.get_json()
    schema_validator(client, "Selection").validate(answer)
    assert answer["seed"] == 2021 and answer["algorithm"] == "leximin"
    assert answer["is_optimal"] and answer["gap"] == 0 and answer["upper_bound"] == answer["min_probability"]
    assert answer["time_limit_seconds"] == 20
    slow = client.post(url(forum_session), json={**body, "time_limit_seconds": 0}, headers=staff_headers)
    assert slow.status_code == 422 and "time_limit_seconds" in slow.get_json()["error"]["fields"]
    selected = answer["selected"]
    assert len(selected) == 12 == len(set(selected)) and set(selected) <= set(pool)
    groups, genders = categories_of(selected, "group"), categories_of(selected, "gender")
    assert groups["uto"] == 3 and groups["government"] <= 3 and genders["woman"] >= 6
    assert set(answer["probabilities"]) == {str(pid) for pid in pool}
    assert sum(answer["probabilities"].values()) == pytest.approx(12)
    assert answer["min_probability"] == pytest.approx(min(answer["probabilities"].values()))
    assert answer["min_probability"] > 0


def test_seeds_are_recorded_and_a_missing_seed_is_chosen_and_returned(client, staff_headers, create_session,
                                                                      pool_of):
    forum_session = create_session()
    pool = pool_of(9)
    answer = client.post(url(forum_session), json={"pool": pool, "size": 4}, headers=staff_headers).get_json()
    assert isinstance(answer["seed"], int) and answer["algorithm"] == "maximin"
    repeated = client.post(url(forum_session), json={"pool": pool, "size": 4, "seed": answer["seed"]},
                           headers=staff_headers).get_json()
    assert repeated["selected"] == answer["selected"]
    details = db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "selection.run",
                                                                    AuditEntry.object_id == forum_session.id)).all()
    assert len(details) == 2 and all(f"seed={answer['seed']} size=4" in detail for detail in details)


def test_the_waitlist_and_current_invitations(client, staff_headers, create_session, pool_of):
    forum_session = create_session(capacity=2)
    invited = pool_of(2, "invited", forum_session)
    waitlist = pool_of(6, "waitlisted", forum_session)
    answer = client.post(url(forum_session), json={"pool": "waitlist", "size": 5, "seed": 8,
                                                    "exclude": [waitlist[0]], "max_per_organisation": 2},
                         headers=staff_headers).get_json()
    assert set(invited) <= set(answer["selected"]) and len(answer["selected"]) == 5
    assert set(answer["probabilities"]) == {str(pid) for pid in invited + waitlist}
    assert answer["probabilities"][str(waitlist[0])] == 0
    assert answer["min_probability"] == pytest.approx(3 / 5)


def test_quotas_that_cannot_be_met_are_a_422_with_conflicts_and_the_smallest_relaxation(
        client, staff_headers, create_session, pool_of):
    forum_session = create_session()
    pool = pool_of(1, group="uto") + pool_of(6, group="government")
    save_policy(forum_session, Quota("group", "uto", min_count=3))
    response = client.post(url(forum_session), json={"pool": pool, "size": 5, "seed": 1}, headers=staff_headers)
    assert response.status_code == 422
    error = response.get_json()["error"]
    schema_validator(client, "SelectionInfeasible").validate(response.get_json())
    assert error["code"] == "infeasible" and error["reason"] == "quotas_conflict"
    assert [(c["category"], c["bound"], c["count"]) for c in error["conflicts"]] == [("uto", "min", 3)]
    assert [(r["category"], r["lower_min_by"]) for r in error["relaxation"]] == [("uto", 2)]
    assert "United Tajik Opposition" in error["relaxation"][0]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "selection.run")) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"size": 3}, "pool"),
    ({"pool": "everyone", "size": 3}, "pool"),
    ({"pool": [1, "2"], "size": 3}, "pool"),
    ({"pool": "waitlist", "size": 0}, "size"),
    ({"pool": "waitlist", "size": True}, "size"),
    ({"pool": "waitlist", "size": 3, "seed": -1}, "seed"),
    ({"pool": "waitlist", "size": 3, "algorithm": "nash"}, "algorithm"),
    ({"pool": "waitlist", "size": 3, "max_per_organisation": 0}, "max_per_organisation"),
    ({"pool": "waitlist", "size": 3, "exclude": "everyone"}, "exclude"),
    ({"pool": "waitlist", "size": 3, "colour": "red"}, "colour"),
    ({"pool": [999_999], "size": 1}, "pool"),
    ({"pool": "waitlist", "size": 1, "exclude": [999_999]}, "exclude"),
])
def test_bad_input_is_a_422_naming_the_field(client, staff_headers, create_session, body, field):
    response = client.post(url(create_session()), json=body, headers=staff_headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["error"]["fields"]


def test_only_staff_may_draw(client, create_user, token_for, create_session, pool_of):
    forum_session = create_session()
    body = {"pool": pool_of(3), "size": 2, "seed": 1}
    assert client.post(url(forum_session), json=body).status_code == 401
    assert client.post(url(forum_session), json=body, headers=token_for(create_user("facilitator"))).status_code == 403
    admin = token_for(create_user("admin"))
    assert client.post("/api/v1/sessions/999999/selection", json=body, headers=admin).status_code == 404
    assert client.post(url(forum_session), json=body, headers=admin).status_code == 200
