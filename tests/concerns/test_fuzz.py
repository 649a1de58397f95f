"""Schemathesis against the concerns part of the OpenAPI document: no input makes the concerns API fail."""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from models import db
from models.concerns import ConcernStage
from tests.concerns.test_concerns import _concern, forum_world  # noqa: F401

EXAMPLES = 60
CONCERN_PATHS = r"concern|commitment"


def test_the_concerns_api_never_fails_on_any_input(app, token_for, forum_world) -> None:  # noqa: F811
    _forum, forum_session, people, staff = forum_world
    _concern(forum_session, people["farmer"], "Water", ConcernStage.accepted)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(path_regex=CONCERN_PATHS)
    headers = token_for(staff)
    calls = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))

    @given(case=calls)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
        db.session.rollback()

    call()
