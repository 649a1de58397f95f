"""API: dimensions, categories and forums; token sign-in and the error format shared by every endpoint."""

import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from models import AuditEntry, Category, Dimension, Forum, db


def row_count(model) -> int:
    """How many rows a table holds."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_api_error(response, status: int, *fields: str) -> dict:
    """The response is an error in the API's format, naming at least ``fields``."""
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and error["message"]
    assert set(fields) <= set(error["fields"]), error
    return error


def test_anyone_reads_the_seeded_dimensions_with_their_categories(client):
    body = client.get("/api/v1/dimensions").get_json()
    by_key = {dimension["key"]: dimension for dimension in body["items"]}
    assert {"group", "region", "gender"} <= set(by_key)
    assert body["next"] is None
    group = {category["key"]: category for category in by_key["group"]["categories"]}
    assert group["government"] == {"key": "government", "name": "Government", "name_ru": "Правительство",
                                   "name_tg": "Ҳукумат", "counts_toward_balance": True}
    assert group["international"]["counts_toward_balance"] is False
    assert [c["key"] for c in by_key["gender"]["categories"]] == ["woman", "man"]


def test_staff_add_a_dimension_and_its_categories(client, create_user, token_for):
    headers = token_for(create_user("organiser"))
    created = client.post("/api/v1/dimensions", json={"key": "age_band", "name": "Age band", "name_ru": "Возраст"},
                          headers=headers)
    assert created.status_code == 201
    assert created.get_json() == {"key": "age_band", "name": "Age band", "name_ru": "Возраст", "name_tg": "",
                                  "categories": []}
    category = client.post("/api/v1/dimensions/age_band/categories",
                           json={"key": "under_30", "name": "Under 30", "counts_toward_balance": True},
                           headers=headers)
    assert category.status_code == 201
    assert category.get_json()["key"] == "under_30"
    listed = {d["key"]: d for d in client.get("/api/v1/dimensions").get_json()["items"]}
    assert [c["key"] for c in listed["age_band"]["categories"]] == ["under_30"]


def test_duplicate_keys_conflict_and_change_nothing(client, create_user, token_for):
    headers = token_for(create_user("admin"))
    dimensions, categories = row_count(Dimension), row_count(Category)
    assert_api_error(client.post("/api/v1/dimensions", json={"key": "region", "name": "Again"}, headers=headers),
                  409, "key")
    assert_api_error(client.post("/api/v1/dimensions/group/categories", json={"key": "media", "name": "Press"},
                              headers=headers), 409, "key")
    assert (row_count(Dimension), row_count(Category)) == (dimensions, categories)


def test_invalid_dimension_and_category_values_are_422(client, create_user, token_for):
    headers = token_for(create_user("organiser"))
    assert_api_error(client.post("/api/v1/dimensions", json={"key": "Age Band", "name": "Age"}, headers=headers),
                  422, "key")
    assert_api_error(client.post("/api/v1/dimensions", json={"key": "age", "name": ["Age"]}, headers=headers),
                  422, "name")
    assert_api_error(client.post("/api/v1/dimensions/group/categories",
                              json={"key": "press", "name": "Press", "counts_toward_balance": "yes"},
                              headers=headers), 422, "counts_toward_balance")
    assert_api_error(client.post("/api/v1/dimensions/nowhere/categories", json={"key": "x", "name": "X"},
                              headers=headers), 404)


def test_staff_create_and_list_forums(client, create_user, token_for):
    headers = token_for(create_user("organiser"))
    created = client.post("/api/v1/forums", headers=headers,
                          json={"title": "Discussion Club", "kind": "discussion_club", "description": "Evenings"})
    assert created.status_code == 201
    forum = created.get_json()
    assert forum == {"id": forum["id"], "title": "Discussion Club", "kind": "discussion_club",
                     "description": "Evenings", "retention_days": None, "version": 1}
    assert client.get(f"/api/v1/forums/{forum['id']}", headers=headers).get_json() == forum
    assert client.get("/api/v1/forums", headers=headers).get_json() == {"items": [forum], "next": None}


def test_forum_list_pages_with_a_cursor(client, create_user, token_for, create_forum):
    headers = token_for(create_user("facilitator"))
    titles = [f"Round table {n}" for n in range(5)]
    for title in titles:
        create_forum(title=title)
    first = client.get("/api/v1/forums?limit=2", headers=headers).get_json()
    seen = [forum["title"] for forum in first["items"]]
    next_url = first["next"]
    while next_url:
        page = client.get(next_url, headers=headers).get_json()
        seen += [forum["title"] for forum in page["items"]]
        next_url = page["next"]
    assert seen == titles
    assert_api_error(client.get("/api/v1/forums?limit=101", headers=headers), 422, "limit")
    assert_api_error(client.get("/api/v1/forums?cursor=%%%", headers=headers), 422, "cursor")


