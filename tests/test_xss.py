"""T07 cross-site scripting: hostile text stored in every field people type, then every page that shows it.

Each payload goes into names, organisations, session titles, descriptions and venues, agenda items,
forum titles, dimension and category names and a staff e-mail; the pages are parsed and must hold
no element, event attribute or ``javascript:`` link the app did not write, and must show the
payload as the text it is. JSON, calendar and CSV answers must be served as what they are, never
as HTML. The templates and code are also checked for the ways autoescaping is switched off.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from forums.balance import policies
from forums.balance.rules import Quota
from forums.people import links
from forums.people.names import search_key
from forums.registrations.operations import mark_attended, register
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    Category,
    Dimension,
    Participant,
    ParticipantCategory,
    RegistrationStatus,
    SessionFacilitator,
    db,
)
from tests.conftest import TEST_YEAR, category, dushanbe_time, sign_in_without_password

ROOT = Path(__file__).resolve().parent.parent

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' onmouseover='alert(1)",
    "x onmouseover=alert(1) y=",
    "</script><script>alert(1)</script>",
    # Breaks out of JSON or a string inside a script: quotes, brackets, a closing tag, a line separator.
    '"}]}\'</script><svg onload=alert(1)>\u2028//',
]

#: attributes a browser follows as a URL
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
#: elements the app never writes itself, so any found was injected
FOREIGN_ELEMENTS = ["img", "iframe", "object", "embed", "base", "frame", "frameset", "applet", "math", "style"]


def assert_inert(html: str, payload: str, *, shows: bool, where: str) -> None:
    """The page holds no active content the app did not write, and shows ``payload`` literally."""
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/") and not script.get_text().strip(), (where, str(script))
    assert not soup.find_all(FOREIGN_ELEMENTS), (where, soup.find_all(FOREIGN_ELEMENTS))
    for svg in soup.find_all("svg"):
        assert "balance-chart" in svg.get("class", []), (where, str(svg)[:200])  # the app's only drawing
    seen: list[str] = [soup.get_text()]
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), (where, element.name, name)
            values = value if isinstance(value, list) else [value]
            seen.extend(values)
            if name.lower() in URL_ATTRIBUTES:
                followed = [re.sub(r"[\s\x00-\x1f]", "", v).lower() for v in values]
                assert not any(v.startswith(("javascript:", "vbscript:", "data:text/html")) for v in followed), \
                    (where, element.name, name, values)
    if shows:
        assert any(payload in text for text in seen), f"{where} does not show the stored text"


@dataclass
class Hostile:
    """A world whose every typed field holds ``payload``."""

    payload: str
    forum_id: int
    session_id: int
    participant_id: int
    item_id: int
    token: str


def build_world(payload: str, create_forum: Any, create_session: Any, create_user: Any) -> Hostile:
    """Forum, session, agenda, people, a dimension and a category, a policy and a facilitator, all hostile."""
    forum = create_forum(title=payload, description=payload)
    forum_session = create_session(forum=forum, title=payload, description=payload, capacity=4,
                                   translations={"ru": {"title": payload, "description": payload}})
    forum_session.venue = payload
    dimension = Dimension(key="xss_dimension", name_en=payload, name_ru=payload, name_tg=payload, position=9)
    hostile_group = Category(dimension_id=category("group", "uto").dimension_id, key="xss_group",
                             name_en=payload, name_ru=payload, name_tg=payload)
    hostile_category = Category(dimension=dimension, key="xss_category", name_en=payload, name_ru=payload,
                                name_tg=payload)
    db.session.add_all([dimension, hostile_group, hostile_category])
    db.session.flush()
    people = []
    for number in range(6):
        name = f"{payload} {number}"
        person = _participant(name, payload, hostile_group if number % 2 else category("group", "media"),
                              hostile_category)
        people.append(person)
    db.session.flush()
    registrations = [register(forum_session, person, RegistrationStatus.registered) for person in people]
    mark_attended(registrations[0])
    item = AgendaItem(session_id=forum_session.id, title=payload, kind=AgendaKind.presentation,
                      translations={"ru": {"title": payload}},
                      starts_at=dushanbe_time(3, 10), ends_at=dushanbe_time(3, 11))
    item.speakers = [AgendaSpeaker(participant_id=people[1].id, position=0)]
    facilitator = create_user("facilitator", email=f"{payload}@example.org")
    db.session.add_all([item, SessionFacilitator(session_id=forum_session.id, user_id=facilitator.id)])
    quota = Quota("group", "xss_group", min_count=1)
    assert policies.save_policy(forum_session, [quota], policies.load_catalogue()) == []
    assert policies.save_policy(forum, [quota], policies.load_catalogue()) == []
    token = links.issue(people[0]).token
    db.session.commit()
    return Hostile(payload, forum.id, forum_session.id, people[0].id, item.id, token)


def _participant(name: str, organisation: str, *categories: Category) -> Participant:
    person = Participant(name=name, search_key=search_key(name), organisation=organisation)
    person.categories = [ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id)
                         for chosen in (*categories, category("region", "kulyab"), category("gender", "woman"))]
    db.session.add(person)
    return person


@pytest.fixture(params=PAYLOADS, ids=[f"payload{number}" for number in range(len(PAYLOADS))])
def hostile(request, app, create_forum, create_session, create_user) -> Hostile:
    return build_world(request.param, create_forum, create_session, create_user)


@dataclass
class Clients:
    """The readers: anyone, an organiser, an admin."""

    anonymous: FlaskClient
    organiser: FlaskClient
    admin: FlaskClient


@pytest.fixture
def readers(app: Flask, hostile: Hostile, create_user: Any) -> Clients:
    # The organiser's own e-mail is hostile too: the audit page shows who did what.
    organiser = create_user("organiser", email=f"organiser{hostile.payload}@example.org")
    return Clients(app.test_client(), sign_in_without_password(app.test_client(), organiser),
                   sign_in_without_password(app.test_client(), create_user("admin")))


# (reader, path, shows the payload); paths are formatted with the world as ``w`` and the payload as ``q``
PAGES = [
    ("anonymous", "/", True),
    ("anonymous", "/sessions/{w.session_id}", True),
    ("anonymous", "/sessions/{w.session_id}?lang=ru", True),
    ("anonymous", "/p/{w.token}", True),
    ("anonymous", "/p/{w.token}/sessions/{w.session_id}", True),
    ("organiser", "/staff/forums", True),
    ("organiser", "/staff/forums/{w.forum_id}/edit", True),
    ("organiser", "/staff/sessions", True),
    ("organiser", "/staff/sessions/{w.session_id}/edit", True),
    ("organiser", "/staff/sessions/{w.session_id}/agenda", True),
    ("organiser", "/staff/agenda/{w.item_id}/edit", True),
    ("organiser", "/staff/participants", True),
    ("organiser", "/staff/participants?q={q}", True),
    ("organiser", "/staff/participants/{w.participant_id}", True),
    ("organiser", "/staff/participants/{w.participant_id}/edit", True),
    ("organiser", "/staff/participants/new", True),
    ("organiser", "/staff/dimensions", True),
    ("organiser", "/staff/sessions/{w.session_id}/registrations", True),
    ("organiser", "/staff/sessions/{w.session_id}/selection", True),
    ("organiser", "/staff/sessions/{w.session_id}/selection?pool=waitlist&size=1&seed=7", True),
    ("organiser", "/sessions/{w.session_id}/checkin", True),
    ("organiser", "/sessions/{w.session_id}/checkin?q={q}", True),
    ("organiser", "/sessions/{w.session_id}/checkin/panel", True),
    ("organiser", "/sessions/{w.session_id}/checkin/sheet", True),
    ("organiser", "/sessions/{w.session_id}/checkin/paper", True),
    ("organiser", "/sessions/{w.session_id}/balance", True),
    ("organiser", "/forums/{w.forum_id}/balance", True),
    ("organiser", "/forums/{w.forum_id}/policy", True),
    ("organiser", "/sessions/{w.session_id}/policy", True),
    ("organiser", "/data/sessions/{w.session_id}/export", True),
    ("admin", "/data/retention", False),  # lists only sessions past their retention period
    ("admin", "/data/erase?participant_id={w.participant_id}", True),
    ("admin", "/data/erase?participant_id={q}", True),
    ("admin", "/admin/audit", True),
    ("admin", "/admin/audit?actor={q}&action={q}&object={q}", True),
    ("admin", "/admin/users", True),
]


def _open(readers: Clients, reader: str, path: str, hostile: Hostile) -> Any:
    url = path.format(w=hostile, q=quote(hostile.payload))
    response = getattr(readers, reader).get(url)
    assert response.status_code in (200, 422), (url, response.status_code)
    return response


def test_no_page_runs_stored_or_reflected_script(readers, hostile):
    for reader, path, shows in PAGES:
        response = _open(readers, reader, path, hostile)
        assert response.mimetype == "text/html"
        assert_inert(response.get_data(as_text=True), hostile.payload, shows=shows, where=path)


def test_forms_sent_back_with_errors_stay_inert(readers, hostile):
    """A refused form is shown again with what was typed: that echo is escaped too."""
    payload = hostile.payload
    login = readers.anonymous.post("/login", data={"email": payload, "password": payload})
    assert_inert(login.get_data(as_text=True), payload, shows=True, where="/login")
    refused = readers.organiser.post("/staff/sessions/new", data={
        "forum_id": hostile.forum_id, "title": payload, "venue": payload, "description": payload,
        "starts_on": f"{TEST_YEAR}-12-03", "starts_time": payload, "ends_time": "13:00", "region": payload,
        "capacity": "x"})
    assert refused.status_code == 422
    assert_inert(refused.get_data(as_text=True), payload, shows=True, where="/staff/sessions/new")


def test_an_import_preview_shows_hostile_lines_as_text(readers, hostile, app_config, tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "organisation", "group", "region", "gender"])
    writer.writerow([hostile.payload, hostile.payload, "xss_group", "kulyab", "woman"])
    writer.writerow([f"{hostile.payload} bis", "", "no such group", "", ""])  # an error line quotes the value
    preview = readers.organiser.post("/data/participants/import", content_type="multipart/form-data",
                                     data={"file": (io.BytesIO(buffer.getvalue().encode()), "people.csv")})
    assert preview.status_code in (200, 422)
    assert_inert(preview.get_data(as_text=True), hostile.payload, shows=True, where="import preview")


def test_json_calendar_and_csv_are_never_served_as_html(readers, hostile):
    staff = readers.organiser
    session = f"/api/v1/sessions/{hostile.session_id}"
    json_urls = [(session, True), (f"{session}/checkin", True), (f"{session}/checkin/summary", False),
                 (f"/api/v1/participants/{hostile.participant_id}", True), (f"{session}/registrations", False),
                 ("/api/v1/dimensions", True), ("/api/v1/forums", True)]
    for url, shows in json_urls:
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "application/json" and response.headers["X-Content-Type-Options"] == "nosniff"
        if shows:
            assert any(hostile.payload in text for text in _strings(response.get_json())), url  # unchanged
    calendar = readers.anonymous.get(f"/p/{hostile.token}/calendar.ics")
    assert calendar.mimetype == "text/calendar" and calendar.headers["X-Content-Type-Options"] == "nosniff"
    export = staff.post(f"/data/sessions/{hostile.session_id}/export", data={})
    assert export.mimetype == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    public = readers.anonymous.get(f"/api/v1/sessions/{hostile.session_id}")
    assert public.mimetype == "application/json" and public.get_json()["title"] == hostile.payload


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


# The templates and the code: nothing switches autoescaping off ------------------------------------

def _files(folder: str, pattern: str) -> Iterator[Path]:
    return (ROOT / folder).rglob(pattern)


def test_templates_never_mark_data_safe_or_leave_attributes_unquoted(app):
    assert app.jinja_env.autoescape("page.html") is True  # type: ignore[operator]
    for template in _files("templates", "*.html"):
        text = template.read_text(encoding="utf-8")
        name = template.relative_to(ROOT)
        assert not re.search(r"\|\s*safe\b|autoescape\s+false|Markup", text), name
        # An unquoted attribute value ends at the first space: text with a space adds attributes.
        assert not re.search(r"=\s*\{\{", text), name
        for script in re.finditer(r"<script\b[^>]*>", text):
            assert "src=" in script.group(0), (name, script.group(0))  # inline scripts: none (and CSP forbids them)
        # tojson escapes < > & ' but not ": inside an attribute it must be single-quoted.
        for use in re.finditer(r"(\S+)=(.)\{\{[^}]*tojson", text):
            assert use.group(2) == "'", (name, use.group(0))


def test_code_never_builds_html_from_strings():
    for source in [*_files("forums", "*.py"), ROOT / "app.py"]:
        text = source.read_text(encoding="utf-8")
        name = source.relative_to(ROOT)
        assert not re.search(r"\bMarkup\s*\(|markupsafe|render_template_string|\bsafe\s*\(", text), name
        assert not re.search(r"autoescape\s*=\s*False", text), name
    script = (ROOT / "static" / "checkin.js").read_text(encoding="utf-8")
    # The check-in page fills its list from JSON: only through textContent and properties, never as markup.
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", script)
