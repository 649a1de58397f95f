"""The organiser's journey: a forum, a session with its agenda, invitations, a balance warning, the fix, publishing."""

import re

from playwright.sync_api import Page, expect

from tests.e2e import data
from tests.e2e.conftest import assert_accessible, screenshot, sign_in


def open_and_check(page: Page, path: str) -> None:
    """Go to a page and run axe-core on it."""
    page.goto(path)
    assert_accessible(page)


def search_register(page: Page, words: str) -> None:
    """Narrow the register shown under the registrations to some names."""
    page.get_by_label("Name", exact=True).fill(words)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()


def invite(page: Page, names: list[str]) -> None:
    """Tick people in the register and press Invite selected."""
    for name in names:
        page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Invite selected").click()
    page.wait_for_load_state()


def test_organiser_builds_balances_and_publishes_a_session(new_page, javascript, live_server):
    tag = data.new_tag()
    nazarov, sharipov, odinaeva, usmonov = (f"Nazarov {tag}", f"Sharipov {tag}", f"Odinaeva {tag}",
                                            f"Usmonov {tag}")
    data.add_people(live_server.app, [
        data.Person(nazarov, "government"), data.Person(sharipov, "government", region="kulyab"),
        data.Person(odinaeva, "minorities", region="leninabad", gender="woman"),
        data.Person(usmonov, "uto", region="karategin"),
    ])
    page = new_page(javascript=javascript)
    sign_in(page, "organiser@example.org")

    # A forum.
    open_and_check(page, "/staff/forums")
    page.get_by_role("link", name="New forum").click()
    assert_accessible(page)
    forum_title = f"Economic forum {tag}"
    page.get_by_label("Title", exact=True).fill(forum_title)
    page.get_by_label("Kind", exact=True).select_option(label="Economic forum")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Forum created.")).to_be_visible()

    # A session of it, through the forum's "New session" link.
    page.get_by_role("row").filter(has_text=forum_title).get_by_role("link", name="New session").click()
    assert_accessible(page)
    expect(page.get_by_label("Forum", exact=True)).to_have_value(re.compile(r"\d+"))
    session_title = "Traders of the south"
    starts_at = data.upcoming(days=14)[0]
    page.get_by_label("Title", exact=True).fill(session_title)
    page.get_by_label("Title in Tajik").fill("Тоҷирони ҷануб")
    page.get_by_label("Start date", exact=True).fill(starts_at.date().isoformat())
    page.get_by_label("Start time", exact=True).fill("10:00")
    page.get_by_label("End time", exact=True).fill("13:00")
    page.get_by_label("Venue", exact=True).fill("Kurgan-Tyube, hokimiyat hall")
    page.get_by_label("Region", exact=True).select_option(label="Kurgan-Tyube")
    page.get_by_label("Capacity (seats)").fill("20")
    page.get_by_label("Who may see the agenda").select_option(label="Public")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Session created as a draft.")).to_be_visible()
    session_id = int(re.search(r"/staff/sessions/(\d+)/agenda", page.url).group(1))
    assert_accessible(page)

    # Its agenda: two items, in order.
    for title, kind, start, end in (("Opening", "Opening", "10:00", "10:30"),
                                    ("Concerns of traders", "Discussion", "10:30", "12:30")):
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Kind", exact=True).select_option(label=kind)
        page.get_by_label("Start time", exact=True).fill(start)
        page.get_by_label("End time", exact=True).fill(end)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Agenda item added.")).to_be_visible()
    expect(page.locator("ol.agenda-items > li strong")).to_have_text(["Opening", "Concerns of traders"])
    assert_accessible(page)

    # A policy for the session: at most one from the government, at least one from the UTO.
    open_and_check(page, f"/sessions/{session_id}/balance")
    page.get_by_role("link", name="Edit the policy").click()
    assert_accessible(page)
    page.get_by_label("Government: Maximum people").fill("1")
    page.get_by_label("United Tajik Opposition: Minimum people").fill("1")
    page.get_by_role("button", name="Save policy").first.click()
    page.wait_for_load_state()
    expect(page.get_by_label("Government: Maximum people")).to_have_value("1")

    # Invite two from the government and one from the minorities: the page warns first.
    open_and_check(page, f"/staff/sessions/{session_id}/registrations")
    search_register(page, tag)
    assert_accessible(page)
    invite(page, [nazarov, sharipov, odinaeva])
    expect(page.get_by_role("heading", name="Check the balance first")).to_be_visible()
    expect(page.locator("ul.warnings")).to_contain_text("Government")
    expect(page.locator("ul.warnings")).to_contain_text("above the maximum")
    assert_accessible(page)
    page.get_by_role("button", name="Invite anyway").click()
    expect(page.get_by_text("3 people invited.")).to_be_visible()
    expect(page.get_by_text("1 category is now outside the balance policy")).to_be_visible()

    # The dashboard shows the invitation list out of balance, with what to change.
    open_and_check(page, f"/sessions/{session_id}/balance?stage=invited")
    expect(page.get_by_text("Some dimensions are outside the policy.")).to_be_visible()
    suggestions = page.locator("ul.suggestions")
    expect(suggestions).to_contain_text("Remove 1 person from Government")
    expect(suggestions).to_contain_text("Add 1 person from United Tajik Opposition")
    if javascript:
        screenshot(page, "balance-dashboard")

    # Publishing asks first, naming both problems.
    open_and_check(page, f"/staff/sessions/{session_id}/agenda")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="Publish anyway?")).to_be_visible()
    warnings = page.locator("ul.warnings")
    expect(warnings).to_contain_text("Government")
    expect(warnings).to_contain_text("United Tajik Opposition")
    expect(warnings).to_contain_text("below the minimum")
    assert_accessible(page)

    # The fix: cancel one government invitation, invite someone from the UTO.
    page.get_by_role("link", name="Fix the invitation list first").click()
    row = page.get_by_role("row").filter(has_text=sharipov)
    row.get_by_label(f"New status for {sharipov}").select_option(label="Cancelled")
    row.get_by_role("button", name="Change").click()
    expect(page.get_by_text("Status changed to Cancelled.")).to_be_visible()
    search_register(page, tag)
    invite(page, [usmonov])
    expect(page.get_by_text("1 person invited.")).to_be_visible()
    assert data.statuses_of(live_server.app, session_id) == {
        nazarov: "invited", sharipov: "cancelled", odinaeva: "invited", usmonov: "invited"}

    open_and_check(page, f"/sessions/{session_id}/balance?stage=invited")
    expect(page.get_by_text("Every dimension is within the policy.")).to_be_visible()

    # Now it publishes without a question.
    page.goto(f"/staff/sessions/{session_id}/agenda")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Session published.")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("heading", name="Publish anyway?")).to_have_count(0)
    assert data.session_status(live_server.app, session_id) == "published"

    # Published and public: the agenda is on the session's public page.
    open_and_check(page, f"/sessions/{session_id}")
    expect(page.get_by_role("heading", name=session_title)).to_be_visible()
    expect(page.locator("ol.agenda-items strong")).to_have_text(["Opening", "Concerns of traders"])
