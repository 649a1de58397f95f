"""Light pages for slow links: weight, compression, long-lived static files, conditional requests."""

import gzip
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from forums.data.synthetic import generate
from forums.people import links
from models import (
    AgendaItem,
    AgendaKind,
    AuditEntry,
    ForumSession,
    Registration,
    RegistrationStatus,
    db,
    utcnow,
)
from tests.conftest import dushanbe_time, sign_in_without_password

PAGE_BUDGET = 30 * 1024
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture
def pages(create_session, create_participant) -> dict[str, str]:
    """Paths of the pages a participant meets, over a session with a full day's agenda."""
    forum_session = create_session(starts_at=dushanbe_time(hour=9), hours=8)
    for hour in range(9, 17):
        db.session.add(AgendaItem(
            forum_session=forum_session, position=hour, kind=AgendaKind.presentation,
            title="Доклад: ҳамкории минтақаҳо ва иқтисоди деҳот / regional cooperation and the rural economy",
            starts_at=dushanbe_time(hour=hour), ends_at=dushanbe_time(hour=hour, minute=50),
        ))
    person = create_participant()
    db.session.add(Registration(forum_session=forum_session, participant=person, status=RegistrationStatus.invited))
    token = links.issue(person).token
    db.session.commit()
    return {
        "index": "/",
        "session": f"/sessions/{forum_session.id}",
        "personal": f"/p/{token}",
        "personal session": f"/p/{token}/sessions/{forum_session.id}",
        "login": "/login",
    }


def local_assets(html: str) -> list[str]:
    """The stylesheets and scripts a page loads."""
    soup = BeautifulSoup(html, "html.parser")
    return ([tag["href"] for tag in soup.find_all("link", rel="stylesheet")]
            + [tag["src"] for tag in soup.find_all("script", src=True)])


def gzipped_size(client, path: str) -> int:
    """Bytes on the wire for ``path`` when the client accepts gzip."""
    response = client.get(path, headers=GZIP)
    assert response.status_code == 200, path
    if response.headers.get("Content-Encoding") == "gzip":
        return len(response.data)
    return len(gzip.compress(response.data))


def page_weight(client, path: str) -> int:
    """Compressed bytes of a page and of every stylesheet and script it loads."""
    html = client.get(path).get_data(as_text=True)
    assets = local_assets(html)
    assert assets, f"{path} should load the site stylesheet"
    return gzipped_size(client, path) + sum(gzipped_size(client, asset) for asset in assets)


@pytest.mark.parametrize("page", ["index", "session", "personal", "personal session", "login"])
def test_every_page_with_its_css_and_js_weighs_at_most_30_kb_compressed(client, pages, page):
    total = page_weight(client, pages[page])

    assert total <= PAGE_BUDGET, f"{page}: {total} bytes"


#: a field office's busy day: people in the register, sessions, a full room, a season of audit entries
STAFF_DATA = {"participants": 600, "sessions": 40, "registrations_per_session": 150}
AUDIT_ENTRIES = 2000


@pytest.fixture
def staff_pages(client, create_user) -> dict[str, str]:
    """Paths of the staff pages, as an admin signed in on ``client``, over a busy office's data."""
    generate(seed=5, **STAFF_DATA)
    now = utcnow()
    db.session.execute(sa.insert(AuditEntry.__table__), [
        {"at": now, "actor": "organiser@example.org", "action": "participant.read", "object_type": "participant",
         "object_id": number, "detail": ""} for number in range(AUDIT_ENTRIES)])
    db.session.commit()
    busiest = db.session.scalar(sa.select(Registration.session_id).group_by(Registration.session_id)
                                .order_by(sa.func.count().desc(), Registration.session_id).limit(1))
    sign_in_without_password(client, create_user("admin"))
    return {
        "forum list": "/staff/forums",
        "session list": "/staff/sessions",
        "participant register": "/staff/participants",
        "registrations": f"/staff/sessions/{busiest}/registrations",
        "balance dashboard": f"/sessions/{busiest}/balance",
        "check-in page": f"/sessions/{busiest}/checkin",
        "audit log": "/admin/audit",
        "staff agenda page": f"/sessions/{busiest}",
        "forum balance overview": f"/forums/{db.session.get(ForumSession, busiest).forum_id}/balance",
    }


@pytest.mark.parametrize("page", ["forum list", "session list", "participant register", "registrations",
                                  "balance dashboard", "check-in page", "audit log", "staff agenda page",
                                  "forum balance overview"])
def test_every_staff_page_with_its_css_and_js_weighs_at_most_30_kb_compressed(client, staff_pages, page):
    total = page_weight(client, staff_pages[page])

    assert total <= PAGE_BUDGET, f"{page}: {total} bytes"


@pytest.mark.parametrize("page", ["index", "session", "personal", "personal session", "login"])
def test_pages_load_nothing_from_elsewhere(client, pages, page):
    soup = BeautifulSoup(client.get(pages[page]).get_data(as_text=True), "html.parser")
    loaded = [tag.get(attribute) for tag in soup.find_all(True) for attribute in ("src", "href", "action")
              if tag.get(attribute)]
    assert loaded
    assert [url for url in loaded if urlsplit(url).netloc or urlsplit(url).scheme] == []


def test_html_is_gzipped_for_clients_that_accept_it(client, pages):
    plain = client.get(pages["session"])
    compressed = client.get(pages["session"], headers=GZIP)

    assert "Content-Encoding" not in plain.headers
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(compressed.data) == plain.data


def test_static_files_carry_a_content_hash_a_year_of_cache_and_gzip(client, pages):
    stylesheet = local_assets(client.get(pages["index"]).get_data(as_text=True))[0]
    assert "v=" in urlsplit(stylesheet).query

    response = client.get(stylesheet, headers=GZIP)

    assert response.status_code == 200
    assert response.cache_control.max_age == 31536000 and response.cache_control.immutable
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"{" in gzip.decompress(response.data)


def test_agenda_page_answers_if_none_match_with_304(client, pages):
    first = client.get(pages["session"], headers=GZIP)
    etag = first.headers["ETag"]

    again = client.get(pages["session"], headers={**GZIP, "If-None-Match": etag})

    assert again.status_code == 304 and again.data == b""


def test_agenda_page_answers_if_modified_since_with_304_until_it_changes(client, pages):
    first = client.get(pages["session"])
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get(pages["session"], headers=since).status_code == 304

    forum_session = db.session.get(ForumSession, int(pages["session"].rsplit("/", 1)[1]))
    forum_session.title = "Water, land and trust"
    # HTTP dates have whole seconds: make the change visibly later than the copy the reader holds.
    forum_session.updated_at = forum_session.updated_at + timedelta(minutes=1)
    db.session.commit()

    changed = client.get(pages["session"], headers={**since, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Water, land and trust" in changed.get_data(as_text=True)
    assert client.get(pages["session"], headers=since).status_code == 200