def test_bad_forum_values_are_422_and_create_nothing(client, create_user, token_for):
    headers = token_for(create_user("organiser"))
    before = row_count(Forum)
    assert_api_error(client.post("/api/v1/forums", json={"title": "X", "kind": "picnic"}, headers=headers), 422, "kind")
    assert_api_error(client.post("/api/v1/forums", json={"title": " ", "kind": "seminar"}, headers=headers),
                     422, "title")
    assert_api_error(client.post("/api/v1/forums", json={"title": "X", "kind": ["seminar"]}, headers=headers),
                  422, "kind")
    assert_api_error(client.post("/api/v1/forums", json={"title": "X", "kind": "seminar", "retention_days": 0},
                              headers=headers), 422, "retention_days")
    # mass assignment: a field the API does not take is refused, not ignored
    assert_api_error(client.post("/api/v1/forums", json={"id": 99, "title": "X", "kind": "seminar"}, headers=headers),
                  422, "id")
    assert_api_error(client.post("/api/v1/forums", json={"kind": "seminar"}, headers=headers), 422, "title")
    assert row_count(Forum) == before


def test_patch_forum_changes_only_the_fields_given_and_refuses_a_stale_version(client, create_user, token_for,
                                                                                 create_forum):
    headers = token_for(create_user("organiser"))
    forum = create_forum(title="Economic forum", kind="economic_forum", description="Regions meet")
    changed = client.patch(f"/api/v1/forums/{forum.id}", json={"title": "Economic forum, south", "version": 1},
                           headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "Economic forum, south"
    assert changed.get_json()["description"] == "Regions meet"
    assert changed.get_json()["version"] == 2
    assert_api_error(client.patch(f"/api/v1/forums/{forum.id}", json={"title": "Stale", "version": 1}, headers=headers),
                  409)
    db.session.expire_all()
    assert db.session.get(Forum, forum.id).title == "Economic forum, south"
    assert_api_error(client.patch("/api/v1/forums/9999", json={"title": "X"}, headers=headers), 404)


def test_who_may_do_what_with_forums(client, create_user, token_for, create_forum):
    forum = create_forum()
    facilitator = token_for(create_user("facilitator"))
    assert_api_error(client.get("/api/v1/forums"), 401)
    assert client.get("/api/v1/forums", headers=facilitator).status_code == 200
    assert_api_error(client.post("/api/v1/forums", json={"title": "X", "kind": "seminar"}, headers=facilitator), 403)
    assert_api_error(client.patch(f"/api/v1/forums/{forum.id}", json={"title": "X"}, headers=facilitator), 403)
    # Without a token the call counts as a cookie call, whose CSRF check (400) runs before sign-in (401).
    anonymous = client.post("/api/v1/forums", json={"title": "X", "kind": "seminar"})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]
    assert row_count(Forum) == 1
    assert_api_error(client.post("/api/v1/dimensions", json={"key": "x", "name": "X"}, headers=facilitator), 403)


def test_a_bad_or_revoked_token_is_401_even_where_anonymous_reads_are_allowed(client, create_user, token_for):
    from forums.accounts.tokens import revoke_tokens

    user = create_user("organiser")
    headers = token_for(user)
    assert client.get("/api/v1/forums", headers=headers).status_code == 200
    assert_api_error(client.get("/api/v1/dimensions", headers={"Authorization": "Bearer not-a-token"}), 401)
    revoke_tokens(user)
    db.session.commit()
    assert_api_error(client.get("/api/v1/forums", headers=headers), 401)
    assert_api_error(client.get("/api/v1/dimensions", headers=headers), 401)


def test_the_token_printed_by_create_token_works(client, runner, create_user):
    user = create_user("organiser", email="nodira@example.org")
    result = runner.invoke(args=["create-token", "nodira@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    response = client.post("/api/v1/forums", json={"title": "Symposium on law", "kind": "symposium"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "forum.create")).one()
    assert entry.actor_id == user.id


def test_malformed_wrong_type_and_oversized_bodies(client, create_user, token_for):
    headers = token_for(create_user("organiser"))
    before = row_count(Forum)
    assert_api_error(client.post("/api/v1/forums", data='{"title": ', content_type="application/json",
                              headers=headers), 400)
    assert_api_error(client.post("/api/v1/forums", json=["title"], headers=headers), 400)
    assert_api_error(client.post("/api/v1/forums", data="title=X", headers=headers), 415)
    oversized = '{"title": "' + "x" * (3 * 1024 * 1024) + '", "kind": "seminar"}'
    assert_api_error(client.post("/api/v1/forums", data=oversized, content_type="application/json", headers=headers),
                  413)
    assert row_count(Forum) == before


def test_cookie_calls_need_a_csrf_token_but_bearer_calls_do_not(app, client, create_user, token_for):
    from tests.conftest import TEST_PASSWORD

    app.config["WTF_CSRF_ENABLED"] = True
    user = create_user("organiser", email="staff@example.org")
    headers = token_for(user)
    bearer = client.post("/api/v1/forums", json={"title": "A", "kind": "seminar"}, headers=headers)
    assert bearer.status_code == 201
    login_page = client.get("/login").get_data(as_text=True)
    login_csrf = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed_in = client.post("/login", data={"email": "staff@example.org", "password": TEST_PASSWORD,
                                            "csrf_token": login_csrf})
    assert signed_in.status_code == 302
    assert_api_error(client.post("/api/v1/forums", json={"title": "B", "kind": "seminar"}), 400)
    # What a page's csrf_token() hands the app's JavaScript: the session's secret, signed.
    with client.session_transaction() as cookie_session:
        cookie_session["csrf_token"] = "raw-csrf-secret"
    signed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps("raw-csrf-secret")
    with_token = client.post("/api/v1/forums", json={"title": "C", "kind": "seminar"},
                             headers={"X-CSRFToken": signed})
    assert with_token.status_code == 201
