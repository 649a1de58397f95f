"""``GET /api/v1/openapi.json`` describes exactly the API the app serves, and answers match its schemas."""

import re

import jsonschema_rs
import pytest

from forums.registrations.operations import register
from models import AgendaItem, AgendaKind, AgendaSpeaker, RegistrationStatus, db
from tests.conftest import TEST_YEAR

API_PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def _served(app) -> dict[str, set[str]]:
    """Every /api/v1 rule as an OpenAPI path with its methods."""
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX + "/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(API_PREFIX):])
            served.setdefault(path, set()).update(m.lower() for m in rule.methods - IGNORED_METHODS)
    return served


def _validator(spec: dict, schema: dict) -> jsonschema_rs.Draft202012Validator:
    return jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]})


def _response_schema(spec: dict, path: str, method: str, status: int) -> dict:
    response = spec["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


def test_every_documented_path_is_served_and_every_served_path_documented(client, app):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {path: {m for m in item if m in HTTP_METHODS} for path, item in spec["paths"].items()}
    assert documented == _served(app)


def test_the_description_is_a_valid_openapi_3_1_document(client):
    raw = client.get("/api/v1/openapi.json")
    spec = raw.get_json()
    assert spec["openapi"].startswith("3.1")
    refs = set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', raw.get_data(as_text=True)))
    assert refs <= set(spec["components"]["schemas"])
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS & set(item):
            operation = item[method]
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            declared = {parameter["name"] for parameter in parameters if parameter["in"] == "path"}
            assert set(re.findall(r"{([a-z_]+)}", path)) <= declared, (path, method)
            assert operation["responses"], (path, method)
            for schema in _request_schemas(operation):
                _validator(spec, schema)  # compiles: the schema itself is valid JSON Schema


def _request_schemas(operation: dict) -> list[dict]:
    content = operation.get("requestBody", {}).get("content", {})
    return [media["schema"] for media in content.values()]


@pytest.fixture
def populated(create_session, create_participant):
    """A session with an agenda item, a speaker and a registration."""
    forum_session = create_session()
    speaker = create_participant("Sharipov Daler", organisation="Academy of Sciences")
    item = AgendaItem(forum_session=forum_session, title="Opening", kind=AgendaKind.opening,
                      starts_at=forum_session.starts_at, ends_at=forum_session.ends_at)
    item.speakers.append(AgendaSpeaker(participant=speaker))
    db.session.add(item)
    register(forum_session, speaker, RegistrationStatus.registered)
    db.session.commit()
    return forum_session, speaker


def test_answers_match_their_documented_schemas(client, create_user, token_for, populated):
    forum_session, speaker = populated
    headers = token_for(create_user())
    spec = client.get("/api/v1/openapi.json").get_json()
    checks = [
        ("/dimensions", "get", f"{API_PREFIX}/dimensions", 200),
        ("/forums", "get", f"{API_PREFIX}/forums", 200),
        ("/forums/{forum_id}", "get", f"{API_PREFIX}/forums/{forum_session.forum_id}", 200),
        ("/sessions", "get", f"{API_PREFIX}/sessions", 200),
        ("/sessions/{session_id}", "get", f"{API_PREFIX}/sessions/{forum_session.id}", 200),
        ("/sessions/{session_id}", "get", f"{API_PREFIX}/sessions/9999", 404),
        ("/participants/{participant_id}", "get", f"{API_PREFIX}/participants/{speaker.id}", 200),
        ("/sessions/{session_id}/registrations", "get", f"{API_PREFIX}/sessions/{forum_session.id}/registrations",
         200),
    ]
    for path, method, url, status in checks:
        response = client.open(url, method=method.upper(), headers=headers)
        assert response.status_code == status, (url, response.get_data(as_text=True))
        _validator(spec, _response_schema(spec, path, method, status)).validate(response.get_json())


def test_writes_answer_what_their_schemas_say(client, create_user, token_for, populated):
    forum_session, speaker = populated
    headers = token_for(create_user())
    spec = client.get("/api/v1/openapi.json").get_json()
    writes = [
        ("/forums", "post", f"{API_PREFIX}/forums", {"title": "Seminar on law", "kind": "seminar"}, 201),
        ("/sessions/{session_id}", "patch", f"{API_PREFIX}/sessions/{forum_session.id}", {"capacity": 40}, 200),
        ("/sessions/{session_id}/agenda", "post", f"{API_PREFIX}/sessions/{forum_session.id}/agenda",
         {"title": "Closing", "kind": "closing", "starts_at": f"{TEST_YEAR}-12-03T12:00:00+05:00",
          "ends_at": f"{TEST_YEAR}-12-03T13:00:00+05:00", "speaker_ids": [speaker.id]}, 201),
        ("/participants", "post", f"{API_PREFIX}/participants", {"name": "Ivanova Olga", "categories": {}}, 201),
        ("/dimensions", "post", f"{API_PREFIX}/dimensions", {"key": "age_band", "name": "Age band"}, 201),
        ("/forums", "post", f"{API_PREFIX}/forums", {"title": "X", "kind": "picnic"}, 422),
    ]
    for path, method, url, body, status in writes:
        operation = spec["paths"][path][method]
        if status < 400:
            for schema in _request_schemas(operation):
                _validator(spec, schema).validate(body)
        response = client.open(url, method=method.upper(), json=body, headers=headers)
        assert response.status_code == status, (url, response.get_data(as_text=True))
        _validator(spec, _response_schema(spec, path, method, status)).validate(response.get_json())
