"""Fuzzing: Schemathesis against the API's own OpenAPI document, Hypothesis against the forms.

Bounded so the whole file stays well under a minute: a fixed number of examples spread over all
operations (or all forms), no deadline (the machine is shared), on one seeded database so that
some of the ids tried exist.
"""

import re
from typing import Any

import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from forums.accounts.auth import LoginForm
from models import User, db
from tests.accounts.test_permissions_matrix import World, build_url, world  # noqa: F401
from tests.conftest import TEST_YEAR, sign_in_without_password

#: examples over all API operations together, valid and invalid ones
API_EXAMPLES = 150
#: examples over all form pages together
FORM_EXAMPLES = 80

#: values that have broken form handling elsewhere: control characters, Unicode digits, huge input, scripts
NASTY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.sampled_from(["\x00", "a" * 10_000, "Ҳукумат\r\n<script>", "²", "١٢", "-1", "1e9", f"{TEST_YEAR}-13-45",
                     "25:61"]),
    st.text(alphabet="ғӣқӯҳҷ@.0123456789", max_size=40),
)


def test_the_api_never_fails_on_any_input(app: Flask, world: World, token_for) -> None:
    """Schemathesis draws calls from the OpenAPI document, valid and not, and sends them as an admin."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = token_for(db.session.get(User, world.users["admin"]))
    calls = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))

    @given(case=calls)
    @settings(max_examples=API_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"

    call()


@given(email=NASTY_TEXT, password=NASTY_TEXT)
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_login_form_survives_any_input(app: Flask, email: str, password: str) -> None:
    with app.test_request_context(method="POST", data={"email": email, "password": password}):
        form = LoginForm(meta={"csrf": False})
        form.validate()  # must answer valid or not, never raise
    response = app.test_client().post("/login", data={"email": email, "password": password})
    assert response.status_code in (200, 302, 400, 413)


FIELD_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
#: values drawn per example; a form uses as many as it has fields
MAX_FIELDS = 40


def test_every_form_survives_any_input(app: Flask, world: World) -> None:
    """Every page that shows a form and takes it back, posted random values by an admin: never a 500."""
    forms = sorted((rule for rule in app.url_map.iter_rules()
                    if {"GET", "POST"} <= (rule.methods or set()) and not rule.rule.startswith("/api/")
                    and rule.endpoint != "auth.login"), key=lambda rule: rule.endpoint)
    assert forms
    client: FlaskClient = app.test_client()
    sign_in_without_password(client, db.session.get(User, world.users["admin"]))

    @given(rule=st.sampled_from(forms), values=st.lists(NASTY_TEXT, min_size=MAX_FIELDS, max_size=MAX_FIELDS))
    @settings(max_examples=FORM_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def post(rule: Any, values: list[str]) -> None:
        url = build_url(rule, world.values("public"))
        page = client.get(url)
        names = sorted(set(FIELD_NAME.findall(page.get_data(as_text=True))) - {"csrf_token"})
        sent = dict(zip(names, values, strict=False))
        response = client.post(url, data=sent)
        assert response.status_code < 500, f"{url} with {sent!r}"

    post()
