"""The participant's journey: a personal link, the agenda in Russian and Tajik, the calendar file, declining."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from models import RegistrationStatus
from tests.e2e import data
from tests.e2e.conftest import assert_accessible, assert_no_sideways_scroll, screenshot

TAJIK_LETTERS = re.compile(r"[ғӣқӯҳҷҒӢҚӮҲҶ]")


@pytest.fixture
def dummy_invitation(live_server) -> tuple[data.SeededSession, data.SeededSession, str]:
    """Two sessions Саидова is invited to (the first with its agenda in three languages) and her link's token."""
    person = data.Person("Саидова Мадина", "civil_society", region="kulyab", gender="woman")
    forum = data.published_session(
        live_server.app, "Water and land", days=10,
        translations={"ru": {"title": "Вода и земля"}, "tg": {"title": "Об ва замин"}},
        agenda=[
            ("Opening", "opening", {"ru": {"title": "Открытие"}, "tg": {"title": "Ифтитоҳ"}}),
            ("Irrigation in the south", "discussion",
             {"ru": {"title": "Орошение на юге"}, "tg": {"title": "Обёрӣ дар ҷануб"}}),
        ],
        people=[person], status=RegistrationStatus.invited,
    )
    seminar = data.published_session(live_server.app, "Seminar on the rule of law", forum="Seminars", days=20,
                                     visibility="invitation", agenda=[("Lecture", "presentation", {})])
    data.invite(live_server.app, seminar.session_id, forum.participant_ids[person.name])
    return forum, seminar, data.personal_link(live_server.app, forum.participant_ids[person.name])


def ui(live_server, message: str, locale: str) -> str:
    """A UI message in a language, checked to be really translated."""
    text = data.translated(live_server.app, message, locale)
    assert text != message, f"{message!r} has no {locale} translation"
    return text


def calendar_events(page: Page, link_text: str) -> str:
    """Download the calendar file behind a link, as a click does, and return its text with lines unfolded."""
    link = page.get_by_role("link", name=link_text)
    head = page.request.head(link.get_attribute("href"))
    assert head.ok
    assert head.headers["content-type"].startswith("text/calendar")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "my-sessions.ics"
    text = Path(download.value.path()).read_text(encoding="utf-8").replace("\r\n ", "")
    assert text.startswith("BEGIN:VCALENDAR")
    return text


def test_participant_reads_the_agenda_in_russian_and_tajik_and_declines(new_page, javascript, live_server,
                                                                         dummy_invitation):
    forum, seminar, token = dummy_invitation
    page = new_page(javascript=javascript, locale="ru-RU")

    # The browser asks for Russian: the personal page answers in Russian.
    page.goto(f"/p/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text(ui(live_server, "Your sessions", "ru"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Вода и земля")).to_be_visible()
    expect(page.get_by_role("link", name=seminar.title)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Вода и земля").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вода и земля")
    expect(page.get_by_role("heading", name=ui(live_server, "Agenda", "ru"))).to_be_visible()
    expect(page.locator("ol.agenda-items strong")).to_have_text(["Открытие", "Орошение на юге"])
    assert_accessible(page)

    # Switching to Tajik keeps the reader on the same agenda.
    page.get_by_role("link", name="Тоҷикӣ").click()
    expect(page.locator("html")).to_have_attribute("lang", "tg")
    expect(page.get_by_role("heading", level=1)).to_have_text("Об ва замин")
    expect(page.get_by_role("heading", name=ui(live_server, "Agenda", "tg"))).to_be_visible()
    expect(page.locator("ol.agenda-items strong")).to_have_text(["Ифтитоҳ", "Обёрӣ дар ҷануб"])
    expect(page.locator(".my-status")).to_contain_text(ui(live_server, "Invited", "tg"))
    assert TAJIK_LETTERS.search(page.locator("main").inner_text())
    assert_accessible(page)
    if javascript:
        screenshot(page, "agenda-tajik")

    # The calendar file holds both sessions, titled in the reader's language.
    calendar_link = ui(live_server, "Add your sessions to your calendar", "tg")
    events = calendar_events(page, calendar_link)
    assert events.count("BEGIN:VEVENT") == 2
    assert "SUMMARY:Об ва замин" in events

    # Declining: the status says so, and the calendar leaves the session out.
    page.get_by_role("button", name=ui(live_server, "Decline", "tg")).click()
    expect(page.get_by_text(ui(live_server, "You have declined. Thank you for letting us know.", "tg"))).to_be_visible()
    expect(page.locator(".my-status")).to_contain_text(ui(live_server, "Declined", "tg"))
    assert data.statuses_of(live_server.app, forum.session_id) == {
        name: RegistrationStatus.declined for name in forum.participant_ids}
    assert_accessible(page)
    events = calendar_events(page, calendar_link)
    assert events.count("BEGIN:VEVENT") == 1
    assert f"SUMMARY:{seminar.title}" in events


def test_agenda_pages_fit_a_phone(new_page, dummy_invitation):
    forum, _seminar, token = dummy_invitation
    page = new_page(width=360, height=640, locale="tg")
    for path in (f"/sessions/{forum.session_id}", f"/p/{token}/sessions/{forum.session_id}", f"/p/{token}"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_sideways_scroll(page)
        assert_accessible(page)
