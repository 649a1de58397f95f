"""Browser-facing hardening: headers on every response, cookies, caching of personal pages (ASVS 3.3, 3.4, 14.3)."""

import re
from pathlib import Path

import pytest
from flask import Flask, request

from app import create_app
from tests.conftest import TEST_PASSWORD

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def header_problems(response) -> list[str]:
    """What is missing from the headers every response carries, whatever its status or type."""
    csp = response.headers.get("Content-Security-Policy", "")
    directives = _csp_directives(csp) if csp else {}
    problems = []
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append("CSP allows unsafe-inline or unsafe-eval")
    for directive in ("object-src", "base-uri", "frame-ancestors"):
        if directives.get(directive) != ["'none'"]:
            problems.append(f"CSP {directive} is not 'none'")
    if "*" in directives.get("script-src", directives.get("default-src", ["*"])):
        problems.append("CSP allows scripts from anywhere")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.headers.get("Referrer-Policy") not in ("no-referrer", "same-origin", "strict-origin",
                                                       "strict-origin-when-cross-origin"):
        problems.append("no safe Referrer-Policy")
    return problems


def assert_hardened(response) -> None:
    """The response carries every security header."""
    assert header_problems(response) == []


@pytest.fixture
def crashing_app(app_config) -> Flask:
    """The app with one extra route that fails, and one that marks itself personal like the personal pages."""
    application = create_app(app_config)

    @application.route("/test-crash")
    def crash() -> str:
        raise RuntimeError("boom")

    @application.route("/test-personal")
    def personal() -> str:
        request.personal_data = True  # type: ignore[attr-defined]
        return "a person's own page"

    with application.app_context():
        yield application


@pytest.mark.parametrize("path, status", [
    ("/", 200),
    ("/login", 200),
    ("/no-such-page", 404),
    ("/test-crash", 500),
    ("/api/v1/openapi.json", 200),
    ("/api/v1/no-such-thing", 404),
    ("/api/v1/audit", 401),
    ("/static/app.css", 200),
])
def test_every_response_carries_the_security_headers(crashing_app, path, status):
    with crashing_app.test_client().get(path) as response:  # closes the file of a static response
        assert response.status_code == status
        assert_hardened(response)


def test_trace_is_not_allowed(client):
    for path in ("/", "/login", "/api/v1/openapi.json"):
        response = client.open(path, method="TRACE")
        assert response.status_code == 405
        assert_hardened(response)


def test_hsts_over_https_and_in_production(app_config, client):
    assert "Strict-Transport-Security" not in client.get("/").headers  # plain http in development
    https = client.get("/", base_url="https://localhost")
    max_age = re.search(r"max-age=(\d+)", https.headers["Strict-Transport-Security"])
    assert max_age and int(max_age[1]) >= 31536000
    production = create_app({**app_config, "PRODUCTION": True, "TRUSTED_HOSTS": ["localhost"]})
    with production.app_context():
        assert "Strict-Transport-Security" in production.test_client().get("/").headers


def test_pages_of_signed_in_staff_and_personal_pages_are_never_cached(crashing_app, create_user):
    from forums.security import hash_password
    from models import Role, User, db

    client = crashing_app.test_client()
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert "no-store" in client.get("/test-personal").headers["Cache-Control"]

    db.session.add(User(email="staff@example.org", password_hash=hash_password(TEST_PASSWORD), role=Role.organiser))
    db.session.commit()
    assert client.post("/login", data={"email": "staff@example.org", "password": TEST_PASSWORD}).status_code == 302
    for path in ("/", "/no-such-page", "/api/v1/audit"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path
    # Fingerprinted static files hold nothing personal and keep their year-long cache.
    with client.get("/static/app.css?v=1") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def _cookie_attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


def test_session_cookie_is_httponly_and_samesite(client, create_user, login):
    login(create_user("organiser"))
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_production_cookies_are_secure_with_the_host_prefix(app_config, password_hash):
    from models import Role, User, db

    production = create_app({**app_config, "PRODUCTION": True, "SECRET_KEY": "p" * 48,
                             "TRUSTED_HOSTS": ["localhost"]})
    with production.app_context():
        db.session.add(User(email="staff@example.org", password_hash=password_hash, role=Role.organiser))
        db.session.commit()
        response = production.test_client().post(
            "/login", data={"email": "staff@example.org", "password": TEST_PASSWORD}, base_url="https://localhost")
    assert response.status_code == 302
    set_cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("__Host-"))
    assert set_cookie.startswith("__Host-session=")
    attributes = _cookie_attributes(set_cookie)
    assert {"secure", "httponly", "samesite", "path"} <= attributes and "domain" not in attributes
    assert "SameSite=Lax" in set_cookie and "Path=/;" in set_cookie + ";"


#: what the CSP forbids anyway; found in a template it would be a page that silently breaks
INLINE_CODE = [
    # a JSON data block is not code and the CSP lets it be
    (re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on...= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def is_email_body(path: Path) -> bool:
    """A whole HTML document of its own in ``templates/mail/`` is the HTML part of an e-mail (pages extend
    base.html): never served, so no CSP applies, and mail readers drop linked stylesheets, so its few styles
    are inline."""
    return path.parent.name == "mail" and path.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype")


def test_templates_need_no_unsafe_inline():
    problems = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not is_email_body(path)
        for pattern, what in INLINE_CODE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert problems == []
